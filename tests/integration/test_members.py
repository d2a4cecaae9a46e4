"""Invitations (single use, bound to the invited address), listing and removing members."""

from __future__ import annotations

import httpx

from tests.integration.conftest import User, add_member, new_identity


def test_invited_member_joins_and_is_listed(api: httpx.Client, owner: User) -> None:
    member = add_member(api, owner)
    me = api.get("/me", headers=member.auth).json()
    assert me["role"] == "member" and me["accountId"] == owner.account_id
    listed = api.get(f"/accounts/{owner.account_id}/members", headers=owner.auth).json()["items"]
    assert {m["userId"] for m in listed} == {owner.user_id, member.user_id}


def test_invitation_is_single_use_and_bound_to_its_address(api: httpx.Client, owner: User) -> None:
    invited = new_identity()
    token = api.post(
        f"/accounts/{owner.account_id}/invitations", json={"email": invited.email}, headers=owner.auth
    ).json()["token"]
    stranger = new_identity()
    assert api.post(f"/invitations/{token}/accept", json={}, headers=stranger.auth).status_code == 403
    assert api.post(f"/invitations/{token}/accept", json={}, headers=invited.auth).status_code == 201
    again = new_identity()
    assert api.post(f"/invitations/{token}/accept", json={}, headers=again.auth).status_code == 410
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert api.post(f"/invitations/{tampered}/accept", json={}, headers=invited.auth).status_code == 410


def test_members_cannot_use_owner_endpoints(api: httpx.Client, owner: User, member: User) -> None:
    assert api.get(f"/accounts/{owner.account_id}/members", headers=member.auth).status_code == 403
    r = api.post(f"/accounts/{owner.account_id}/invitations", json={"email": "x@example.com"}, headers=member.auth)
    assert r.status_code == 403
    assert api.delete(f"/accounts/{owner.account_id}/members/{owner.user_id}", headers=member.auth).status_code == 403


def test_removed_member_loses_access_at_once(api: httpx.Client, owner: User, member: User) -> None:
    assert api.get("/me", headers=member.auth).status_code == 200
    r = api.delete(f"/accounts/{owner.account_id}/members/{member.user_id}", headers=owner.auth)
    assert r.status_code == 204
    r = api.get("/me", headers=member.auth)
    assert r.status_code == 403 and r.json()["type"].endswith("/access-ended")
    listed = api.get(f"/accounts/{owner.account_id}/members", headers=owner.auth).json()["items"]
    assert member.user_id not in {m["userId"] for m in listed}
    assert api.delete(f"/accounts/{owner.account_id}/members/{member.user_id}", headers=owner.auth).status_code == 404


def test_owner_cannot_be_removed(api: httpx.Client, owner: User) -> None:
    r = api.delete(f"/accounts/{owner.account_id}/members/{owner.user_id}", headers=owner.auth)
    assert r.status_code == 409
