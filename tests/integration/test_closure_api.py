"""Account closure over HTTP: access ends for every user at once; the platform admin reaches the data within the
window; after it the purge deletes personal data and keeps the billing record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from core.adapters.cosmos import build_cosmos_client
from core.adapters.cosmos_privacy import CosmosPrivacyStore
from core.services.purge_index import mark_due
from tests.helpers import wait_for
from tests.integration.conftest import Stack, User, add_member, new_identity, register_owner
from tests.integration.test_retention_api import fire_purge


def test_closure_ends_access_at_once_and_purges_after_the_window(api: httpx.Client, stack: Stack, owner: User) -> None:
    member = add_member(api, owner)
    admin = new_identity(admin=True)
    # The billing area subscribes the account from a queue: wait for the subscription to exist.
    wait_for(
        lambda: (
            api.get(f"/accounts/{owner.account_id}/billing", headers=owner.auth).json().get("status")
            in ("trialing", "active")
        ),
        timeout=60,
        what="the account's Stripe subscription",
    )
    path = f"/accounts/{owner.account_id}/closure"
    assert api.post(path, json={}, headers=member.auth).status_code == 403
    asked = api.post(path, json={}, headers=owner.auth)
    assert asked.status_code == 200 and asked.json()["status"] == "confirmation-required"
    assert api.get("/me", headers=member.auth).status_code == 200  # asking alone changes nothing
    assert api.post(path, json={"confirm": "wrong"}, headers=owner.auth).status_code == 422

    closed = api.post(
        path, json={"confirm": asked.json()["confirmationPhrase"], "reason": "moving on"}, headers=owner.auth
    )
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["status"] == "closed" and body["retentionDeadline"]
    assert body["confirmationEmail"] == "queued"  # through the e-mail outbox
    assert body["subscription"] == "canceled"  # through the billing area, on localstripe
    assert {k["category"] for k in body["keptAfterClosure"]} >= {"billing-records", "closure-record"}
    for user in (owner, member):
        r = api.get("/me", headers=user.auth)
        assert r.status_code == 403 and r.json()["type"].endswith("/access-ended")

    view = api.get(f"/platform/accounts/{owner.account_id}/privacy", headers=admin.auth)
    assert view.status_code == 200
    assert view.json()["account"]["status"] == "closed" and len(view.json()["members"]) == 2
    assert api.get(f"/platform/accounts/{owner.account_id}/privacy", headers=owner.auth).status_code == 403

    fire_purge(api, stack, admin)  # inside the window: nothing is deleted
    assert api.get(f"/platform/accounts/{owner.account_id}/privacy", headers=admin.auth).json()["data"]["profiles"] == 2

    # Move the retention deadline into the past, as if the window had run out.
    store = CosmosPrivacyStore(build_cosmos_client(stack.settings).get_database_client(stack.settings.cosmos_database))
    record = store.get_closure(owner.account_id)
    assert record is not None
    moved = datetime.now(UTC) - timedelta(minutes=1)
    store.put_closure(record.model_copy(update={"retention_deadline": moved}))
    mark_due(store, account_id=owner.account_id, at=moved, reason="account-closed")  # the closure's index entry
    fire_purge(api, stack, admin)
    after = api.get(f"/platform/accounts/{owner.account_id}/privacy", headers=admin.auth).json()
    assert after["members"] == [] and after["data"]["profiles"] == 0 and after["data"]["sign-in-records"] == 0
    assert after["data"]["billing-records"] == 1 and after["account"]["billing_address"]["city"] == "Plymouth"
    assert after["closure"]["personal_data_purged_at"]
    assert after["data"]["billing-history"] == 1  # kept with the billing records
    for user in (owner, member):
        assert api.get("/me", headers=user.auth).status_code == 403


def test_closure_of_another_account_looks_missing(api: httpx.Client, owner: User) -> None:
    other = register_owner(api)
    missing = "00000000-0000-0000-0000-000000000000"
    ref = api.post(f"/accounts/{missing}/closure", json={}, headers=owner.auth)
    r = api.post(f"/accounts/{other.account_id}/closure", json={}, headers=owner.auth)
    assert r.status_code == ref.status_code == 404 and r.json() == ref.json()
    phrase = api.post(f"/accounts/{owner.account_id}/closure", json={}, headers=owner.auth).json()["confirmationPhrase"]
    r = api.post(f"/accounts/{other.account_id}/closure", json={"confirm": phrase}, headers=owner.auth)
    assert r.status_code == 404
    assert api.get("/me", headers=other.auth).status_code == 200
