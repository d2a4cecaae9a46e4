"""Proof row 11 (issue 9): after the whole suite ran with Stripe test cards, no card number is stored anywhere.

First (in the normal order) this module makes sure the session has handled test cards the way the product does:
cards sent to localstripe directly, as the owner portal's Stripe.js would (a SetupIntent from our API confirmed
against localstripe, then Stripe's webhook to our API, which keeps brand and last four only), and bodies carrying
a card number sent to our own endpoints, which the card guard must refuse. Then, marked `after_all` (moved to the
end of the session by tests/conftest.py), the Luhn scan (tests/card_scan.py, over the stores as
tests/integration/card_store_scan.py walks them) reads:

- the session's devhost log (`stack.log_path`);
- every document of every container of the session's Cosmos database;
- every blob of the session in every blob container: the containers are shared by all sessions, so only blobs
  whose name starts with an account id stored in this session's database (every blob name does) are read;
- the session's queues and their poison queues (peeked: a peek shows at most 32 messages, so nothing is consumed
  or hidden from the host or from the other scans; the figure says how many were not visible).

A canary blob and a canary document, each carrying a test card number, are written first and must be the only
hits (so the scan can fail), then removed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from core import schema
from core.adapters.stripe_billing import LOCALSTRIPE_BASE, api_key, webhook_secret
from tests.helpers import rid, wait_for
from tests.integration.card_store_scan import blob_service, database, scan_session
from tests.integration.conftest import Stack, User, new_identity, register_owner, registration_body

ROW = 11
# The Cosmos emulator's self-signed certificate (COSMOS_VERIFY_TLS=false locally).
pytestmark = pytest.mark.filterwarnings("ignore:Unverified HTTPS request")
# Stripe's documented test cards (they never appear in our API's stores: Stripe keeps them).
VISA, MASTERCARD, AMEX = "4242424242424242", "5555555555554444", "378282246310005"
CANARY_CARD = "4000 0566 5566 5556"  # Visa debit test card, only in the canaries


# ---------------------------------------------------------------- cards going where they may and may not


def _billing_view(api: httpx.Client, owner: User) -> dict[str, Any]:
    r = api.get(f"/accounts/{owner.account_id}/billing", headers=owner.auth)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _stripe_event(kind: str, obj: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "id": f"evt_test_{rid()}",
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": obj},
        }
    ).encode()


def _deliver_signed(stack: Stack, payload: bytes) -> httpx.Response:
    t = int(time.time())
    mac = hmac.new(
        webhook_secret(stack.settings).encode(), str(t).encode() + b"." + payload, hashlib.sha256
    ).hexdigest()
    return httpx.post(
        f"{stack.base_url}/billing/webhook",
        content=payload,
        timeout=30,
        headers={"Content-Type": "application/json", "Stripe-Signature": f"t={t},v1={mac}"},
    )


def test_stripe_test_cards_go_to_localstripe_and_our_api_refuses_them(api: httpx.Client, stack: Stack) -> None:
    owner = register_owner(api)
    wait_for(
        lambda: _billing_view(api, owner)["status"] == "trialing",
        timeout=45,
        interval=0.5,
        what="the account's subscription in trial",
    )

    # The owner portal: a SetupIntent from our API, confirmed with the card against localstripe (as Stripe.js
    # would), then Stripe's setup_intent.succeeded to our webhook. Our API only ever sees ids, brand and last4.
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
            "payment_method_data[card][number]": MASTERCARD,
            "payment_method_data[card][exp_month]": "12",
            "payment_method_data[card][exp_year]": "2031",
            "payment_method_data[card][cvc]": "123",
        },
    )
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "succeeded", confirmed.text
    intent = httpx.get(
        f"{LOCALSTRIPE_BASE}/v1/setup_intents/{seti}",
        timeout=20,
        headers={"Authorization": f"Bearer {api_key(stack.settings)}"},
    ).json()
    r = _deliver_signed(stack, _stripe_event("setup_intent.succeeded", intent))
    assert r.status_code == 200, r.text
    assert _billing_view(api, owner)["paymentMethod"]["last4"] == "4444"  # (localstripe names every brand visa)
    # A card tokenized directly with the publishable key, as Stripe.js' createToken does (localstripe accepts the
    # publishable key on /v1/tokens and SetupIntent confirmation only).
    token = httpx.post(
        f"{LOCALSTRIPE_BASE}/v1/tokens",
        timeout=20,
        data={
            "key": "pk_test_industrack",
            "card[number]": VISA,
            "card[exp_month]": "12",
            "card[exp_year]": "2030",
            "card[cvc]": "123",
        },
    )
    assert token.status_code == 200 and token.json()["card"]["last4"] == "4242", token.status_code

    # Cards sent to our own endpoints: the card guard refuses each body (422 naming the field), nothing stored.
    refused = [
        api.patch("/me", json={"phone": "4242 4242 4242 4242"}, headers=owner.auth),
        api.post(
            "/me/notes",
            json={
                "text": f"company card {MASTERCARD[:4]}-{MASTERCARD[4:8]}-{MASTERCARD[8:12]}-"
                f"{MASTERCARD[12:]} exp 12/31"
            },
            headers=owner.auth,
        ),
        api.post(
            f"/accounts/{owner.account_id}/invitations",
            json={"email": "x@example.com", "fullName": AMEX},
            headers=owner.auth,
        ),
    ]
    assert [r.status_code for r in refused] == [422, 422, 422], [r.text for r in refused]
    newcomer = new_identity()
    body = registration_body(email=newcomer.email)
    body["billingAddress"] = {**body["billingAddress"], "line1": VISA}
    assert api.post("/accounts", json=body, headers=newcomer.auth).status_code == 422
    assert api.get("/me/notes", headers=owner.auth).json()["items"] == []
    ok = api.post("/me/notes", json={"text": "site visit, order 2026-11-29 ref 1764387920123"}, headers=owner.auth)
    assert ok.status_code == 201, ok.text  # an ordinary note with dates and long ids passes


# ---------------------------------------------------------------- the scan (tests/integration/card_store_scan.py)


@pytest.fixture
def canaries(stack: Stack) -> Iterator[list[str]]:
    """A blob and a document of this session carrying a card number: the scan must find exactly these."""
    account = f"card-scan-canary-{rid()}"
    blob_name = f"{account}/canary.json"
    container = database(stack).get_container_client(schema.ACCOUNTS.name)
    blobs = blob_service(stack).get_container_client(schema.EXPORTS_BLOB_CONTAINER)
    doc = {
        "id": f"canary-{rid()}",
        "accountId": account,
        "docType": "card-scan-canary",
        "note": f"pay with {CANARY_CARD}",
    }
    container.create_item(doc)
    blobs.upload_blob(blob_name, json.dumps({"card": CANARY_CARD}).encode())
    try:
        yield [f"cosmos:{schema.ACCOUNTS.name}/{doc['id']}", f"blob:{schema.EXPORTS_BLOB_CONTAINER}/{blob_name}"]
    finally:
        blobs.delete_blob(blob_name)
        container.delete_item(doc["id"], partition_key=account)


@pytest.mark.after_all
def test_no_card_number_in_logs_documents_blobs_or_queues(
    stack: Stack, canaries: list[str], figure: Callable[..., None]
) -> None:
    started = time.monotonic()
    scan = scan_session(stack)
    hits, log_lines, docs, blobs, messages = scan.hits, scan.log_lines, scan.documents, scan.blobs, scan.messages
    accounts, queue_names, not_peeked = scan.accounts, scan.queue_names, scan.not_peeked

    planted = [h for h in hits if h.where in canaries]
    real = [h for h in hits if h.where not in canaries]
    figure(
        ROW,
        f"{1 + docs + blobs + messages} items scanned (1 devhost log of {log_lines} lines, "
        f"{docs} Cosmos documents, {blobs} blobs of {accounts} accounts, {messages} queue "
        f"messages in {queue_names} queues incl. poison, {not_peeked} not peekable); {len(real)} card "
        f"numbers found (+{len(planted)} of {len(canaries)} planted canaries) in "
        f"{time.monotonic() - started:.1f} s",
        items=1 + docs + blobs + messages,
        log_lines=log_lines,
        documents=docs,
        blobs=blobs,
        queue_messages=messages,
        not_peeked=not_peeked,
        hits=len(real),
        canaries_found=len(planted),
    )

    assert [str(h) for h in real] == [], "card numbers stored"
    assert sorted(h.where for h in planted) == sorted(canaries), "the scan missed a planted card number"
    assert all(h.last4 == CANARY_CARD[-4:] for h in planted)
