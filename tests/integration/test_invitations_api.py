"""Pending invitations (issue 15): the owner lists them and revokes one, whose link then stops working."""

from __future__ import annotations

import httpx

from tests.integration.conftest import User, new_identity


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
