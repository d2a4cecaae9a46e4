"""Export and erasure end to end with the location-tracking area: pings, consents, latest position and the
access log are in the export, and gone from it after an erasure."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from tests.helpers import wait_for
from tests.integration.conftest import User, add_member
from tests.integration.test_data_requests_api import completed, export


def test_tracking_data_is_exported_then_erased(api: httpx.Client, owner: User) -> None:
    from tests.integration.tracking_helpers import iso, post, route, set_location_consent, wait_for_stored

    member = add_member(api, owner)
    set_location_consent(api, member, True)
    start = datetime.now(UTC) + timedelta(milliseconds=50)  # taken after the consent
    pings = route(start, 5, timedelta(milliseconds=20))
    assert post(api, member, pings)["accepted"] == 5
    wait_for_stored(
        api, member, {p["id"] for p in pings}, start - timedelta(minutes=1), datetime.now(UTC) + timedelta(minutes=1)
    )
    r = api.get(
        f"/accounts/{owner.account_id}/members/{member.user_id}/track",
        params={"from": iso(start - timedelta(minutes=1)), "to": iso(datetime.now(UTC) + timedelta(minutes=1))},
        headers=owner.auth,
    )
    assert r.status_code == 200  # the owner's read is logged about the member
    # The writer's job-site step evaluated the member's local day (docs/job-sites.md): it is in the export too.
    zone = ZoneInfo(api.get("/me", headers=member.auth).json()["timeZone"])
    today = start.astimezone(zone).date().isoformat()
    wait_for(
        lambda: api.get("/me/timesheet", params={"from": today, "to": today}, headers=member.auth).json()["days"],
        timeout=30,
        what="the evaluated day",
    )

    zf = export(api, member)
    assert [d["day"] for d in json.loads(zf.read("job-site-visits.json"))] == [today]
    geo = json.loads(zf.read("pings.geojson"))
    assert {f["properties"]["id"] for f in geo["features"] if f["properties"]["kind"] == "ping"} == {
        p["id"] for p in pings
    }
    assert any(n.startswith("pings-gpx/") for n in zf.namelist())
    assert json.loads(zf.read("consents.json"))
    assert json.loads(zf.read("access-log.json"))
    # Nothing of the owner's in the member's export.
    assert owner.user_id not in zf.read("consents.json").decode()

    r = api.post("/me/data-requests", json={"type": "erasure"}, headers=member.auth)
    done = completed(api, member, r.json()["requestId"])
    assert done["erased"]["pings"] == 5 and done["erased"]["consents"] >= 1 and done["erased"]["site-visits"] == 1
    zf = export(api, member)
    assert [f for f in json.loads(zf.read("pings.geojson"))["features"]] == []
    for name in ("consents.json", "access-log.json", "latest-position.json", "job-site-visits.json"):
        assert json.loads(zf.read(name)) == [], name
