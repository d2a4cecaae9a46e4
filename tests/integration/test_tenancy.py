"""Two accounts try every endpoint on each other's resources: each answer is the 404 of a missing id."""

from __future__ import annotations

from typing import Any

import httpx

from tests.integration.conftest import add_member, register_owner


def _shape(r: httpx.Response) -> tuple[int, str, Any]:
    return r.status_code, r.headers.get("content-type", ""), r.json()


def test_cross_account_requests_look_exactly_like_missing_ids(api: httpx.Client) -> None:
    a_owner = register_owner(api)
    a_member = add_member(api, a_owner)
    b_owner = register_owner(api)
    b_member = add_member(api, b_owner)
    missing = "00000000-0000-0000-0000-000000000000"
    before_b = api.get(f"/accounts/{b_owner.account_id}/members", headers=b_owner.auth).json()

    probes: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", "/accounts/{acc}/members", None),
        ("POST", "/accounts/{acc}/invitations", {"email": "intruder@example.com"}),
        ("DELETE", "/accounts/{acc}/members/{user}", None),
    ]
    tried = 0
    for method, template, body in probes:
        reference = api.request(method, template.format(acc=missing, user=missing), json=body, headers=a_owner.auth)
        assert reference.status_code == 404
        for target_user in (b_owner.user_id, b_member.user_id, missing):
            path = template.format(acc=b_owner.account_id, user=target_user)
            r = api.request(method, path, json=body, headers=a_owner.auth)
            tried += 1
            assert _shape(r) == _shape(reference), f"{method} {path}"
    # A's member gets the same answers on B's account as on a missing one.
    for method, template, body in probes:
        ref = api.request(method, template.format(acc=missing, user=missing), json=body, headers=a_member.auth)
        r = api.request(
            method, template.format(acc=b_owner.account_id, user=b_member.user_id), json=body, headers=a_member.auth
        )
        tried += 1
        assert _shape(r) == _shape(ref)
    # A's owner cannot remove B's member through A's own account path either.
    r = api.delete(f"/accounts/{a_owner.account_id}/members/{b_member.user_id}", headers=a_owner.auth)
    assert r.status_code == 404
    assert api.get(f"/accounts/{b_owner.account_id}/members", headers=b_owner.auth).json() == before_b
    assert api.get("/me", headers=b_member.auth).status_code == 200
    assert tried >= 12
