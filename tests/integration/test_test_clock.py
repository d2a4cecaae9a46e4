"""Issue 13 point 7: the local test clock moves the app's time through the HTTP API, for every part of the host
(HTTP, queue and timer triggers), and with it one end-to-end journey crosses a 30-day policy effective date and
the March DST change of a worker in America/Chicago. See docs/test-clock.md."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from core.services.policy import notice_id
from tests.helpers import wait_for
from tests.integration.conftest import Stack, User, add_member, bearer, new_identity, register_owner
from tests.integration.test_email import verify_owner
from tests.integration.tracking_helpers import ping, post, set_location_consent, wait_for_stored

CLOCK = "/admin/test-clock"
ALL_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
CST, CDT = timedelta(hours=-6), timedelta(hours=-5)  # America/Chicago before and after 2027-03-14 02:00


@pytest.fixture(scope="module")
def admin() -> User:
    return new_identity(admin=True)


@pytest.fixture
def clock(api: httpx.Client, admin: User) -> Iterator[Any]:
    """Move the clock with `clock(now, frozen=True)`; back to the real time after the test, whatever happens."""
    assert api.delete(CLOCK, headers=admin.auth).status_code == 200

    def move(now: datetime, frozen: bool = True) -> dict[str, Any]:
        r = api.put(CLOCK, json={"now": now.isoformat(), "frozen": frozen}, headers=admin.auth)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    yield move
    assert api.delete(CLOCK, headers=admin.auth).status_code == 200


def local(y: int, mo: int, d: int, h: int, mi: int, offset: timedelta) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=timezone(offset))


def _outbox(api: httpx.Client, admin: User, outbox_id: str) -> dict[str, Any] | None:
    r = api.get(f"/admin/email/outbox/{outbox_id}", headers=admin.auth)
    body: dict[str, Any] = r.json()
    return body if r.status_code == 200 and body["state"] == "sent" else None


def test_the_test_clock_is_for_a_platform_admin_and_in_the_api_document(
    api: httpx.Client, admin: User, owner: User, member: User
) -> None:
    r = api.get(CLOCK, headers=admin.auth)
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["frozen"] is False and abs(view["offsetSeconds"]) < 1
    assert abs(datetime.fromisoformat(view["systemNow"]) - datetime.now(UTC)) < timedelta(seconds=30)
    assert api.get(CLOCK).status_code == 401
    for user in (owner, member):  # neither an Account Owner nor a member may move time
        for method in ("GET", "PUT", "DELETE"):
            r = api.request(
                method, CLOCK, json={"offsetSeconds": 60} if method == "PUT" else None, headers=bearer(user.token)
            )
            assert r.status_code == 403, (method, r.status_code, r.text)
    r = api.put(CLOCK, json={"now": "2027-01-01T00:00:00", "offsetSeconds": 5}, headers=admin.auth)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert api.get(CLOCK, headers=admin.auth).json()["offsetSeconds"] == pytest.approx(0, abs=1)  # unchanged
    paths = api.get("/openapi.json").json()["paths"]
    assert set(paths["/api/admin/test-clock"]) == {"get", "put", "delete"}


def test_a_journey_across_a_30_day_policy_effective_date_and_the_march_dst_change(
    api: httpx.Client, stack: Stack, admin: User, clock: Any
) -> None:
    owner = register_owner(api)
    verify_owner(api, owner)
    worker = add_member(api, owner)
    set_location_consent(api, worker, True)
    schedule = {"timeZone": "America/Chicago", "windows": [{"days": ALL_DAYS, "start": "07:00", "end": "18:00"}]}
    assert api.put("/me/tracking-schedule", json=schedule, headers=worker.auth).status_code == 200

    # A policy version posted now takes effect 30 days later, not before.
    r = api.post(
        "/admin/policy/versions",
        json={"text": "# Policy\n\nMoved clocks.", "summary": "Test clock."},
        headers=admin.auth,
    )
    assert r.status_code == 201, r.text
    version_id, effective = r.json()["versionId"], datetime.fromisoformat(r.json()["effectiveAt"])
    assert effective - datetime.fromisoformat(r.json()["postedAt"]) == timedelta(days=30)
    assert api.get(f"/policy/versions/{version_id}").json()["state"] == "upcoming"

    clock(effective - timedelta(seconds=1))
    assert api.get(f"/policy/versions/{version_id}").json()["state"] == "upcoming"
    assert api.get("/policy").json()["current"]["versionId"] != version_id
    moved = clock(effective + timedelta(seconds=1))
    assert moved["frozen"] is True and moved["offsetSeconds"] > 29 * 86400
    assert api.get("/policy").json()["current"]["versionId"] == version_id
    assert api.get(f"/policy/versions/{version_id}").json()["state"] == "current"
    # The timer and the queue trigger read the same clock: the notice the timer queues now, and the sender sends,
    # carry the frozen instant.
    assert httpx.post(f"{stack.host_url}/admin/functions/send_policy_notices", timeout=10).status_code == 202
    sent = wait_for(
        lambda: _outbox(api, admin, notice_id(version_id, owner.user_id)),
        timeout=60,
        what="the policy notice to be sent",
    )
    assert datetime.fromisoformat(sent["createdAt"]) == effective + timedelta(seconds=1)
    assert datetime.fromisoformat(sent["sentAt"]) == effective + timedelta(seconds=1)

    # Saturday 2027-03-13, evening in Chicago (CST, UTC-6): the day's pings at 09:00 and 17:30 local are inside
    # the 07:00-18:00 window, 06:30 and 18:30 are not.
    clock(local(2027, 3, 13, 20, 0, CST))
    before = {
        h: ping(local(2027, 3, 13, h, m, CST), n) for n, (h, m) in enumerate([(6, 30), (9, 0), (17, 30), (18, 30)])
    }
    result = post(api, worker, list(before.values()))
    assert (result["accepted"], result["dropped"]["outsideWindow"], result["rejectedCount"]) == (2, 2, 0), result

    # Monday 2027-03-15 (CDT, UTC-5 since Sunday 02:00): the same local hours give the same answers, although
    # each falls an hour earlier in UTC (06:30 CST was 12:30Z; 12:30Z is now 07:30 CDT, inside the window).
    clock(local(2027, 3, 15, 20, 0, CDT))
    after = {
        h: ping(local(2027, 3, 15, h, m, CDT), 10 + n) for n, (h, m) in enumerate([(6, 30), (9, 0), (17, 30), (18, 30)])
    }
    same_utc_as_dropped = ping(local(2027, 3, 15, 7, 30, CDT), 20)
    assert same_utc_as_dropped["timestamp"][11:16] == "12:30"
    result = post(api, worker, [*after.values(), same_utc_as_dropped])
    assert (result["accepted"], result["dropped"]["outsideWindow"], result["rejectedCount"]) == (3, 2, 0), result

    expected = {before[9]["id"], before[17]["id"], after[9]["id"], after[17]["id"], same_utc_as_dropped["id"]}
    wait_for_stored(api, worker, expected, datetime(2027, 3, 13, tzinfo=UTC), datetime(2027, 3, 16, 6, tzinfo=UTC))
    latest = api.get(f"/accounts/{owner.account_id}/locations/latest", headers=owner.auth).json()
    [position] = [i["position"] for i in latest["items"] if i["userId"] == worker.user_id]
    assert position["timestamp"].startswith("2027-03-15T22:30")
    assert position["ageSeconds"] == 2.5 * 3600  # measured on the frozen app clock (01:00Z on the 16th)

    # The live map names the worker "outside the tracking hours" at 20:00 CDT (the owner, who never set up the
    # app, "not asked"), and its ETag holds only until the window opens at 07:00 CDT: an unchanged poll is a 304
    # until then, and the first poll after it is answered again, with nothing written in between.
    route = f"/accounts/{owner.account_id}/locations/latest"
    evening = api.get(route, headers=owner.auth)
    sharing = {i["userId"]: i["sharing"] for i in evening.json()["items"]}
    assert sharing[worker.user_id]["state"] == "outside-hours" and sharing[owner.user_id]["state"] == "not-asked"
    opens = local(2027, 3, 16, 7, 0, CDT)
    tag = evening.headers["etag"]
    assert tag.endswith(f'.{int(opens.timestamp())}"'), tag
    clock(opens - timedelta(seconds=1))
    assert api.get(route, headers={**owner.auth, "If-None-Match": tag}).status_code == 304
    clock(opens)
    morning = api.get(route, headers={**owner.auth, "If-None-Match": tag})
    assert morning.status_code == 200 and morning.headers["etag"] != tag
    [now_sharing] = [i["sharing"] for i in morning.json()["items"] if i["userId"] == worker.user_id]
    assert now_sharing == {"state": "no-fix", "since": now_sharing["since"], "noFixMinutes": 13 * 60 + 30}
    set_location_consent(api, worker, False)  # a withdrawal moves the live map's version: no 304 on the old tag
    withdrawn = api.get(route, headers={**owner.auth, "If-None-Match": morning.headers["etag"]})
    assert withdrawn.status_code == 200, withdrawn.status_code
    [now_sharing] = [i["sharing"] for i in withdrawn.json()["items"] if i["userId"] == worker.user_id]
    assert now_sharing["state"] == "not-sharing" and datetime.fromisoformat(now_sharing["since"]) == opens

    # Back to the real time: the version is upcoming again, and a ping of the moved days is in the future.
    assert api.delete(CLOCK, headers=admin.auth).json()["offsetSeconds"] == pytest.approx(0, abs=1)
    assert api.get(f"/policy/versions/{version_id}").json()["state"] == "upcoming"
    result = post(api, worker, [ping(local(2027, 3, 15, 10, 0, CDT))])
    assert result["rejectedCount"] == 1 and result["rejected"][0]["field"] == "timestamp", result
