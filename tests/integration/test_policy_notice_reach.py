"""Issue 13 point 2: a policy notice reaches every user of every account exactly once. Owners verify through the
link in their e-mail; members join through the link in the invitation e-mail, which counts as verifying that
address; a member who then changes address verifies the new one. The notice timer runs twice and the queue
delivers every notice message again: still one notice each, and none to an address nobody proved."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from core.adapters.queues import queue_client
from core.services.policy import notice_id
from tests.helpers import rid, wait_for
from tests.integration.conftest import Stack, User, bearer, new_identity, register_owner
from tests.integration.test_email import (
    invitation_of,
    local_container,
    mails_to,
    verification_link,
    verify_owner,
    verify_path,
    wait_for_mail,
)


@pytest.fixture(scope="module")
def admin() -> User:
    return new_identity(admin=True)


def join_through_the_emailed_invitation(api: httpx.Client, owner: User) -> User:
    """Follow the invitation e-mail's link (the portal's join page, which reads the API's preview) and accept it the
    way the preview says."""
    member = new_identity()
    r = api.post(
        f"/accounts/{owner.account_id}/invitations",
        json={"email": member.email, "fullName": "Worker"},
        headers=owner.auth,
    )
    assert r.status_code == 201, r.text
    [mail] = wait_for_mail(member.email, subject="invites you to join")
    [link] = mail.links("/join?invitation=")  # the portal's join page, which shows the API's preview
    preview_path = f"/invitations/{quote(invitation_of(link), safe='')}"
    preview = api.get(preview_path)
    assert preview.status_code == 200, preview.text
    assert preview.json()["acceptMethod"] == "POST" and preview.json()["email"] == member.email
    r = api.post(preview.json()["acceptPath"].removeprefix("/api"), json={}, headers=member.auth)
    assert r.status_code == 201, r.text
    gone = api.get(preview_path)  # the link works once
    assert gone.status_code == 410 and gone.headers["content-type"] == "application/problem+json"
    member.account_id = owner.account_id
    return member


def test_every_user_of_every_account_gets_the_notice_exactly_once(api: httpx.Client, stack: Stack, admin: User) -> None:
    owner_a, owner_b = register_owner(api), register_owner(api)
    verify_owner(api, owner_a)
    verify_owner(api, owner_b)
    invited_a, invited_b = (
        join_through_the_emailed_invitation(api, owner_a),
        join_through_the_emailed_invitation(api, owner_b),
    )
    for member in (invited_a, invited_b):  # the accepted invitation proved the address: no link needed
        prefs = api.get("/me/email-preferences", headers=member.auth).json()
        assert prefs["verified"] is True and prefs["email"] == member.email, prefs
    # A member who joined, then moved to a new address and verified it through the link.
    moved = join_through_the_emailed_invitation(api, owner_a)
    new_address = f"{rid('moved-')}@example.com"
    assert api.patch("/me", json={"email": new_address}, headers=moved.auth).status_code == 200
    [confirm] = wait_for_mail(new_address, subject="Confirm your e-mail address")
    assert api.post(verify_path(verification_link(confirm))).status_code == 200
    never_verified = register_owner(api)  # no address proven: legal mail never goes to an unproven address

    r = api.post(
        "/admin/policy/versions",
        json={"text": "# Policy\n\nEvery user is told.", "summary": "Everyone gets this notice."},
        headers=admin.auth,
    )
    assert r.status_code == 201, r.text
    version_id = r.json()["versionId"]
    recipients = {
        owner_a.user_id: owner_a.email,
        owner_b.user_id: owner_b.email,
        invited_a.user_id: invited_a.email,
        invited_b.user_id: invited_b.email,
        moved.user_id: new_address,
    }

    def fire_notices() -> None:
        assert httpx.post(f"{stack.host_url}/admin/functions/send_policy_notices", timeout=10).status_code == 202

    def notices(address: str) -> list[str]:
        return [m.subject for m in mails_to(address) if f"({version_id})" in m.text]

    fire_notices()
    for address in recipients.values():
        wait_for(lambda a=address: notices(a), timeout=60, what=f"the notice to {address}")  # type: ignore[misc]  # the lambda's default binds this loop's value; mypy cannot infer a lambda default's type
    fire_notices()  # the job runs again
    deps = local_container()
    for user_id in recipients:  # and the queue delivers every notice message again
        deps.outbox.dispatch(notice_id(version_id, user_id))
    outbox_queue = queue_client(deps.queue_service, deps.settings.queue_email_outbox)
    wait_for(
        lambda: outbox_queue.get_queue_properties().approximate_message_count == 0,
        timeout=60,
        what="the outbox queue to drain",
    )
    for user_id, address in recipients.items():
        assert len(notices(address)) == 1, (address, notices(address))
        state = api.get(f"/admin/email/outbox/{notice_id(version_id, user_id)}", headers=admin.auth).json()
        assert state["state"] == "sent" and state["attempts"] == 1 and state["category"] == "legal", state
    assert notices(moved.email) == []  # the address the member left behind is not told
    assert notices(never_verified.email) == []
    assert (
        api.get(
            f"/admin/email/outbox/{notice_id(version_id, never_verified.user_id)}", headers=bearer(admin.token)
        ).status_code
        == 404
    )
