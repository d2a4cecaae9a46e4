"""The owner's billing endpoints, the Stripe webhook, billing's queue work and the grace-period timer
(functions/billing.py, docs/billing.md)."""

from __future__ import annotations

from core.services import account_billing, billing, billing_card, billing_webhook
from core.services.wiring import UseCases, inject


class BillingUseCases(UseCases):
    view = inject(billing.get_billing)
    setup = inject(billing.setup_billing)
    setup_intent = inject(billing.create_setup_intent)
    put_card_on_file = inject(billing_card.put_card_on_file)
    handle_webhook = inject(billing_webhook.handle_webhook)
    on_account_event = inject(account_billing.on_account_event)
    suspend_overdue = inject(account_billing.suspend_overdue)
