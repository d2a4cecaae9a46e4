"""Billing with Stripe (docs/billing.md): the gateway (or the unconfigured one), the billing policy from settings,
the webhook secret, billing's own events queue, the payment-failed notice and the billing records (whose status
changes the ingest gate follows: core/services/reactions.py)."""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from core.bootstrap.adapter import adapter
from core.bootstrap.email import EmailPorts

if TYPE_CHECKING:
    from core.adapters.cosmos_billing import CosmosBillingStore
    from core.adapters.queues import QueueEventPublisher
    from core.adapters.stripe_billing import StripeBillingGateway
    from core.domain.billing import BillingPolicy
    from core.ports import BillingNotifier
    from core.services.billing_unconfigured import UnconfiguredStripeGateway


class BillingPorts(EmailPorts):
    @adapter
    def billing(self) -> CosmosBillingStore:
        """The accounts' billing records (docs/billing.md)."""
        from core.adapters.cosmos_billing import CosmosBillingStore

        return CosmosBillingStore(self.database)

    @adapter
    def stripe(self) -> StripeBillingGateway | UnconfiguredStripeGateway:
        """Stripe, or (no STRIPE_SECRET_KEY in Azure) a gateway answering 503 billing-not-configured."""
        if not self.settings.billing_configured:
            from core.services.billing_unconfigured import UnconfiguredStripeGateway

            return UnconfiguredStripeGateway()
        from core.adapters.stripe_billing import StripeBillingGateway, build_client

        return StripeBillingGateway(build_client(self.settings))

    @property
    def billing_configured(self) -> bool:
        return self.settings.billing_configured

    @cached_property
    def billing_policy(self) -> BillingPolicy:
        from core.domain.billing import BillingPolicy

        s = self.settings
        return BillingPolicy(
            plan_id=s.stripe_plan_id, trial_days=s.billing_trial_days, grace=timedelta(days=s.billing_grace_days)
        )

    @property
    def stripe_webhook_secret(self) -> str:
        from core.adapters.stripe_billing import webhook_secret

        return webhook_secret(self.settings)

    @adapter
    def billing_events(self) -> QueueEventPublisher:
        """Account events forwarded to billing's own queue (QUEUE_BILLING_EVENTS)."""
        from core.adapters.queues import QueueEventPublisher, queue_client

        return QueueEventPublisher(queue_client(self.queue_service, self.settings.queue_billing_events))

    @cached_property
    def billing_notifier(self) -> BillingNotifier | None:
        """The payment-failed e-mail to the owner, through the outbox (once per dedupe key). The need is recorded
        on the billing record first (`payment_failed_notice`), so returning None here only delays the e-mail."""
        from core.services.billing import OutboxPaymentNotifier

        return OutboxPaymentNotifier(outbox=self.outbox, accounts=self.accounts, clock=self.clock)
