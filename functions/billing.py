"""Billing with Stripe: the owner's billing view and card setup, the Stripe webhook, the billing-events queue and
the grace-period timer. See docs/billing.md."""

import logging

import azure.functions as func

from core.bootstrap import container
from core.domain.accounts import AccountEvent
from core.domain.billing import BillingPublic, CardOnFile, SetupIntentPublic, WebhookAnswer
from core.services import billing, billing_card
from functions._http import Auth, Call, endpoint

bp = func.Blueprint()
log = logging.getLogger(__name__)


@endpoint(bp, "GET", "accounts/{accountId}/billing", auth=Auth.PRINCIPAL, response=BillingPublic,
          summary="Billing status, seats, trial and period end, last invoice, card brand and last 4 (owner)",
          tag="billing")
def get_billing(call: Call) -> BillingPublic:
    return billing.get_billing(principal=call.principal, account_id=call.route["accountId"],
                               store=call.deps.billing, clock=call.deps.clock, policy=call.deps.billing_policy)


@endpoint(bp, "POST", "accounts/{accountId}/billing/setup", auth=Auth.PRINCIPAL, response=BillingPublic,
          extra_statuses=(409,),
          summary="Make sure the Stripe customer, subscription and seats exist (owner; idempotent)", tag="billing")
def setup_billing(call: Call) -> BillingPublic:
    d = call.deps
    return billing.setup_billing(principal=call.principal, account_id=call.route["accountId"], accounts=d.accounts,
                                 store=d.billing, gateway=d.stripe, clock=d.clock, policy=d.billing_policy,
                                 notifier=d.billing_notifier)


@endpoint(bp, "POST", "accounts/{accountId}/billing/setup-intent", auth=Auth.PRINCIPAL, response=SetupIntentPublic,
          status=201, extra_statuses=(409,), summary="A SetupIntent client secret for Stripe.js to save a card (owner)", tag="billing")
def create_setup_intent(call: Call) -> SetupIntentPublic:
    d = call.deps
    return billing.create_setup_intent(principal=call.principal, account_id=call.route["accountId"],
                                       accounts=d.accounts, store=d.billing, gateway=d.stripe, clock=d.clock)


@endpoint(bp, "POST", "accounts/{accountId}/billing/card", auth=Auth.PRINCIPAL, body=CardOnFile, response=BillingPublic,
          extra_statuses=(409,),
          summary="Put the card of a SetupIntent confirmed by Stripe.js on file (owner): ids only, never card data",
          tag="billing")
def put_card_on_file(call: Call) -> BillingPublic:
    d = call.deps
    return billing_card.put_card_on_file(principal=call.principal, account_id=call.route["accountId"], data=call.body,
                                         accounts=d.accounts, store=d.billing, gateway=d.stripe, clock=d.clock,
                                         policy=d.billing_policy, notifier=d.billing_notifier)


@endpoint(bp, "POST", "billing/webhook", auth=Auth.NONE, response=WebhookAnswer, extra_statuses=(400, 409),
          summary="Stripe webhook: Stripe-Signature verified over the raw body", tag="billing")
def stripe_webhook(call: Call) -> WebhookAnswer:
    d = call.deps
    return billing.handle_webhook(payload=call.req.get_body() or b"",
                                  signature=call.req.headers.get("stripe-signature"),
                                  secret=d.stripe_webhook_secret, accounts=d.accounts, store=d.billing,
                                  gateway=d.stripe, clock=d.clock, policy=d.billing_policy,
                                  notifier=d.billing_notifier, max_bytes=d.settings.max_body_bytes)


@bp.queue_trigger(arg_name="msg", queue_name="%QUEUE_BILLING_EVENTS%", connection="AzureWebJobsStorage")
def process_billing_event(msg: func.QueueMessage) -> None:
    """Account events forwarded by process_account_event. Errors propagate: the host retries, then poisons."""
    d = container()
    event = AccountEvent.model_validate_json(msg.get_body())
    if not d.billing_configured:  # nothing to sync; `POST .../billing/setup` catches up once billing is enabled
        log.info("billing event %s (%s): billing is not configured, skipped", event.event_id, event.type.value)
        return
    record = billing.handle_account_event(event=event, accounts=d.accounts, store=d.billing, gateway=d.stripe,
                                          clock=d.clock, policy=d.billing_policy, notifier=d.billing_notifier)
    log.info("billing event %s (%s): %s", event.event_id, event.type.value,
             record.status.value if record is not None else "no billing for this account")


@bp.timer_trigger(arg_name="timer", schedule="0 */15 * * * *", run_on_startup=False)
def suspend_overdue_billing(timer: func.TimerRequest) -> None:
    d = container()
    count = billing.suspend_overdue(accounts=d.accounts, store=d.billing, clock=d.clock, policy=d.billing_policy,
                                    notifier=d.billing_notifier)
    log.info("billing grace timer: %d accounts suspended", count)
