"""Registration, COPPA refusal, and a user's own personal information."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx

from core.adapters.cosmos import build_cosmos_client
from core.services.accounts import refusal_marker_id
from tests.integration.conftest import Stack, User, add_member, new_identity, registration_body


def _fields(r: httpx.Response) -> set[str]:
    return {e["field"] for e in r.json().get("errors", [])}


def _all_docs(stack: Stack, container: str) -> list[dict[str, object]]:
    db = build_cosmos_client(stack.settings).get_database_client(stack.settings.cosmos_database)
    return list(db.get_container_client(container).query_items("SELECT * FROM c", enable_cross_partition_query=True))


def test_registration_creates_account_and_owner(api: httpx.Client) -> None:
    who = new_identity()
    r = api.post("/accounts", json=registration_body(email=who.email), headers=who.auth)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["me"]["role"] == "owner" and body["me"]["userId"] == who.user_id
    assert body["account"]["ownerUserId"] == who.user_id
    assert "dateOfBirth" not in r.text  # asked, checked, not kept
    me = api.get("/me", headers=who.auth).json()
    assert me["accountId"] == body["account"]["accountId"]
    again = api.post("/accounts", json=registration_body(email=who.email), headers=who.auth)
    assert again.status_code == 409


def test_registration_with_bad_fields_names_each_and_stores_nothing(api: httpx.Client, stack: Stack) -> None:
    who = new_identity()
    bad = registration_body(
        fullLegalName="",
        email="not-an-email",
        timeZone="Mars/Olympus",
        dateOfBirth="31-31-2000",
        billingAddress={"line1": "x", "city": "y", "postalCode": "1", "country": "usa"},
    )
    r = api.post("/accounts", json=bad, headers=who.auth)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert {"fullLegalName", "email", "timeZone", "dateOfBirth", "billingAddress.country"} <= _fields(r)
    assert api.get("/me", headers=who.auth).status_code == 403
    assert not [d for d in _all_docs(stack, "users") if d.get("userId") == who.user_id]


def test_registration_refuses_unknown_fields(api: httpx.Client) -> None:
    who = new_identity()
    r = api.post("/accounts", json=registration_body(email=who.email, role="admin", accountId="x"), headers=who.auth)
    assert r.status_code == 422
    assert {"role", "accountId"} <= _fields(r)


def test_under_13_is_refused_keeps_nothing_personal_and_cannot_retry(api: httpx.Client, stack: Stack) -> None:
    who = new_identity()
    today = datetime.now(UTC).date()
    child = date(today.year - 12, today.month, 1).isoformat()
    r = api.post(
        "/accounts",
        json=registration_body(email=who.email, dateOfBirth=child, fullLegalName="Kid Name"),
        headers=who.auth,
    )
    assert r.status_code == 403
    assert "13" not in r.json()["detail"] and "age" not in r.json()["detail"].lower()
    docs = [d for c in ("users", "accounts") for d in _all_docs(stack, c)]
    assert not any("Kid Name" in str(d) or who.email in str(d) or who.user_id in str(d) for d in docs)
    assert any(d["id"] == refusal_marker_id(who.user_id) for d in docs)
    retry = api.post("/accounts", json=registration_body(email=who.email, dateOfBirth="1980-01-01"), headers=who.auth)
    assert retry.status_code == 403


def test_me_update_changes_only_editable_fields(api: httpx.Client, owner: User) -> None:
    r = api.patch("/me", json={"fullName": "Ada Lovelace", "phone": "+1 612 555 0100"}, headers=owner.auth)
    assert r.status_code == 200, r.text
    assert r.json()["fullName"] == "Ada Lovelace"
    before = api.get("/me", headers=owner.auth).json()
    for field, value in (
        ("role", "member"),
        ("accountId", "other"),
        ("userId", "x"),
        ("joinedAt", "2020-01-01T00:00:00Z"),
        ("status", "removed"),
    ):
        r = api.patch("/me", json={field: value}, headers=owner.auth)
        assert r.status_code == 422, field
        assert field in _fields(r)
    assert api.get("/me", headers=owner.auth).json() == before
    r = api.patch("/me", json={"email": "nope", "timeZone": "Nowhere/City"}, headers=owner.auth)
    assert {"email", "timeZone"} <= _fields(r)
    assert api.get("/me", headers=owner.auth).json() == before


def test_the_owner_sets_the_accounts_units_that_members_read_in_me(api: httpx.Client, owner: User) -> None:
    member = add_member(api, owner)
    assert api.get("/me", headers=member.auth).json()["units"] == api.get("/me", headers=owner.auth).json()["units"]
    path = f"/accounts/{owner.account_id}"
    for units in ("imperial", "metric"):
        r = api.patch(path, json={"units": units}, headers=owner.auth)
        assert r.status_code == 200 and r.json()["units"] == units, r.text
        assert api.get("/me", headers=member.auth).json()["units"] == units
    r = api.patch(path, json={"units": "furlongs"}, headers=owner.auth)
    assert r.status_code == 422 and "units" in _fields(r)
    assert api.patch(path, json={"status": "closed"}, headers=owner.auth).status_code == 422  # nothing else
    assert api.patch(path, json={"units": "imperial"}, headers=member.auth).status_code == 403
    assert api.get("/me", headers=member.auth).json()["units"] == "metric"
