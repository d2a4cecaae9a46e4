"""GET /api/accounts/{accountId}/member-overview (issue 30) against the emulators: the members page in one request,
with search, both sorts, server paging, sharing states, zone counts, and the stored search keys after an erasure
of the profile (the erased name is no longer found)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from core import schema
from core.adapters.cosmos import CosmosAccountStore, build_cosmos_client
from core.domain.accounts import Member
from scripts import dev_issuer
from tests.helpers import rid, wait_for
from tests.integration.conftest import Stack, User, add_member, register_owner
from tests.integration.test_data_requests_api import completed, export
from tests.integration.tracking_helpers import latest, ping, post, set_location_consent


def _overview(api: httpx.Client, owner: User, **params: str) -> httpx.Response:
    return api.get(f"/accounts/{owner.account_id}/member-overview", params=params, headers=owner.auth)


def _join(api: httpx.Client, owner: User, name: str, email_local: str) -> User:
    user_id = rid("u-")
    email = f"{email_local}-{user_id}@example.com"
    member = User(user_id=user_id, email=email, token=dev_issuer.mint(user_id, email), account_id=owner.account_id)
    r = api.post(
        f"/accounts/{owner.account_id}/invitations", json={"email": member.email, "fullName": name}, headers=owner.auth
    )
    assert r.status_code == 201, r.text
    assert api.post(f"/invitations/{r.json()['token']}/accept", json={}, headers=member.auth).status_code == 201
    return member


def _all_pages(api: httpx.Client, owner: User, **params: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    token: str | None = None
    for _ in range(20):
        r = _overview(api, owner, **params, **({"continuation": token} if token else {}))
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["items"]) <= int(params.get("limit", "50"))
        rows += body["items"]
        token = body["continuation"]
        assert token == r.headers.get("x-continuation")
        if token is None:
            return rows
    raise AssertionError("the pages never ended")


def test_members_page_search_sort_paging_and_states(api: httpx.Client, owner: User) -> None:
    ann = _join(api, owner, "Ann Zeller", "ann")
    bob = _join(api, owner, "bob Young", "robert")
    cy = _join(api, owner, "Cy Xu", "cy")
    set_location_consent(api, bob, True)
    set_location_consent(api, cy, True)
    set_location_consent(api, cy, False)
    now = datetime.now(UTC) + timedelta(milliseconds=200)  # taken after the consent was recorded
    assert post(api, bob, [ping(now)])["accepted"] == 1
    assert (
        api.post(
            "/me/private-zones", json={"latitude": 10, "longitude": 10, "radiusMeters": 200}, headers=bob.auth
        ).status_code
        == 201
    )
    wait_for(lambda: latest(api, owner)[bob.user_id]["position"], timeout=30, interval=0.3, what="bob's fix")

    by_name = _all_pages(api, owner, limit="2")
    names = [r["fullName"] for r in by_name]
    assert names == ["Ada Owner", "Ann Zeller", "bob Young", "Cy Xu"]  # case-insensitive, over 2 pages
    rows = {r["userId"]: r for r in by_name}
    assert rows[bob.user_id]["sharing"]["state"] == "sharing"
    assert rows[bob.user_id]["privateZones"] == 1
    assert rows[bob.user_id]["lastSeen"]["place"]["latitude"] == round(44.9778, 3)
    assert rows[cy.user_id]["sharing"]["state"] == "not-sharing"
    assert rows[ann.user_id]["sharing"]["state"] == "not-asked" and rows[ann.user_id]["lastSeen"] is None

    by_seen = [r["userId"] for r in _all_pages(api, owner, sort="lastSeen", limit="2")]
    assert by_seen[0] == bob.user_id and len(by_seen) == 4

    assert [r["fullName"] for r in _all_pages(api, owner, q="BOB")] == ["bob Young"]
    assert [r["fullName"] for r in _all_pages(api, owner, q="robert")] == ["bob Young"]  # e-mail prefix
    assert [r["fullName"] for r in _all_pages(api, owner, q="ann z", sort="lastSeen")] == ["Ann Zeller"]

    invited = api.post(
        f"/accounts/{owner.account_id}/invitations", json={"email": "later@example.com"}, headers=owner.auth
    )
    assert invited.status_code == 201, invited.text
    first = _overview(api, owner, limit="1", invitations="true").json()
    assert [i["email"] for i in first["invitations"]] == ["later@example.com"] and first["invitationsComplete"]
    assert "token" not in first["invitations"][0] or first["invitations"][0]["token"] is None  # no link to reuse
    other = _overview(api, owner, limit="1", q="b", continuation=first["continuation"])
    assert other.status_code == 422 and "query.continuation" in other.text  # bound to its own filters
    assert _overview(api, owner, limit="101").status_code == 422
    assert _overview(api, owner, sort="age").status_code == 422
    assert _overview(api, bob).status_code in (403, 404)


def test_a_removed_member_leaves_the_page(api: httpx.Client, owner: User) -> None:
    member = add_member(api, owner)
    assert member.user_id in {r["userId"] for r in _all_pages(api, owner)}
    assert api.delete(f"/accounts/{owner.account_id}/members/{member.user_id}", headers=owner.auth).status_code == 204
    assert member.user_id not in {r["userId"] for r in _all_pages(api, owner)}
    assert member.user_id not in {r["userId"] for r in _all_pages(api, owner, sort="lastSeen")}


def test_an_erased_profile_is_not_found_by_its_old_name(api: httpx.Client, owner: User) -> None:
    """The stored search keys are derived from the name and e-mail: the erasure replaces them with the profile, and
    the export leaves them out."""
    member = _join(api, owner, "Quinn Erasable", "quinn")
    assert [r["userId"] for r in _all_pages(api, owner, q="quinn e")] == [member.user_id]
    r = api.post("/me/data-requests", json={"type": "erasure"}, headers=member.auth)
    assert r.status_code == 202, r.text
    assert completed(api, member, r.json()["requestId"])["erased"]["profiles"] == 1
    assert _all_pages(api, owner, q="quinn") == []
    assert member.user_id in {r["userId"] for r in _all_pages(api, owner, q="erased member")}
    profile = json.loads(export(api, member).read("profile.json"))
    assert profile and not {"name_key", "email_key"} & set(profile[0])


def test_a_profile_stored_before_the_search_keys_is_listed_and_found(stack: Stack, api: httpx.Client) -> None:
    owner = register_owner(api)
    accounts = build_cosmos_client(stack.settings).get_database_client(stack.settings.cosmos_database)
    container = accounts.get_container_client(schema.ACCOUNTS.name)
    CosmosAccountStore(accounts).put_member(
        Member.model_validate(
            {
                "account_id": owner.account_id,
                "user_id": rid("old-"),
                "role": "member",
                "full_name": "Olde Profile",
                "email": "olde@example.com",
                "time_zone": "UTC",
                "joined_at": datetime.now(UTC),
                "updated_at": datetime.now(UTC),
            }
        )
    )
    [old] = container.query_items(
        "SELECT * FROM c WHERE c.accountId = @a AND c.full_name = 'Olde Profile'",
        parameters=[{"name": "@a", "value": owner.account_id}],
        partition_key=owner.account_id,
    )
    container.replace_item(old["id"], {k: v for k, v in old.items() if k not in ("name_key", "email_key")})  # as before
    assert [r["fullName"] for r in _all_pages(api, owner, q="olde")] == ["Olde Profile"]
    assert [r["fullName"] for r in _all_pages(api, owner)] == ["Ada Owner", "Olde Profile"]
