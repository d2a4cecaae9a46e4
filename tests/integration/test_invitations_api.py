"""Pending invitations (issue 15): the owner lists them and revokes one, whose link then stops working."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx
import pytest

from tests.integration.conftest import User, new_identity

CLOCK = "/admin/test-clock"


@pytest.fixture
def admin() -> User:
    return new_identity(admin=True)


def test_owner_lists_and_revokes_pending_invitations(api: httpx.Client, owner: User, member: User) -> None:
    invitee, other = new_identity(), new_identity()
    sent = [
        api.post(
            f"/accounts/{owner.account_id}/invitations", json={"email": who.email, "fullName": name}, headers=owner.auth
        )
        for who, name in ((invitee, "Ida Invitee"), (other, "Otto Other"))
    ]
    assert [r.status_code for r in sent] == [201, 201], sent[0].text
    listed = api.get(f"/accounts/{owner.account_id}/invitations", headers=owner.auth)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    # The fixture member's invitation was accepted: only the two pending ones are listed, with no token.
    assert [(i["email"], i["fullName"], i["status"]) for i in items] == [
        (invitee.email, "Ida Invitee", "pending"),
        (other.email, "Otto Other", "pending"),
    ]
    assert all(i.get("token") is None for i in items)

    revoked_id = sent[0].json()["invitationId"]
    r = api.delete(f"/accounts/{owner.account_id}/invitations/{revoked_id}", headers=owner.auth)
    assert r.status_code == 204, r.text
    again = api.delete(f"/accounts/{owner.account_id}/invitations/{revoked_id}", headers=owner.auth)
    assert again.status_code == 404
    left = api.get(f"/accounts/{owner.account_id}/invitations", headers=owner.auth).json()["items"]
    assert [i["email"] for i in left] == [other.email]

    accept = api.post(f"/invitations/{sent[0].json()['token']}/accept", json={}, headers=invitee.auth)
    assert accept.status_code == 410, accept.text
    assert api.get(f"/accounts/{owner.account_id}/invitations", headers=member.auth).status_code == 403


def _invite(api: httpx.Client, owner: User, name: str) -> tuple[User, str]:
    invitee = new_identity()
    r = api.post(
        f"/accounts/{owner.account_id}/invitations", json={"email": invitee.email, "fullName": name}, headers=owner.auth
    )
    assert r.status_code == 201, r.text
    return invitee, quote(r.json()["token"], safe="")


def _refusal(r: httpx.Response, code: str) -> str:
    assert r.status_code == 410, r.text
    assert r.headers["content-type"] == "application/problem+json"
    doc = r.json()
    assert doc["type"] == f"https://industrack.com/problems/{code}", doc
    return str(doc["detail"])


def test_the_join_preview_names_the_company_and_says_why_a_link_no_longer_works(
    api: httpx.Client, owner: User, admin: User
) -> None:
    """Issue 29: the join page's data (company, inviter, policy in force, what is collected), and an invitation
    that was used, revoked or has expired says which, on the preview and on accepting."""
    valid, valid_token = _invite(api, owner, "Vera Valid")
    preview = api.get(f"/invitations/{valid_token}")  # no sign-in
    assert preview.status_code == 200, preview.text
    doc = preview.json()
    assert (doc["state"], doc["email"], doc["fullName"]) == ("valid", valid.email, "Vera Valid")
    assert (doc["accountName"], doc["inviterName"]) == ("Field Co", "Ada Owner")
    assert (doc["policyVersion"], doc["policyPath"]) == ("2023-06-15", "/api/policy/versions/2023-06-15")
    assert api.get(doc["policyPath"].removeprefix("/api")).status_code == 200
    assert {p["topic"] for p in doc["collected"]} >= {"location", "photos-notes", "who-sees", "private-zones"}

    used, used_token = _invite(api, owner, "Una Used")
    assert api.post(f"/invitations/{used_token}/accept", json={}, headers=used.auth).status_code == 201
    _refusal(api.get(f"/invitations/{used_token}"), "invitation-used")

    revoked, revoked_token = _invite(api, owner, "Rex Revoked")
    pending = api.get(f"/accounts/{owner.account_id}/invitations", headers=owner.auth).json()["items"]
    [revoked_id] = [i["invitationId"] for i in pending if i["email"] == revoked.email]
    assert api.delete(f"/accounts/{owner.account_id}/invitations/{revoked_id}", headers=owner.auth).status_code == 204
    assert "withdrew" in _refusal(api.get(f"/invitations/{revoked_token}"), "invitation-revoked")
    _refusal(api.post(f"/invitations/{revoked_token}/accept", json={}, headers=revoked.auth), "invitation-revoked")

    later = datetime.now(UTC) + timedelta(hours=73)  # INVITATION_TTL_HOURS is 72
    assert api.put(CLOCK, json={"now": later.isoformat()}, headers=admin.auth).status_code == 200
    try:
        assert "expired" in _refusal(api.get(f"/invitations/{valid_token}"), "invitation-expired")
        _refusal(api.post(f"/invitations/{valid_token}/accept", json={}, headers=valid.auth), "invitation-expired")
    finally:
        assert api.delete(CLOCK, headers=admin.auth).status_code == 200
    assert api.get(f"/invitations/{valid_token}").status_code == 200  # nothing was changed by looking

    # A link that is not genuine says only that it is not valid, and names nothing.
    forged = api.get(f"/invitations/{valid_token[:-3]}abc")
    _refusal(forged, "gone")
    assert "Field Co" not in forged.text and valid.email not in forged.text
