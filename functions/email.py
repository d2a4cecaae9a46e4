"""E-mail: the outbox sender (queue), preferences, address verification, unsubscribe and open/click tracking.
See docs/email-and-policy.md."""

import logging

import azure.functions as func
from pydantic import BaseModel

from core.domain.email import (
    EmailPreferencesPublic,
    EmailPreferencesUpdate,
    OutboxEntryAdmin,
    OutboxMessage,
    UnsubscribeResult,
    VerificationPending,
    VerificationResult,
)
from core.domain.rate_limits import EMAIL_CHANGES
from core.services import email_tracking
from core.services.use_cases.email import EmailUseCases
from functions._http import Auth, Call, endpoint, json_response, use_cases

bp = func.Blueprint()
email = use_cases(EmailUseCases)
log = logging.getLogger(__name__)
HTML = "text/html"


def _page(call: Call, title: str, message: str, button: str | None = None) -> func.HttpResponse:
    body = email().page(title=title, message=message, button=button)
    return func.HttpResponse(
        body,
        status_code=200,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Cache-Control": "no-store",
            "X-Robots-Tag": "noindex",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
            "Referrer-Policy": "no-referrer",
        },
    )


def _answer(call: Call, result: BaseModel, title: str, message: str) -> BaseModel | func.HttpResponse:
    """A browser that submitted the confirm page gets a page back; API clients get JSON."""
    return _page(call, title, message) if HTML in (call.req.headers.get("accept") or "") else json_response(result)


@endpoint(
    bp,
    "GET",
    "me/email-preferences",
    auth=Auth.PRINCIPAL,
    response=EmailPreferencesPublic,
    summary="My e-mail preferences and whether my address is verified",
    tag="email",
)
def get_email_preferences(call: Call) -> EmailPreferencesPublic:
    return email().preferences(principal=call.principal)


@endpoint(
    bp,
    "PUT",
    "me/email-preferences",
    auth=Auth.PRINCIPAL,
    body=EmailPreferencesUpdate,
    response=EmailPreferencesPublic,
    summary="Turn optional e-mail categories on or off",
    tag="email",
)
def update_email_preferences(call: Call) -> EmailPreferencesPublic:
    return email().update_preferences(principal=call.principal, data=call.body)


@endpoint(
    bp,
    "POST",
    "me/email-verification",
    auth=Auth.PRINCIPAL,
    response=VerificationPending,
    status=202,
    summary="Send a new verification link to my current address",
    tag="email",
    limits=(EMAIL_CHANGES,),
)
def resend_email_verification(call: Call) -> VerificationPending:
    return email().resend_verification(principal=call.principal)


@endpoint(
    bp,
    "GET",
    "email/verify/{token}",
    auth=Auth.NONE,
    produces=(HTML,),
    summary="The verification link: a page that asks to confirm (changes nothing by itself)",
    tag="email",
)
def show_email_verification(call: Call) -> func.HttpResponse:
    return _page(call, "Confirm your e-mail address", "Confirm that this e-mail address is yours.", "Confirm")


@endpoint(
    bp,
    "POST",
    "email/verify/{token}",
    auth=Auth.NONE,
    response=VerificationResult,
    extra_statuses=(410,),
    summary="Verify my address with the signed single-use link (no login)",
    tag="email",
)
def verify_email(call: Call) -> BaseModel | func.HttpResponse:
    result = email().verify(token=call.route["token"])
    return _answer(call, result, "Address confirmed", "Thank you: your e-mail address is confirmed.")


@endpoint(
    bp,
    "GET",
    "email/unsubscribe/{token}",
    auth=Auth.NONE,
    produces=(HTML,),
    summary="The unsubscribe link: a page with a one-click button (changes nothing by itself)",
    tag="email",
)
def show_unsubscribe(call: Call) -> func.HttpResponse:
    return _page(call, "Unsubscribe", "Stop receiving this kind of e-mail from IndusTrack?", "Unsubscribe")


@endpoint(
    bp,
    "POST",
    "email/unsubscribe/{token}",
    auth=Auth.NONE,
    response=UnsubscribeResult,
    extra_statuses=(410,),
    summary="One-click unsubscribe (RFC 8058 List-Unsubscribe-Post), no login",
    tag="email",
)
def unsubscribe(call: Call) -> BaseModel | func.HttpResponse:
    result = email().unsubscribe(token=call.route["token"])
    return _answer(call, result, "Unsubscribed", "You will no longer receive this kind of e-mail.")


@endpoint(
    bp,
    "GET",
    "t/o/{token}",
    auth=Auth.NONE,
    produces=("image/gif",),
    summary="Open-tracking pixel (1x1 GIF)",
    tag="email",
)
def track_open(call: Call) -> func.HttpResponse:
    email().record_open(token=call.route["token"])
    return func.HttpResponse(
        email_tracking.PIXEL_GIF, status_code=200, headers={"Content-Type": "image/gif", "Cache-Control": "no-store"}
    )


@endpoint(
    bp,
    "GET",
    "t/c/{token}",
    auth=Auth.NONE,
    status=302,
    extra_statuses=(410,),
    summary="Click tracking: redirect to the signed target only",
    tag="email",
)
def track_click(call: Call) -> func.HttpResponse:
    url = email().record_click(token=call.route["token"])
    return func.HttpResponse(
        status_code=302, headers={"Location": url, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    )


@endpoint(
    bp,
    "GET",
    "admin/email/outbox/{outboxId}",
    auth=Auth.ADMIN,
    response=OutboxEntryAdmin,
    summary="An outbox entry's state and tracking counts (platform admin)",
    tag="email",
)
def get_outbox_entry(call: Call) -> OutboxEntryAdmin:
    return email().outbox_entry(outbox_id=call.route["outboxId"])


@bp.queue_trigger(arg_name="msg", queue_name="%QUEUE_EMAIL_OUTBOX%", connection="AzureWebJobsStorage")
def send_outbox_email(msg: func.QueueMessage) -> None:
    """Sends one outbox entry at most once; a failure raises so the host retries and then poisons the message."""
    message = OutboxMessage.model_validate_json(msg.get_body())
    email().deliver(outbox_id=message.outbox_id, delivery=msg.dequeue_count or 1)


@bp.timer_trigger(arg_name="timer", schedule="0 20 * * * *", run_on_startup=False)
def redispatch_stuck_email(timer: func.TimerRequest) -> None:
    """Hourly safety net: pending outbox entries whose queue message was lost are queued again."""
    email().redispatch_stuck()
