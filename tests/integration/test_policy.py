"""Policy versions over HTTP: public reading without login, posting by a platform admin only (30 days at the
soonest), acknowledgements, and the notice timer: one notice per user and version even when the timer runs three
times at once and the queue delivers the messages again."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from core.adapters.queues import queue_client
from core.services.policy import notice_id
from tests.helpers import wait_for
from tests.integration.conftest import Stack, User, new_identity, register_owner
from tests.integration.test_email import local_container, mails_to, verify_owner, wait_for_mail

TEXT = "# IndusTrack Privacy Policy\n\nA clearer section on location tracking windows."


@pytest.fixture(scope="module")
def admin() -> User:
    return new_identity(admin=True)


def _post(api: httpx.Client, admin: User, **extra: object) -> httpx.Response:
    return api.post(
        "/admin/policy/versions",
        json={"text": TEXT, "summary": "Clearer words on tracking windows.", **extra},
        headers=admin.auth,
    )


def test_the_seed_policy_is_public_and_in_force(api: httpx.Client) -> None:
    r = api.get("/policy")
    assert r.status_code == 200, r.text
    current = r.json()["current"]
    assert current["versionId"] == "2023-06-15" and current["state"] == "current"
    assert current["effectiveAt"].startswith("2023-06-15") and "30 days" in current["text"]
    history = api.get("/policy/versions").json()["items"]
    assert history[-1]["versionId"] == "2023-06-15" and "text" not in history[-1]
    one = api.get("/policy/versions/2023-06-15")
    assert one.status_code == 200 and one.json()["text"] == current["text"]
    assert api.get("/policy/versions/1999-01-01").status_code == 404
    assert api.get("/policy/versions/..%2F..").status_code == 404


def test_only_a_platform_admin_posts_and_never_sooner_than_30_days(api: httpx.Client, owner: User, admin: User) -> None:
    assert api.post("/admin/policy/versions", json={"text": TEXT, "summary": "x y z"}).status_code == 401
    assert _post(api, owner).status_code == 403
    soon = (datetime.now().astimezone() + timedelta(days=29)).isoformat()
    r = _post(api, admin, effectiveAt=soon)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "effectiveAt"
    r = _post(api, admin, postedAt="2020-01-01T00:00:00Z")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "postedAt"
    r = _post(api, admin)
    assert r.status_code == 201, r.text
    version = r.json()
    posted, effective = (datetime.fromisoformat(version[k]) for k in ("postedAt", "effectiveAt"))
    assert effective - posted == timedelta(days=30) and version["state"] == "upcoming"
    now = api.get("/policy").json()
    assert now["current"]["versionId"] == "2023-06-15"  # not in force before its effective date
    assert now["upcoming"]["effectiveAt"] >= version["effectiveAt"]
    # Posted versions are immutable: there is no way to change one.
    for method in ("PUT", "PATCH", "DELETE"):
        r = api.request(
            method, f"/admin/policy/versions/{version['versionId']}", json={"text": "changed"}, headers=admin.auth
        )
        assert r.status_code == 404
    assert api.get(f"/policy/versions/{version['versionId']}").json()["text"] == TEXT


def test_acknowledgements(api: httpx.Client, owner: User, member: User) -> None:
    for user in (owner, member):
        r = api.post("/me/policy-acknowledgements", json={"versionId": "2023-06-15", "app": "ios"}, headers=user.auth)
        assert r.status_code == 201 and r.json()["versionId"] == "2023-06-15" and r.json()["app"] == "ios"
    r = api.post("/me/policy-acknowledgements", json={"versionId": "2024-02-30", "app": "ios"}, headers=owner.auth)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "versionId"
    r = api.post("/me/policy-acknowledgements", json={"versionId": "2023-06-15", "app": "<x>"}, headers=owner.auth)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "app"
    r = api.post(
        "/me/policy-acknowledgements",
        json={"versionId": "2023-06-15", "app": "ios", "userId": member.user_id},
        headers=owner.auth,
    )
    assert r.status_code == 422
    assert api.post("/me/policy-acknowledgements", json={"versionId": "2023-06-15", "app": "ios"}).status_code == 401


@pytest.mark.slow
def test_a_version_posted_today_sends_one_notice_per_user_despite_three_runs_and_redelivery(
    api: httpx.Client, stack: Stack, admin: User
) -> None:
    users = [register_owner(api) for _ in range(3)]
    for user in users:
        verify_owner(api, user)
    unverified = register_owner(api)
    r = _post(api, admin)
    assert r.status_code == 201, r.text
    version_id = r.json()["versionId"]
    effective_date = r.json()["effectiveAt"][:10]

    for _ in range(3):  # three runs, overlapping (the admin endpoint starts each one and answers at once)
        assert httpx.post(f"{stack.host_url}/admin/functions/send_policy_notices", timeout=10).status_code == 202
    for user in users:
        wait_for_mail(user.email, subject=f"changes on {effective_date}")
    # The queue delivers every notice message again, twice.
    deps = local_container()
    for user in users:
        deps.outbox.dispatch(notice_id(version_id, user.user_id))
        deps.outbox.dispatch(notice_id(version_id, user.user_id))
    assert httpx.post(f"{stack.host_url}/admin/functions/send_policy_notices", timeout=10).status_code == 202
    outbox_queue = queue_client(deps.queue_service, deps.settings.queue_email_outbox)
    wait_for(
        lambda: outbox_queue.get_queue_properties().approximate_message_count == 0,
        timeout=60,
        what="the outbox queue to drain",
    )
    for user in users:
        notices = [m for m in mails_to(user.email) if f"({version_id})" in m.text]  # one per version posted
        assert len(notices) == 1, [m.subject for m in notices]
        [notice] = notices
        assert f"changes on {effective_date}" in notice.subject and "Clearer words on tracking windows." in notice.text
        assert notice.header("List-Unsubscribe") is None and "/api/t/" not in notice.html
        state = api.get(f"/admin/email/outbox/{notice_id(version_id, user.user_id)}", headers=admin.auth).json()
        assert state["state"] == "sent" and state["attempts"] == 1 and state["category"] == "legal"
    assert not [m for m in mails_to(unverified.email) if "privacy policy" in m.subject]
