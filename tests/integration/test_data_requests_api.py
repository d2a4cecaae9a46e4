"""Data-subject requests over HTTP: export through the queue into the private exports container with an expiring
read-only link, erasure, the California disclosure, and requests that never reach another user."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timedelta
from typing import Any

import httpx

from core.adapters.cosmos import CosmosAccountStore, build_cosmos_client
from tests.helpers import wait_for
from tests.integration.conftest import Stack, User, add_member, register_owner


def completed(api: httpx.Client, user: User, request_id: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        r = api.get(f"/me/data-requests/{request_id}", headers=user.auth)
        assert r.status_code == 200, r.text
        return r.json() if r.json()["status"] == "completed" else None

    return wait_for(done, timeout=60, what="the data request to complete")


def export(api: httpx.Client, user: User) -> zipfile.ZipFile:
    r = api.post("/me/data-requests", json={"type": "access"}, headers=user.auth)
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "received"
    done = completed(api, user, r.json()["requestId"])
    expires = datetime.fromisoformat(done["downloadExpiresAt"])
    received = datetime.fromisoformat(done["receivedAt"])
    assert timedelta(hours=23) < expires - received <= timedelta(hours=24, minutes=5)
    url = done["downloadUrl"]
    assert "sp=r" in url and "se=" in url  # read-only, expiring
    assert httpx.get(url.split("?")[0], timeout=10).status_code in (403, 404)  # private without the link
    blob = httpx.get(url, timeout=30)
    assert blob.status_code == 200
    return zipfile.ZipFile(io.BytesIO(blob.content))


def test_export_holds_exactly_my_data_and_files_parse(api: httpx.Client, stack: Stack, owner: User) -> None:
    member = add_member(api, owner)
    events = CosmosAccountStore(build_cosmos_client(stack.settings).get_database_client(stack.settings.cosmos_database))
    wait_for(
        lambda: [e for e in events.list_events(owner.account_id) if e.user_id == member.user_id],
        what="the member's join event",
    )  # recorded from a queue
    pending = f"pending-{member.user_id}@example.com"  # an address change waiting for its link is exported too
    assert api.patch("/me", json={"phone": "+1 612 555 0100", "email": pending}, headers=member.auth).status_code == 200
    zf = export(api, member)
    assert [s["pending_address"] for s in json.loads(zf.read("email-address.json"))] == [pending]
    names = set(zf.namelist())
    assert {"profile.json", "sign-in-record.json", "data-requests.json", "README.txt"} <= names
    for name in names:
        if name.endswith((".json", ".geojson")):
            json.loads(zf.read(name))
    profile = json.loads(zf.read("profile.json"))
    assert [p["user_id"] for p in profile] == [member.user_id] and profile[0]["phone"] == "+1 612 555 0100"
    assert owner.user_id not in zf.read("profile.json").decode()
    events = json.loads(zf.read("account-events.json"))
    assert events and {e["userId"] for e in events} == {member.user_id}
    readme = zf.read("README.txt").decode()
    assert all(n in readme for n in names)


def test_erasure_then_export_shows_nothing_personal(api: httpx.Client, stack: Stack, owner: User) -> None:
    member = add_member(api, owner)
    events = CosmosAccountStore(build_cosmos_client(stack.settings).get_database_client(stack.settings.cosmos_database))
    # The join event is recorded from a queue; let it land first so the erasure finds it.
    wait_for(
        lambda: [e for e in events.list_events(owner.account_id) if e.user_id == member.user_id],
        what="the member's join event",
    )
    pending = f"pending-{member.user_id}@example.com"
    api.patch(
        "/me", json={"phone": "+1 612 555 0199", "fullName": "Pat Example", "email": pending}, headers=member.auth
    )
    r = api.post("/me/data-requests", json={"type": "erasure"}, headers=member.auth)
    assert r.status_code == 202
    done = completed(api, member, r.json()["requestId"])
    assert done["erased"]["profiles"] == 1
    assert {k["category"] for k in done["retained"]} >= {"sign-in-records", "privacy-requests-and-audit"}
    zf = export(api, member)
    text = "".join(zf.read(n).decode() for n in zf.namelist() if n.endswith(".json") and n != "data-requests.json")
    for personal in ("Pat Example", "555 0199", member.email, pending):
        assert personal not in text
    assert json.loads(zf.read("account-events.json")) == []
    # The owner's data is untouched.
    assert api.get("/me", headers=owner.auth).json()["fullName"] == "Ada Owner"


def test_california_disclosure_and_due_dates(api: httpx.Client, owner: User) -> None:
    r = api.post("/me/data-requests", json={"type": "california-disclosure"}, headers=owner.auth)
    assert r.status_code == 202
    body = r.json()
    assert body["status"] == "completed" and body["disclosure"]["thirdParties"] == []
    received = datetime.fromisoformat(body["receivedAt"])
    assert datetime.fromisoformat(body["dueAt"]) - received == timedelta(days=45)
    rect = api.post(
        "/me/data-requests", json={"type": "rectification", "details": "my start date is wrong"}, headers=owner.auth
    ).json()
    assert datetime.fromisoformat(rect["dueAt"]) - datetime.fromisoformat(rect["receivedAt"]) == timedelta(days=30)
    listed = api.get("/me/data-requests", headers=owner.auth).json()["items"]
    assert {i["requestId"] for i in listed} == {body["requestId"], rect["requestId"]}
    assert api.post("/me/data-requests", json={"type": "everything"}, headers=owner.auth).status_code == 422


def test_another_users_request_is_not_found(api: httpx.Client, owner: User) -> None:
    member = add_member(api, owner)
    stranger = register_owner(api)
    mine = api.post("/me/data-requests", json={"type": "rectification"}, headers=member.auth).json()["requestId"]
    ref = api.get("/me/data-requests/00000000-0000-0000-0000-000000000000", headers=owner.auth)
    assert ref.status_code == 404
    for other in (owner, stranger):  # the owner of the same account does not see a member's request either
        r = api.get(f"/me/data-requests/{mine}", headers=other.auth)
        assert r.status_code == 404 and r.json() == ref.json()
        assert mine not in {i["requestId"] for i in api.get("/me/data-requests", headers=other.auth).json()["items"]}


def test_export_file_is_deleted_by_the_purge_once_its_link_expired(
    api: httpx.Client, stack: Stack, owner: User
) -> None:
    from core.adapters.cosmos_privacy import CosmosPrivacyStore
    from tests.integration.conftest import new_identity
    from tests.integration.test_retention_api import fire_purge

    r = api.post("/me/data-requests", json={"type": "access"}, headers=owner.auth)
    done = completed(api, owner, r.json()["requestId"])
    assert httpx.get(done["downloadUrl"], timeout=30).status_code == 200
    store = CosmosPrivacyStore(build_cosmos_client(stack.settings).get_database_client(stack.settings.cosmos_database))
    request = store.get_request(owner.account_id, done["requestId"])
    assert request is not None and request.download_expires_at is not None
    store.put_request(
        request.model_copy(update={"download_expires_at": request.download_expires_at - timedelta(hours=25)})
    )
    run = fire_purge(api, stack, new_identity(admin=True))
    assert run["deleted"].get("data-exports", 0) >= 1
    assert httpx.get(done["downloadUrl"], timeout=30).status_code == 404
    after = api.get(f"/me/data-requests/{done['requestId']}", headers=owner.auth).json()
    assert after["downloadUrl"] is None and after["status"] == "completed"
