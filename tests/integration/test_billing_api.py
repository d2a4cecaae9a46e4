"""Billing against localstripe and the local host: one customer however often registration is retried, a card
saved through a SetupIntent confirmed directly against localstripe (as Stripe.js would), seats that follow
members, signed webhooks (delivered by localstripe, or signed here for the event types localstripe never emits),
replays and forgeries refused, payment failure -> past_due -> suspended by the grace timer -> active on payment,
card numbers refused everywhere and absent from the host log.

localstripe is shared by every test session: this module registers its own webhook endpoint with it (named after
the session) and disables it afterwards.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from core.adapters.cosmos import build_cosmos_client
from core.adapters.cosmos_billing import CosmosBillingStore
from core.adapters.stripe_billing import LOCALSTRIPE_BASE, api_key, webhook_secret
from core.domain.billing import BillingRecord
from tests.helpers import rid, wait_for
from tests.integration.conftest import Stack, User, add_member, new_identity, register_owner, registration_body
from tests.integration.test_email import wait_for_mail
from tests.integration.tracking_helpers import ping

# A short grace period for this session's host, so that the timer can suspend within the test. Set while pytest
# collects, before the session's host starts (the conftest copies the environment to it).
GRACE_DAYS = 0.00005  # about 4.3 seconds
os.environ["BILLING_GRACE_DAYS"] = str(GRACE_DAYS)
# A webhook secret of this session only (registered with localstripe below; never printed).
os.environ["STRIPE_WEBHOOK_SECRET"] = f"whsec_test_{secrets.token_hex(16)}"

OK_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000341"  # attaches fine, every charge is declined
LOCALSTRIPE_EVENTS = [  # customer.updated is left out on purpose: see test_a_replayed_event_is_ignored
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.paid",
    "invoice.payment_succeeded",
    "invoice.payment_failed",
    "setup_intent.succeeded",
]


# ---------------------------------------------------------------- helpers


@pytest.fixture(scope="module", autouse=True)
def localstripe_webhook(stack: Stack) -> Iterator[None]:
    assert stack.settings.billing_grace_days == GRACE_DAYS, "the host must run with this module's grace period"
    assert webhook_secret(stack.settings).startswith("whsec_test_"), "the host must run with this session's secret"
    name = f"industrack-test-{stack.suffix}"
    config = {
        "url": f"{stack.host_url}/api/billing/webhook",
        "secret": webhook_secret(stack.settings),
        "events": LOCALSTRIPE_EVENTS,
    }
    assert httpx.post(f"{LOCALSTRIPE_BASE}/_config/webhooks/{name}", json=config, timeout=10).status_code == 200
    yield
    # localstripe cannot forget a webhook: an empty event list silences it.
    httpx.post(f"{LOCALSTRIPE_BASE}/_config/webhooks/{name}", json={**config, "events": []}, timeout=10)


def ls(stack: Stack, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    """A call to localstripe with the secret key, as the Stripe dashboard or Stripe's own machinery would act."""
    r = httpx.request(
        method,
        f"{LOCALSTRIPE_BASE}{path}",
        headers={"Authorization": f"Bearer {api_key(stack.settings)}"},
        timeout=20,
        **kwargs,
    )
    assert r.status_code == 200, f"localstripe {method} {path}: {r.status_code}"
    data: dict[str, Any] = r.json()
    return data


def store(stack: Stack) -> CosmosBillingStore:
    client = build_cosmos_client(stack.settings)
    return CosmosBillingStore(client.get_database_client(stack.settings.cosmos_database))


def record(stack: Stack, owner: User) -> BillingRecord:
    found = store(stack).get(owner.account_id)
    assert found is not None
    return found


def view(api: httpx.Client, owner: User) -> dict[str, Any]:
    r = api.get(f"/accounts/{owner.account_id}/billing", headers=owner.auth)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def wait_view(api: httpx.Client, owner: User, what: str, check: Any, timeout: float = 30) -> dict[str, Any]:
    def matching() -> dict[str, Any] | None:
        shown = view(api, owner)
        return shown if check(shown) else None

    found: dict[str, Any] = wait_for(matching, timeout=timeout, what=what)
    return found


