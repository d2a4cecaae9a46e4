"""Billing with Stripe: the owner's billing view and card setup, the Stripe webhook, the billing-events queue and
the grace-period timer. See docs/billing.md."""

import azure.functions as func

from core.domain.accounts import AccountEvent
from core.domain.billing import BillingPublic, CardOnFile, SetupIntentPublic, WebhookAnswer
from core.services.use_cases.billing import BillingUseCases
from functions._http import Auth, Call, endpoint, use_cases

bp = func.Blueprint()
billing = use_cases(BillingUseCases)


@endpoint(
    bp,
    "GET",
    "accounts/{accountId}/billing",
    auth=Auth.PRINCIPAL,
    response=BillingPublic,
    summary="Billing status, seats, trial and period end, last invoice, card brand and last 4 (owner)",
    tag="billing",
)
def get_billing(call: Call) -> BillingPublic:
    return billing().view(principal=call.principal, account_id=call.route["accountId"])


@endpoint(
    bp,
    "POST",
    "accounts/{accountId}/billing/setup",
    auth=Auth.PRINCIPAL,
    response=BillingPublic,
    extra_statuses=(409,),
    summary="Make sure the Stripe customer, subscription and seats exist (owner; idempotent)",
    tag="billing",
)
def setup_billing(call: Call) -> BillingPublic:
    return billing().setup(principal=call.principal, account_id=call.route["accountId"])


@endpoint(
    bp,
    "POST",
    "accounts/{accountId}/billing/setup-intent",
    auth=Auth.PRINCIPAL,
    response=SetupIntentPublic,
    status=201,
    extra_statuses=(409,),
    summary="A SetupIntent client secret for Stripe.js to save a card (owner)",
    tag="billing",
)
def create_setup_intent(call: Call) -> SetupIntentPublic:
    return billing().setup_intent(principal=call.principal, account_id=call.route["accountId"])


@endpoint(
    bp,
    "POST",
    "accounts/{accountId}/billing/card",
    auth=Auth.PRINCIPAL,
    body=CardOnFile,
    response=BillingPublic,
    extra_statuses=(409,),
    summary="Put the card of a SetupIntent confirmed by Stripe.js on file (owner): ids only, never card data",
    tag="billing",
)
def put_card_on_file(call: Call) -> BillingPublic:
    return billing().put_card_on_file(principal=call.principal, account_id=call.route["accountId"], data=call.body)


@endpoint(
    bp,
    "POST",
    "billing/webhook",
    auth=Auth.NONE,
    response=WebhookAnswer,
    extra_statuses=(400, 409),
    summary="Stripe webhook: Stripe-Signature verified over the raw body",
    tag="billing",
)
def stripe_webhook(call: Call) -> WebhookAnswer:
    return billing().handle_webhook(
        payload=call.req.get_body() or b"", signature=call.req.headers.get("stripe-signature")
    )


@bp.queue_trigger(arg_name="msg", queue_name="%QUEUE_BILLING_EVENTS%", connection="AzureWebJobsStorage")
def process_billing_event(msg: func.QueueMessage) -> None:
    """Account events forwarded by process_account_event. Errors propagate: the host retries, then poisons."""
    billing().on_account_event(event=AccountEvent.model_validate_json(msg.get_body()))


@bp.timer_trigger(arg_name="timer", schedule="0 */15 * * * *", run_on_startup=False)
def suspend_overdue_billing(timer: func.TimerRequest) -> None:
    billing().suspend_overdue()
