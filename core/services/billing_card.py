"""Card on file from the owner portal (issue 16): the SetupIntent Stripe.js just confirmed in the browser becomes the
account's default payment method at once, without waiting for Stripe's `setup_intent.succeeded` webhook (which
does the same work when it arrives, and which localstripe never sends).

Only ids cross this backend: the card itself went from Stripe Elements to Stripe. What Stripe reports about it
(brand, last four) is read back by the same reconcile the webhook runs.
"""

from __future__ import annotations

import logging

from core.domain.billing import BillingPolicy, BillingPublic, CardOnFile
from core.domain.billing_state import to_public
from core.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from core.domain.identity import Principal
from core.ports import AccountStore, BillingNotifier, BillingStore, Clock, Reactions, StripeGateway
from core.services.billing import ensure_subscription, plan_of, reconcile

log = logging.getLogger(__name__)


def put_card_on_file(
    *,
    principal: Principal,
    account_id: str,
    data: CardOnFile,
    accounts: AccountStore,
    billing: BillingStore,
    reactions: Reactions,
    stripe: StripeGateway,
    clock: Clock,
    billing_policy: BillingPolicy,
    billing_notifier: BillingNotifier | None,
) -> BillingPublic:
    """Owner only. The SetupIntent must be one of this account's Stripe customer (another customer's, or none,
    answers 422 naming `setupIntentId`, alike) and confirmed (`succeeded`, else 409). Idempotent: the same
    SetupIntent again leaves the same default card."""
    principal.require_owner_of(account_id)
    record = billing.get(account_id)
    if record is None:
        raise NotFound()
    intent = stripe.get_setup_intent(data.setup_intent_id)
    if intent is None or not record.customer_id or intent.customer_id != record.customer_id:
        raise ValidationFailed(
            "No SetupIntent of this account has this id.",
            errors=[FieldError("setupIntentId", "not a SetupIntent of this account")],
        )
    if intent.status != "succeeded" or not intent.payment_method_id:
        raise Conflict("The card is not confirmed at Stripe yet; confirm it with Stripe.js first.")
    stripe.set_default_payment_method(customer_id=record.customer_id, payment_method_id=intent.payment_method_id)
    ensure_subscription(
        record=record,
        accounts=accounts,
        store=billing,
        reactions=reactions,
        gateway=stripe,
        clock=clock,
        policy=billing_policy,
    )
    record = reconcile(
        account_id=account_id,
        accounts=accounts,
        store=billing,
        reactions=reactions,
        gateway=stripe,
        clock=clock,
        cause=f"card saved by the owner ({intent.setup_intent_id})",
        notifier=billing_notifier,
    )
    log.info("billing %s: card of setup intent %s on file", account_id, intent.setup_intent_id)
    return to_public(record, grace=billing_policy.grace, plan=plan_of(stripe, billing_policy))