def billed_owner(api: httpx.Client) -> User:
    owner = register_owner(api)
    wait_view(api, owner, "the subscription in trial", lambda v: v["status"] == "trialing")
    return owner


def sign(payload: bytes, t: int, secret: str) -> str:
    mac = hmac.new(secret.encode(), str(t).encode() + b"." + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def stripe_event(kind: str, obj: dict[str, Any]) -> bytes:
    """An event as Stripe would send it (for the types localstripe never emits)."""
    return json.dumps(
        {
            "id": f"evt_test_{rid()}",
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": obj},
        },
        indent=2,
    ).encode()


def deliver(stack: Stack, payload: bytes, header: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if header is not None:
        headers["Stripe-Signature"] = header
    return httpx.post(f"{stack.base_url}/billing/webhook", content=payload, headers=headers, timeout=30)


def deliver_signed(stack: Stack, payload: bytes) -> httpx.Response:
    return deliver(stack, payload, sign(payload, int(time.time()), webhook_secret(stack.settings)))


def save_card(api: httpx.Client, stack: Stack, owner: User, number: str) -> str:
    """The browser side: a SetupIntent from our API, confirmed with the card directly against localstripe (the
    card never reaches our API), then Stripe's `setup_intent.succeeded` delivered to our webhook."""
    r = api.post(f"/accounts/{owner.account_id}/billing/setup-intent", headers=owner.auth)
    assert r.status_code == 201, r.text
    secret = r.json()["clientSecret"]
    seti = secret.split("_secret_")[0]
    confirmed = httpx.post(
        f"{LOCALSTRIPE_BASE}/v1/setup_intents/{seti}/confirm",
        timeout=20,
        data={
            "key": "pk_test_industrack",
            "client_secret": secret,
            "payment_method_data[type]": "card",
            "payment_method_data[card][number]": number,
            "payment_method_data[card][exp_month]": "12",
            "payment_method_data[card][exp_year]": "2030",
            "payment_method_data[card][cvc]": "123",
        },
    )
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "succeeded"
    intent = ls(stack, "GET", f"/v1/setup_intents/{seti}")
    r = deliver_signed(stack, stripe_event("setup_intent.succeeded", intent))
    assert r.status_code == 200 and r.json()["outcome"] == "applied", r.text
    return str(intent["payment_method"])


def live_customers(stack: Stack, owner: User) -> list[dict[str, Any]]:
    listed = ls(stack, "GET", "/v1/customers", params={"email": owner.email, "limit": 100})["data"]
    return [c for c in listed if (c.get("metadata") or {}).get("accountId") == owner.account_id]


def fire(stack: Stack, function: str, payload: dict[str, Any] | None = None) -> None:
    r = httpx.post(f"{stack.host_url}/admin/functions/{function}", json=payload or {}, timeout=10)
    assert r.status_code == 202, r.status_code


# ---------------------------------------------------------------- tests


def test_retried_registration_creates_exactly_one_customer(api: httpx.Client, stack: Stack) -> None:
    owner = new_identity()
    body = registration_body(email=owner.email)
    with ThreadPoolExecutor(4) as pool:  # a client retrying while its first attempt is still running
        answers = list(pool.map(lambda _: api.post("/accounts", json=body, headers=owner.auth), range(3)))
    assert {r.status_code for r in answers} <= {201, 409} and 201 in {r.status_code for r in answers}
    owner.account_id = next(r for r in answers if r.status_code == 201).json()["account"]["accountId"]
    event = {
        "eventId": f"registered-{owner.account_id}",
        "type": "account.registered",
        "accountId": owner.account_id,
        "userId": owner.user_id,
        "occurredAt": "2026-01-01T00:00:00Z",
    }
    for _ in range(3):  # the queue redelivering the registration event
        fire(stack, "process_billing_event", {"input": json.dumps(event)})
    with ThreadPoolExecutor(3) as pool:  # and the owner pressing "set up billing" repeatedly meanwhile
        setups = list(
            pool.map(lambda _: api.post(f"/accounts/{owner.account_id}/billing/setup", headers=owner.auth), range(3))
        )
    assert all(r.status_code == 200 for r in setups), [r.text for r in setups]
    marker = f"billing event registered-{owner.account_id} (account.registered)"
    wait_for(lambda: stack.host_log().count(marker) >= 4, timeout=60, what="the redelivered registration events")

    def exactly_one() -> list[dict[str, Any]] | None:
        found = live_customers(stack, owner)
        return found if len(found) == 1 else None

    customers = wait_for(exactly_one, timeout=30, what="exactly one Stripe customer for the account")
    assert record(stack, owner).customer_id == customers[0]["id"]
    assert customers[0]["name"] == "Field Co" and customers[0]["address"]["postal_code"] == "55441"
    subs = ls(stack, "GET", "/v1/subscriptions", params={"customer": customers[0]["id"], "limit": 100})["data"]
    assert len(subs) == 1 and subs[0]["quantity"] == 1


def test_a_card_confirmed_against_localstripe_becomes_the_default_through_the_webhook(
    api: httpx.Client,
    stack: Stack,
) -> None:
    owner = billed_owner(api)
    assert view(api, owner)["paymentMethod"] is None
    pm = save_card(api, stack, owner, OK_CARD)
    customer = ls(stack, "GET", f"/v1/customers/{record(stack, owner).customer_id}")
    assert customer["invoice_settings"]["default_payment_method"] == pm
    shown = view(api, owner)
    assert shown["paymentMethod"] == {"brand": "visa", "last4": "4242"}
    assert set(shown) == {
        "accountId",
        "status",
        "statusSince",
        "graceEndsAt",
        "seats",
        "trialEnd",
        "currentPeriodEnd",
        "lastInvoiceStatus",
        "paymentMethod",
        "plan",
    }
    # The price per seat, as localstripe holds the provisioned plan (core/adapters/stripe_billing.py ensure_plan).
    assert shown["plan"] == {
        "name": "IndusTrack per-seat monthly",
        "unitAmount": 900,
        "currency": "USD",
        "interval": "month",
        "intervalCount": 1,
    }
    assert shown["trialEnd"] and shown["currentPeriodEnd"] and shown["status"] == "trialing"


def test_seats_follow_members(api: httpx.Client, stack: Stack) -> None:
    owner = billed_owner(api)
    sub_id = record(stack, owner).subscription_id

    def quantity() -> int:
        return int(ls(stack, "GET", f"/v1/subscriptions/{sub_id}")["quantity"])

    first, second = add_member(api, owner), add_member(api, owner)
    wait_for(lambda: quantity() == 3, what="three seats")
    wait_view(api, owner, "three seats shown", lambda v: v["seats"] == 3)
    joined = {
        "eventId": "joined-again",
        "type": "member.joined",
        "accountId": owner.account_id,
        "userId": first.user_id,
        "occurredAt": "2026-01-01T00:00:00Z",
    }
    assert api.delete(f"/accounts/{owner.account_id}/members/{second.user_id}", headers=owner.auth).status_code == 204
    wait_for(lambda: quantity() == 2, what="two seats after a removal")
    for _ in range(3):  # late and repeated deliveries of a join: the quantity is the current count, not +1
        fire(stack, "process_billing_event", {"input": json.dumps(joined)})
    wait_for(
        lambda: stack.host_log().count("billing event joined-again (member.joined)") >= 3,
        timeout=30,
        what="the redelivered join events",
    )
    assert quantity() == 2 and view(api, owner)["seats"] == 2


def test_webhooks_delivered_by_localstripe_are_verified_and_applied(api: httpx.Client, stack: Stack) -> None:
    owner = billed_owner(api)
    sub_id = record(stack, owner).subscription_id
    created = f"(customer.subscription.created) applied for {owner.account_id}"
    wait_for(lambda: created in stack.host_log(), what="localstripe's customer.subscription.created delivered")
    ls(stack, "DELETE", f"/v1/subscriptions/{sub_id}")  # canceled in the Stripe dashboard
    wait_view(api, owner, "the cancellation delivered by localstripe", lambda v: v["status"] == "canceled")
    last = record(stack, owner).transitions[-1]
    assert last.to_status == "canceled" and last.cause.startswith("customer.subscription.deleted evt_")
    event_id = last.cause.split()[-1]
    assert store(stack).is_processed(owner.account_id, event_id)


def _changed_card_at_stripe(stack: Stack, customer_id: str) -> None:
    """The default card changed in the Stripe dashboard: localstripe then emits customer.updated only, which this
    module's endpoint does not subscribe to, so the account learns of it only through the next event applied."""
    pm = ls(
        stack,
        "POST",
        "/v1/payment_methods",
        data={
            "type": "card",
            "card[number]": "5555555555554444",
            "card[exp_month]": "12",
            "card[exp_year]": "2031",
            "card[cvc]": "123",
        },
    )
    ls(stack, "POST", f"/v1/payment_methods/{pm['id']}/attach", data={"customer": customer_id})
    ls(stack, "POST", f"/v1/customers/{customer_id}", data={"invoice_settings[default_payment_method]": pm["id"]})


def test_a_replayed_event_is_ignored(api: httpx.Client, stack: Stack) -> None:
    owner = billed_owner(api)
    save_card(api, stack, owner, OK_CARD)
    rec = record(stack, owner)
    payload = stripe_event(
        "customer.subscription.updated", ls(stack, "GET", f"/v1/subscriptions/{rec.subscription_id}")
    )
    header = sign(payload, int(time.time()), webhook_secret(stack.settings))
    first = deliver(stack, payload, header)
    assert first.status_code == 200 and first.json()["outcome"] == "applied"
    _changed_card_at_stripe(stack, rec.customer_id)
    replay = deliver(stack, payload, header)
    assert replay.status_code == 200 and replay.json()["outcome"] == "duplicate"
    assert store(stack).is_processed(owner.account_id, json.loads(payload)["id"])  # recorded once, not re-applied
    fresh = deliver_signed(
        stack,
        stripe_event(
            "customer.subscription.updated",
            {"object": "subscription", "id": rec.subscription_id, "customer": rec.customer_id},
        ),
    )
    assert fresh.json()["outcome"] == "applied" and view(api, owner)["paymentMethod"]["last4"] == "4444"


def test_forged_stale_future_and_altered_deliveries_are_refused(api: httpx.Client, stack: Stack) -> None:
    owner = billed_owner(api)
    save_card(api, stack, owner, OK_CARD)
    rec = record(stack, owner)
    _changed_card_at_stripe(stack, rec.customer_id)  # what any accepted event would now apply
    payload = stripe_event(
        "customer.subscription.updated",
        {"object": "subscription", "id": rec.subscription_id, "customer": rec.customer_id},
    )
    event_id = json.loads(payload)["id"]
    secret, now = webhook_secret(stack.settings), int(time.time())
    attempts = {
        "no signature": (payload, None),
        "bad signature": (payload, sign(payload, now, "whsec_not_the_secret")),
        "stale timestamp": (payload, sign(payload, now - 600, secret)),
        "a day in the future": (payload, sign(payload, now + 86400, secret)),
        "body altered after signing": (
            payload.replace(b'"livemode": false', b'"livemode": true'),
            sign(payload, now, secret),
        ),
    }
    for what, (body, header) in attempts.items():
        r = deliver(stack, body, header)
        assert r.status_code == 400, what
        assert r.json()["type"].endswith("/invalid-signature"), what
    # None of them was recorded or applied. (The stored card itself is not compared: an event localstripe
    # delivers late for this customer, e.g. subscription.created, legitimately reads the new card too.)
    assert not store(stack).is_processed(owner.account_id, event_id)
    ok = deliver(stack, payload, sign(payload, now, secret))  # the very same event, signed: applied
    assert ok.status_code == 200 and ok.json()["outcome"] == "applied"
    assert view(api, owner)["paymentMethod"]["last4"] == "4444"


def test_payment_failure_past_due_then_suspended_after_grace_then_active_on_payment(
    api: httpx.Client,
    stack: Stack,
) -> None:
    owner = billed_owner(api)
    save_card(api, stack, owner, DECLINED_CARD)
    rec = record(stack, owner)
    # Renewal: Stripe makes the invoice and charges the card; localstripe has to be asked to.
    invoice = ls(stack, "POST", "/v1/invoices", data={"customer": rec.customer_id, "subscription": rec.subscription_id})
    charged = ls(stack, "POST", f"/v1/invoices/{invoice['id']}/pay")
    assert charged["status"] == "open"  # declined
    # localstripe emits nothing for a declined card: deliver what Stripe would.
    failed = deliver_signed(stack, stripe_event("invoice.payment_failed", charged))
    assert failed.status_code == 200 and failed.json()["outcome"] == "applied", failed.text
    shown = view(api, owner)
    assert shown["status"] == "past_due" and shown["lastInvoiceStatus"] == "open"
    since = datetime.fromisoformat(shown["statusSince"])  # when the grace period ends, for the portal's banner
    assert datetime.fromisoformat(shown["graceEndsAt"]) - since == timedelta(days=GRACE_DAYS)
    notice = record(stack, owner).payment_failed_notice
    assert notice is not None and notice.invoice_id == invoice["id"] and notice.queued_at is not None
    again = deliver_signed(stack, stripe_event("invoice.payment_failed", charged))  # Stripe's retry, failing again
    assert again.json()["outcome"] == "applied"
    assert record(stack, owner).payment_failed_notice == notice  # one notice for the failure
    wait_for_mail(owner.email, subject="payment did not go through")  # through the e-mail outbox

    warm = api.post("/me/locations", json={"pings": [ping(datetime.now(UTC))]}, headers=owner.auth)
    assert warm.status_code == 202, warm.text  # the ingest gate is built and in use (docs/tracking.md) ...

    def suspended() -> bool:
        fire(stack, "suspend_overdue_billing")
        return bool(view(api, owner)["status"] == "suspended")

    wait_for(suspended, timeout=30, interval=0.5, what="the grace timer to suspend the account")
    refused = api.post("/me/locations", json={"pings": [ping(datetime.now(UTC))]}, headers=owner.auth)
    assert refused.status_code == 403 and refused.json()["type"].endswith("/account-suspended")  # ... the next call
    assert api.get("/me", headers=owner.auth).status_code == 200  # read-only, nothing deleted
    # Every write that adds data or seats is refused (core/services/suspension.py) and stores nothing ...
    for path, body in [
        ("/me/photos", {"contentType": "image/jpeg", "sizeBytes": 1000}),
        ("/me/notes", {"text": "written while suspended"}),
        (f"/accounts/{owner.account_id}/invitations", {"email": f"{rid()}@example.com"}),
    ]:
        blocked = api.post(path, json=body, headers=owner.auth)
        assert blocked.status_code == 403 and blocked.json()["type"].endswith("/account-suspended"), (
            path,
            blocked.text,
        )
    assert api.get("/me/notes", headers=owner.auth).json()["items"] == []
    assert api.get(f"/accounts/{owner.account_id}/photos", headers=owner.auth).json()["items"] == []
    # ... while reading and exporting stay allowed.
    export = api.post("/me/data-requests", json={"type": "access"}, headers=owner.auth)
    assert export.status_code == 202, export.text
    assert len(wait_for_mail(owner.email, subject="payment did not go through")) == 1  # the owner is told once
    transitions = record(stack, owner).transitions
    # Into past_due on a Stripe event: each event makes the service read Stripe's current state, so a late event
    # from localstripe (customer.subscription.*) read after the declined charge may be the one that moved it.
    assert transitions[-2].to_status == "past_due"
    assert transitions[-2].cause.startswith(("invoice.payment_failed evt_test_", "customer.subscription."))
    assert transitions[-1].cause == f"grace period of {GRACE_DAYS:g} days ended unpaid (timer)"

    save_card(api, stack, owner, OK_CARD)  # the owner fixes the card ...
    assert view(api, owner)["status"] == "suspended"  # ... which alone pays nothing
    paid = ls(stack, "POST", f"/v1/invoices/{invoice['id']}/pay")  # Stripe's next attempt
    assert paid["status"] == "paid"
    shown = wait_view(
        api, owner, "invoice.payment_succeeded delivered by localstripe", lambda v: v["status"] == "active"
    )
    assert shown["lastInvoiceStatus"] == "paid" and shown["paymentMethod"]["last4"] == "4242"
    last = record(stack, owner).transitions[-1]
    assert (last.from_status, last.to_status) == ("suspended", "active")
    assert last.cause.startswith("invoice.payment_succeeded evt_") and "evt_test_" not in last.cause
    taken = api.post("/me/locations", json={"pings": [ping(datetime.now(UTC))]}, headers=owner.auth)
    assert taken.status_code == 202, taken.text  # ingest accepted again
    assert api.post("/me/notes", json={"text": "paid again"}, headers=owner.auth).status_code == 201


def test_billing_endpoints_are_the_owners_alone(api: httpx.Client, owner: User, member: User) -> None:
    other = register_owner(api)
    missing = "00000000-0000-0000-0000-000000000000"
    for method, suffix in (("GET", "billing"), ("POST", "billing/setup"), ("POST", "billing/setup-intent")):
        ref = api.request(method, f"/accounts/{missing}/{suffix}", headers=owner.auth)
        foreign = api.request(method, f"/accounts/{other.account_id}/{suffix}", headers=owner.auth)
        assert foreign.status_code == ref.status_code == 404 and foreign.json() == ref.json(), suffix
        assert api.request(method, f"/accounts/{owner.account_id}/{suffix}", headers=member.auth).status_code == 403
    assert api.get(f"/accounts/{owner.account_id}/billing").status_code == 401


def test_card_numbers_are_refused_everywhere_and_never_logged(api: httpx.Client, stack: Stack, owner: User) -> None:
    numbers = ["4242424242424242", "4242 4242 4242 4242", "4000-0000-0000-0341", "5555555555554444", "378282246310005"]
    before = api.get("/me", headers=owner.auth).json()
    cases = [
        ("PATCH", "/me", {"phone": "4242424242424242"}, "phone"),
        ("PATCH", "/me", {"fullName": "Ada 4242 4242 4242 4242"}, "fullName"),
        ("POST", "/me/notes", {"text": "paid with 4000-0000-0000-0341 exp 12/30"}, "text"),
        (
            "POST",
            f"/accounts/{owner.account_id}/invitations",
            {"email": "x@example.com", "fullName": "5555555555554444"},
            "fullName",
        ),
    ]
    for method, path, body, field in cases:
        r = api.request(method, path, json=body, headers=owner.auth)
        assert r.status_code == 422, (path, field, r.status_code)
        assert [e["field"] for e in r.json()["errors"]] == [field]
        assert not any(n in r.text for n in numbers), "the answer echoes the number"
    newcomer = new_identity()
    registration = registration_body(email=newcomer.email)
    registration["billingAddress"] = {**registration["billingAddress"], "line1": "378282246310005"}
    r = api.post("/accounts", json=registration, headers=newcomer.auth)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "billingAddress.line1"
    assert api.get("/me", headers=newcomer.auth).status_code == 403  # nothing was stored
    assert api.get("/me", headers=owner.auth).json() == before
    assert api.get("/me/notes", headers=owner.auth).json()["items"] == []
    ok = api.patch("/me", json={"phone": "+1 612 746 4017"}, headers=owner.auth)
    assert ok.status_code == 200  # an ordinary phone number passes the same way
    log = stack.host_log()
    leaked = [i for i, n in enumerate(numbers) if n in log]
    assert not leaked, f"card numbers (by index) found in the host log: {leaked}"


def test_no_stripe_secret_reaches_the_host_log(stack: Stack) -> None:
    log = stack.host_log()
    assert "_secret_" not in log, "a SetupIntent client secret was logged"
    assert webhook_secret(stack.settings) not in log and api_key(stack.settings) not in log
