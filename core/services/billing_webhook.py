"""The Stripe webhook: verify the signature over the raw body, then apply the event by reading Stripe's current
state (never the event's payload), so the order of events does not matter; each event id is recorded and a repeat is
ignored. See docs/billing.md."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import datetime

from core.domain.billing import BillingPolicy, ProcessedEvent, StripeEvent, WebhookAnswer
from core.domain.errors import BillingNotConfigured, FieldError, InvalidSignature, PayloadTooLarge, ValidationFailed
from core.ports import AccountStore, BillingNotifier, BillingStore, Clock, Reactions, StripeGateway
from core.services.billing import ensure_subscription, reconcile

log = logging.getLogger(__name__)

HANDLED_EVENTS = frozenset(
    {
        "setup_intent.succeeded",
        "invoice.paid",
        "invoice.payment_succeeded",  # what localstripe (and older integrations) send for a paid invoice
        "invoice.payment_failed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "customer.updated",  # the default payment method changed (e.g. in the Stripe dashboard)
    }
)


def verify_signature(
    *,
    payload: bytes,
    header: str | None,
    secret: str,
    now: datetime,
    tolerance_seconds: float,
) -> None:
    """Stripe's scheme: header `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` (several v1 during a
    secret roll). Refused: no secret configured, no or malformed header, no matching v1, and a timestamp more than
    the tolerance away from now in EITHER direction (Stripe's own library only refuses old ones)."""
    if not secret:
        log.warning("Stripe webhook refused: STRIPE_WEBHOOK_SECRET is not configured")
        raise BillingNotConfigured("STRIPE_WEBHOOK_SECRET is not set; Stripe retries the event later.")
    if not header:
        raise InvalidSignature("The Stripe-Signature header is missing.")
    timestamp: str | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            timestamp = value
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12 or not signatures:
        raise InvalidSignature("The Stripe-Signature header is malformed.")
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + payload, hashlib.sha256).hexdigest().encode()
    if not any(hmac.compare_digest(expected, s.encode("utf-8", errors="replace")) for s in signatures):
        raise InvalidSignature("The signature does not match the body.")
    if abs(now.timestamp() - int(timestamp)) > tolerance_seconds:
        raise InvalidSignature("The signature timestamp is outside the allowed window.")


def parse_event(payload: bytes) -> StripeEvent:
    try:
        doc = json.loads(payload)
        obj = doc["data"]["object"]
        event_id, event_type = doc["id"], doc["type"]
        if not isinstance(obj, dict) or not isinstance(event_id, str) or not isinstance(event_type, str):
            raise TypeError("unexpected shape")
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationFailed("The event is not a Stripe event.", errors=[FieldError("body", "not an event")]) from exc
    object_type = obj.get("object") if isinstance(obj.get("object"), str) else None
    object_id = obj.get("id") if isinstance(obj.get("id"), str) else None
    customer = obj.get("customer")
    if isinstance(customer, dict):
        customer = customer.get("id")
    if object_type == "customer":
        customer = object_id
    return StripeEvent(
        event_id=event_id,
        type=event_type,
        object_type=object_type,
        object_id=object_id,
        customer_id=customer if isinstance(customer, str) else None,
    )


def handle_webhook(
    *,
    payload: bytes,
    signature: str | None,
    stripe_webhook_secret: str,
    accounts: AccountStore,
    billing: BillingStore,
    reactions: Reactions,
    stripe: StripeGateway,
    clock: Clock,
    billing_policy: BillingPolicy,
    billing_notifier: BillingNotifier | None,
    max_body_bytes: int,
) -> WebhookAnswer:
    """Verify, then apply by reading Stripe's current state. Refused (400, nothing changed): a missing or bad
    signature, a timestamp outside the tolerance, a body altered after signing. Answered 200 without change: a
    repeat of an applied event, an event type not handled, a customer that is not one of ours."""
    if len(payload) > max_body_bytes:
        raise PayloadTooLarge(f"The body may be at most {max_body_bytes} bytes.")
    now = clock.now()
    verify_signature(
        payload=payload,
        header=signature,
        secret=stripe_webhook_secret,
        now=now,
        tolerance_seconds=billing_policy.signature_tolerance.total_seconds(),
    )
    event = parse_event(payload)
    if event.type not in HANDLED_EVENTS:
        return WebhookAnswer(outcome="ignored: event type not handled")
    intent = None
    customer_id = event.customer_id
    if event.type == "setup_intent.succeeded" and event.object_id:
        intent = stripe.get_setup_intent(event.object_id)
        customer_id = intent.customer_id if intent is not None else None
    if not customer_id:
        return WebhookAnswer(outcome="ignored: no customer")
    customer = stripe.get_customer(customer_id)
    record = billing.get(customer.account_id) if customer is not None and customer.account_id else None
    if record is None or record.customer_id != customer_id:
        return WebhookAnswer(outcome="ignored: unknown customer")
    account_id = record.account_id
    if billing.is_processed(account_id, event.event_id):
        log.info("stripe event %s (%s) for %s already applied", event.event_id, event.type, account_id)
        return WebhookAnswer(outcome="duplicate")
    if intent is not None and intent.status == "succeeded" and intent.payment_method_id:
        stripe.set_default_payment_method(customer_id=customer_id, payment_method_id=intent.payment_method_id)
        record = ensure_subscription(
            record=record,
            accounts=accounts,
            store=billing,
            reactions=reactions,
            gateway=stripe,
            clock=clock,
            policy=billing_policy,
        )
    reconcile(
        account_id=account_id,
        accounts=accounts,
        store=billing,
        reactions=reactions,
        gateway=stripe,
        clock=clock,
        cause=f"{event.type} {event.event_id}",
        notifier=billing_notifier,
    )
    billing.mark_processed(
        ProcessedEvent(
            account_id=account_id, event_id=event.event_id, type=event.type, outcome="applied", processed_at=clock.now()
        )
    )
    log.info("stripe event %s (%s) applied for %s", event.event_id, event.type, account_id)
    return WebhookAnswer(outcome="applied")
