"""Retention settings and legal holds over HTTP; the purge timer fired on the local host."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers import wait_for
from tests.integration.conftest import Stack, User, add_member, new_identity, register_owner


def fire_purge(api: httpx.Client, stack: Stack, admin: User) -> dict[str, Any]:
    before = {r["runId"] for r in api.get("/platform/purge-runs", headers=admin.auth).json()["items"]}
    assert httpx.post(f"{stack.host_url}/admin/functions/purge_expired_data", timeout=10).status_code == 202

    def finished() -> dict[str, Any] | None:
        runs: list[dict[str, Any]] = api.get("/platform/purge-runs", headers=admin.auth).json()["items"]
        for run in runs:
            if run["runId"] not in before and run["completePass"]:
                return run
        return None

    return wait_for(finished, timeout=60, what="a complete purge run")


def test_retention_settings_owner_changes_within_limits(api: httpx.Client, owner: User, member: User) -> None:
    path = f"/accounts/{owner.account_id}/retention"
    got = api.get(path, headers=member.auth).json()
    assert got["locationDays"] == 365 and got["mediaDays"] is None and got["limits"]["locationMinDays"] == 30
    r = api.put(path, json={"locationDays": 5, "mediaDays": 100000}, headers=owner.auth)
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"locationDays", "mediaDays"}
    assert api.get(path, headers=owner.auth).json()["locationDays"] == 365
    assert api.put(path, json={"locationDays": 60}, headers=member.auth).status_code == 403
    assert api.put(path, json={"unknown": 1}, headers=owner.auth).status_code == 422
    r = api.put(path, json={"locationDays": 60, "mediaDays": 400}, headers=owner.auth)
    assert r.status_code == 200 and r.json()["locationDays"] == 60 and r.json()["mediaDays"] == 400


def test_retention_settings_of_another_account_look_missing(api: httpx.Client, owner: User) -> None:
    other = register_owner(api)
    missing = "00000000-0000-0000-0000-000000000000"
    for method, body in (("GET", None), ("PUT", {"locationDays": 60})):
        ref = api.request(method, f"/accounts/{missing}/retention", json=body, headers=owner.auth)
        r = api.request(method, f"/accounts/{other.account_id}/retention", json=body, headers=owner.auth)
        assert r.status_code == ref.status_code == 404 and r.json() == ref.json()
    assert api.get(f"/accounts/{other.account_id}/retention", headers=other.auth).json()["locationDays"] == 365


def test_legal_holds_are_for_platform_admins_and_purge_reports_them(
    api: httpx.Client, stack: Stack, owner: User
) -> None:
    admin = new_identity(admin=True)
    member = add_member(api, owner)
    body = {"accountId": owner.account_id, "reason": "litigation notice"}
    assert api.post("/platform/legal-holds", json=body, headers=owner.auth).status_code == 403
    assert api.get("/platform/purge-runs", headers=owner.auth).status_code == 403
    r = api.post("/platform/legal-holds", json={**body, "accountId": "no-such-account"}, headers=admin.auth)
    assert r.status_code == 404
    hold = api.post("/platform/legal-holds", json=body, headers=admin.auth)
    assert hold.status_code == 201, hold.text
    member_hold = api.post("/platform/legal-holds", json={**body, "userId": member.user_id}, headers=admin.auth)
    assert member_hold.status_code == 201
    holds = api.get(f"/platform/accounts/{owner.account_id}/legal-holds", headers=admin.auth).json()["items"]
    assert {h["holdId"] for h in holds} == {hold.json()["holdId"], member_hold.json()["holdId"]}

    run = fire_purge(api, stack, admin)
    assert owner.account_id in run["heldAccounts"]
    assert run["gaps"] == []  # every expected kind is wired (core/adapters/privacy_registry.py): none missing

    lifted = api.delete(
        f"/platform/accounts/{owner.account_id}/legal-holds/{hold.json()['holdId']}", headers=admin.auth
    )
    assert lifted.status_code == 200 and lifted.json()["liftedAt"]
    run = fire_purge(api, stack, admin)
    assert owner.account_id not in run["heldAccounts"]
    other = register_owner(api)
    r = api.delete(f"/platform/accounts/{other.account_id}/legal-holds/{hold.json()['holdId']}", headers=admin.auth)
    assert r.status_code == 404


def test_invitations_nobody_accepted_are_purged_after_their_period(
    api: httpx.Client, stack: Stack, owner: User
) -> None:
    from datetime import UTC, datetime, timedelta

    from core.adapters.cosmos import CosmosAccountStore, build_cosmos_client

    database = build_cosmos_client(stack.settings).get_database_client(stack.settings.cosmos_database)
    store = CosmosAccountStore(database)
    member = add_member(api, owner)
    stale = api.post(
        f"/accounts/{owner.account_id}/invitations", json={"email": "never@example.com"}, headers=owner.auth
    ).json()["invitationId"]
    fresh = api.post(
        f"/accounts/{owner.account_id}/invitations", json={"email": "soon@example.com"}, headers=owner.auth
    ).json()["invitationId"]
    container = database.get_container_client("accounts")
    doc = container.read_item(item=f"invitation-{stale}", partition_key=owner.account_id)
    doc["expires_at"] = (datetime.now(UTC) - timedelta(days=31)).isoformat().replace("+00:00", "Z")
    container.upsert_item(doc)

    run = fire_purge(api, stack, new_identity(admin=True))
    assert run["deleted"].get("unanswered-invitations", 0) >= 1
    assert store.get_invitation(owner.account_id, stale) is None
    assert store.get_invitation(owner.account_id, fresh) is not None
    accepted = [
        i
        for i in container.query_items(
            "SELECT * FROM c WHERE c.accountId = @a AND c.docType = 'invitation' AND c.accepted_by = @u",
            parameters=[{"name": "@a", "value": owner.account_id}, {"name": "@u", "value": member.user_id}],
            partition_key=owner.account_id,
        )
    ]
    assert len(accepted) == 1


def test_old_finished_outbox_entries_and_used_link_markers_are_swept(api: httpx.Client, stack: Stack) -> None:
    from datetime import UTC, datetime, timedelta

    from core.adapters.cosmos import build_cosmos_client

    database = build_cosmos_client(stack.settings).get_database_client(stack.settings.cosmos_database)
    outbox = database.get_container_client("outbox")
    old = (datetime.now(UTC) - timedelta(days=120)).isoformat().replace("+00:00", "Z")
    recent = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    ids = {name: f"{name}-{new_identity().user_id}" for name in ("sent", "pending", "fresh")}
    for name, state, at in (("sent", "sent", old), ("pending", "pending", old), ("fresh", "sent", recent)):
        outbox.create_item(
            {
                "id": ids[name],
                "outboxId": ids[name],
                "docType": "outbox",
                "state": state,
                "created_at": at,
                "to_address": "someone@example.com",
            }
        )
    outbox.create_item(
        {
            "id": f"used-click-{ids['sent']}",
            "outboxId": ids["sent"],
            "docType": "link-used",
            "purpose": "click",
            "at": old,
        }
    )
    run = fire_purge(api, stack, new_identity(admin=True))
    assert run["deleted"].get("outbox", 0) >= 2

    def exists(doc_id: str, pk: str) -> bool:
        return bool(
            list(
                outbox.query_items(
                    "SELECT c.id FROM c WHERE c.outboxId = @p AND c.id = @i",
                    parameters=[{"name": "@p", "value": pk}, {"name": "@i", "value": doc_id}],
                    partition_key=pk,
                )
            )
        )

    assert not exists(ids["sent"], ids["sent"]) and not exists(f"used-click-{ids['sent']}", ids["sent"])
    assert exists(ids["pending"], ids["pending"]) and exists(ids["fresh"], ids["fresh"])
