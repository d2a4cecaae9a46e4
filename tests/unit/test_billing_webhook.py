"""The Stripe webhook: signature over the raw body with a 5-minute window both ways, replays ignored, events
applied from Stripe's current state whatever their order."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.domain.accounts import AccountEventType
from core.domain.billing import BillingPolicy, BillingStatus, StripeCustomer
from core.domain.errors import BillingNotConfigured, InvalidSignature, PayloadTooLarge, ValidationFailed
from core.domain.identity import Principal, Role
from core.services import billing, billing_webhook
from tests.unit.test_billing_service import World

SECRET = "whsec_unit_test"


def sign(payload: bytes, t: int, secret: str = SECRET) -> str:
    mac = hmac.new(secret.encode(), str(t).encode() + b"." + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event(event_id: str, kind: str, obj: dict[str, Any]) -> bytes:
    return json.dumps({"id": event_id, "object": "event", "type": kind, "data": {"object": obj}}).encode()


def deliver(w: World, payload: bytes, header: str | None) -> str:
    return billing_webhook.handle_webhook(
        payload=payload,
        signature=header,
        stripe_webhook_secret=SECRET,
        accounts=w.accounts,
        billing=w.store,
        reactions=w.reactions,
        stripe=w.stripe,
        clock=w.clock,
        billing_policy=w.policy,
        billing_notifier=w.notifier,
        max_body_bytes=1_048_576,
    ).outcome


def now_ts(w: World) -> int:
    return int(w.clock.now().timestamp())


def registered() -> World:
    w = World()
    w.handle(w.event(AccountEventType.ACCOUNT_REGISTERED, "registered-acc-1"))
    return w


# ---------------------------------------------------------------- signature (pure)


def _verify(payload: bytes, header: str | None, now: float, secret: str = SECRET) -> None:
    billing_webhook.verify_signature(
        payload=payload, header=header, secret=secret, now=datetime.fromtimestamp(now, UTC), tolerance_seconds=300
    )


def test_a_good_signature_within_five_minutes_either_way_passes() -> None:
    body, t = b'{"id":"evt_1"}', int(time.time())
    for skew in (-299, 0, 299):
        _verify(body, sign(body, t), now=t + skew)
    # several v1 during a secret roll: any one matching is enough
    _verify(body, sign(body, t, "old") + "," + sign(body, t).split(",")[1], now=t)


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "garbage",
        "no-v1",
        "wrong-secret",
        "stale",
        "future-day",
        "altered-body",
        "empty-secret",
        "v0-only",
        "non-ascii",
        "unicode-digits",
    ],
)
def test_refused_signatures(case: str) -> None:
    body, t = b'{"id":"evt_1","type":"invoice.paid"}', 1_780_000_000
    header: str | None = sign(body, t)
    now, secret, payload = float(t), SECRET, body
    if case == "missing":
        header = None
    elif case == "garbage":
        header = "nonsense"
    elif case == "no-v1":
        header = f"t={t}"
    elif case == "wrong-secret":
        header = sign(body, t, "whsec_other")
    elif case == "stale":
        now = t + 301
    elif case == "future-day":
        header, now = sign(body, t + 86400), float(t)
    elif case == "altered-body":
        payload = body.replace(b"invoice.paid", b"invoice.payment_failed")
    elif case == "empty-secret":
        secret = ""
    elif case == "v0-only":
        header = sign(body, t).replace("v1=", "v0=")
    elif case == "non-ascii":
        header = f"t={t},v1=\u00e9\u00e9"
    elif case == "unicode-digits":
        header = sign(body, t).replace(f"t={t}", "t=\u0661\u0662\u0663")
    # no secret at all: billing is not configured in this deployment (503, Stripe retries later), not a bad signature
    with pytest.raises(BillingNotConfigured if case == "empty-secret" else InvalidSignature):
        _verify(payload, header, now=now, secret=secret)


# ---------------------------------------------------------------- handling


def test_refused_deliveries_change_nothing() -> None:
    w = registered()
    sub = w.subscription
    w.stripe.set_status(sub.subscription_id, "canceled")  # what the event would apply if it were accepted
    before = w.record
    body = event(
        "evt_bad",
        "customer.subscription.deleted",
        {"object": "subscription", "id": sub.subscription_id, "customer": w.record.customer_id},
    )
    t = now_ts(w)
    for payload, header in [
        (body, None),
        (body, sign(body, t, "whsec_wrong")),
        (body, sign(body, t - 600)),
        (body, sign(body, t + 86400)),
        (body.replace(b"evt_bad", b"evt_evil"), sign(body, t)),
    ]:
        with pytest.raises(InvalidSignature):
            deliver(w, payload, header)
    assert w.record == before and not w.store.processed
    assert deliver(w, body, sign(body, t)) == "applied"  # the same event, correctly signed, does change it
    assert w.record.status is BillingStatus.CANCELED


def test_a_replayed_event_is_ignored() -> None:
    w = registered()
    sub_id = w.subscription.subscription_id
    body = event(
        "evt_1",
        "customer.subscription.updated",
        {"object": "subscription", "id": sub_id, "customer": w.record.customer_id},
    )
    header = sign(body, now_ts(w))
    assert deliver(w, body, header) == "applied"
    w.stripe.set_status(sub_id, "canceled")  # had the replay been applied, the account would be canceled
    assert deliver(w, body, header) == "duplicate"
    assert w.record.status is BillingStatus.TRIALING


def test_order_does_not_matter_the_current_state_wins() -> None:
    w = registered()
    sub_id = w.subscription.subscription_id
    customer = w.record.customer_id
    inv = w.stripe.invoice(sub_id, status="open", failed=True)
    failed = event(
        "evt_failed",
        "invoice.payment_failed",
        {"object": "invoice", "id": inv.invoice_id, "customer": customer, "status": "open"},
    )
    paid = event(
        "evt_paid", "invoice.paid", {"object": "invoice", "id": inv.invoice_id, "customer": customer, "status": "paid"}
    )
    w.stripe.settle(inv.invoice_id, status="paid", failed=False)
    w.stripe.set_status(sub_id, "active")
    t = now_ts(w)
    assert deliver(w, paid, sign(paid, t)) == "applied"
    assert deliver(w, failed, sign(failed, t)) == "applied"  # late: its payload says open, Stripe says paid
    assert w.record.status is BillingStatus.ACTIVE and w.record.last_invoice_status == "paid"
    assert w.notifier.calls == 0


def test_setup_intent_succeeded_makes_the_card_the_default_and_shows_brand_and_last4() -> None:
    w = registered()
    owner = Principal("owner", None, w.account_id, Role.OWNER)
    secret = billing.create_setup_intent(
        principal=owner,
        account_id=w.account_id,
        accounts=w.accounts,
        billing=w.store,
        reactions=w.reactions,
        stripe=w.stripe,
        clock=w.clock,
    ).client_secret
    seti_id = secret.split("_secret_")[0]
    pm_id = w.stripe.confirm_setup_intent(seti_id, brand="visa", last4="4242")  # in the browser, by Stripe.js
    body = event(
        "evt_seti",
        "setup_intent.succeeded",
        {"object": "setup_intent", "id": seti_id, "customer": w.record.customer_id},
    )
    assert deliver(w, body, sign(body, now_ts(w))) == "applied"
    assert w.stripe.customers[w.record.customer_id].default_payment_method_id == pm_id
    assert (w.record.payment_method_brand, w.record.payment_method_last4) == ("visa", "4242")


def test_without_a_trial_the_card_starts_the_subscription() -> None:
    w = World(policy=BillingPolicy(plan_id="p", trial_days=0, grace=timedelta(days=7)))
    w.handle(w.event(AccountEventType.ACCOUNT_REGISTERED, "registered-acc-1"))
    assert w.record.subscription_id is None
    owner = Principal("owner", None, w.account_id, Role.OWNER)
    secret = billing.create_setup_intent(
        principal=owner,
        account_id=w.account_id,
        accounts=w.accounts,
        billing=w.store,
        reactions=w.reactions,
        stripe=w.stripe,
        clock=w.clock,
    ).client_secret
    seti_id = secret.split("_secret_")[0]
    w.stripe.confirm_setup_intent(seti_id, brand="visa", last4="4242")
    body = event("evt_seti", "setup_intent.succeeded", {"object": "setup_intent", "id": seti_id})
    assert deliver(w, body, sign(body, now_ts(w))) == "applied"
    assert w.record.subscription_id is not None and w.record.status is BillingStatus.ACTIVE


@pytest.mark.parametrize(
    ("kind", "obj", "outcome"),
    [
        ("charge.refunded", {"object": "charge", "id": "ch_1", "customer": "cus_x"}, "ignored: event type not handled"),
        ("invoice.paid", {"object": "invoice", "id": "in_1"}, "ignored: no customer"),
        (
            "invoice.paid",
            {"object": "invoice", "id": "in_1", "customer": "cus_someone_else"},
            "ignored: unknown customer",
        ),
    ],
)
def test_events_that_are_not_ours_are_acknowledged_and_ignored(kind: str, obj: dict[str, Any], outcome: str) -> None:
    w = registered()
    before = w.record
    body = event("evt_x", kind, obj)
    assert deliver(w, body, sign(body, now_ts(w))) == outcome
    assert w.record == before and not w.store.processed


def test_a_customer_of_another_account_cannot_drive_this_one() -> None:
    # A customer whose metadata names our account but which is not the account's customer is ignored.
    w = registered()
    w.stripe.customers["cus_forged"] = StripeCustomer(customer_id="cus_forged", account_id=w.account_id)
    body = event("evt_y", "customer.updated", {"object": "customer", "id": "cus_forged"})
    assert deliver(w, body, sign(body, now_ts(w))) == "ignored: unknown customer"


def test_malformed_or_oversized_bodies_are_refused() -> None:
    w = registered()
    for body in (b"not json", b"[]", json.dumps({"id": "evt", "type": "invoice.paid"}).encode()):
        with pytest.raises(ValidationFailed):
            deliver(w, body, sign(body, now_ts(w)))
    big = b"{" + b" " * 2_000_000 + b"}"
    with pytest.raises(PayloadTooLarge):
        deliver(w, big, sign(big, now_ts(w)))
