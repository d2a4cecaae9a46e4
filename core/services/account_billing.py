"""The billing use cases as the triggers call them: one object per process with its dependencies, built by the
composition root (core/bootstrap/use_cases.py), so that `functions/billing.py` passes only the request's own input."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from core.domain.accounts import AccountEvent
from core.domain.billing import BillingPolicy, BillingPublic, BillingRecord, CardOnFile, SetupIntentPublic
from core.domain.identity import Principal
from core.ports import AccountStore, BillingNotifier, BillingStore, Clock, StripeGateway
from core.services import billing, billing_card

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccountBilling:
    """The owner's billing endpoints, the billing-events queue work and the grace-period timer. `configured` is
    False when no Stripe key is set: queue work is then skipped (`POST .../billing/setup` catches up later)."""

    accounts: AccountStore
    store: BillingStore
    gateway: StripeGateway
    clock: Clock
    policy: BillingPolicy
    notifier: BillingNotifier | None
    configured: bool = True

    def view(self, *, principal: Principal, account_id: str) -> BillingPublic:
        return billing.get_billing(
            principal=principal, account_id=account_id, store=self.store, clock=self.clock, policy=self.policy
        )

    def setup(self, *, principal: Principal, account_id: str) -> BillingPublic:
        return billing.setup_billing(
            principal=principal,
            account_id=account_id,
            accounts=self.accounts,
            store=self.store,
            gateway=self.gateway,
            clock=self.clock,
            policy=self.policy,
            notifier=self.notifier,
        )

    def setup_intent(self, *, principal: Principal, account_id: str) -> SetupIntentPublic:
        return billing.create_setup_intent(
            principal=principal,
            account_id=account_id,
            accounts=self.accounts,
            store=self.store,
            gateway=self.gateway,
            clock=self.clock,
        )

    def put_card_on_file(self, *, principal: Principal, account_id: str, data: CardOnFile) -> BillingPublic:
        return billing_card.put_card_on_file(
            principal=principal,
            account_id=account_id,
            data=data,
            accounts=self.accounts,
            store=self.store,
            gateway=self.gateway,
            clock=self.clock,
            policy=self.policy,
            notifier=self.notifier,
        )

    def on_account_event(self, event: AccountEvent) -> BillingRecord | None:
        """Queue work for account and member events; errors propagate (the host retries, then poisons)."""
        if not self.configured:
            log.info("billing event %s (%s): billing is not configured, skipped", event.event_id, event.type.value)
            return None
        record = billing.handle_account_event(
            event=event,
            accounts=self.accounts,
            store=self.store,
            gateway=self.gateway,
            clock=self.clock,
            policy=self.policy,
            notifier=self.notifier,
        )
        log.info(
            "billing event %s (%s): %s",
            event.event_id,
            event.type.value,
            record.status.value if record is not None else "no billing for this account",
        )
        return record

    def suspend_overdue(self) -> int:
        """Timer work: suspend the accounts whose grace period ended unpaid; answers how many."""
        count = billing.suspend_overdue(
            accounts=self.accounts, store=self.store, clock=self.clock, policy=self.policy, notifier=self.notifier
        )
        log.info("billing grace timer: %d accounts suspended", count)
        return count
