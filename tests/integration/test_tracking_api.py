"""Location tracking over HTTP against the real emulators: consent and windows decide what is stored, ingest
validation, duplicates and out-of-order pings, tenancy, formats, paging, access log."""

from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.helpers import wait_for
from tests.integration.conftest import User, add_member, register_owner
from tests.integration.tracking_helpers import (
    iso,
    latest,
    ping,
    post,
    route,
    set_location_consent,
    wait_for_stored,
)

GPX = "{http://www.topografix.com/GPX/1/1}"


def _now() -> datetime:
    return datetime.now(UTC)


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_pings_before_consent_and_after_revocation_are_not_stored(api: httpx.Client, member: User) -> None:
    begin = _now() - timedelta(minutes=5)
    before = post(api, member, route(_now() - timedelta(seconds=30), 3, timedelta(seconds=5)))
    assert before["accepted"] == 0 and before["dropped"]["noConsent"] == 3
    set_location_consent(api, member, True)
    granted_at = _now()
    early = route(granted_at - timedelta(minutes=2), 2)  # taken before the grant, sent after it
    during = route(granted_at + timedelta(milliseconds=50), 3, timedelta(milliseconds=10))
    r = post(api, member, early + during)
    assert (r["accepted"], r["dropped"]["noConsent"]) == (3, 2)
    late = ping(_now(), 9)  # taken while granted, sent after the revocation: it was allowed when taken
    set_location_consent(api, member, False)
    after = route(_now() + timedelta(milliseconds=50), 2, timedelta(milliseconds=10))
    r = post(api, member, [late, *after])
    assert (r["accepted"], r["dropped"]["noConsent"]) == (1, 2)
    expected = {p["id"] for p in during} | {late["id"]}
    wait_for_stored(api, member, expected, begin, _now() + timedelta(minutes=1))


def test_pings_outside_the_tracking_windows_are_dropped(api: httpx.Client, member: User) -> None:
    set_location_consent(api, member, True)
    begin = _now()
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    today, yesterday = days[begin.weekday()], days[(begin.weekday() - 1) % 7]
    other_days = {
        "timeZone": "UTC",
        "windows": [{"days": [d for d in days if d != today], "start": "00:00", "end": "24:00"}],
    }
    r = api.put("/me/tracking-schedule", json=other_days, headers=member.auth)
    assert r.status_code == 200 and r.json()["restricted"] is True, r.text
    outside = route(_now() + timedelta(milliseconds=20), 3, timedelta(milliseconds=10))
    sent = post(api, member, outside)
    assert (sent["accepted"], sent["dropped"]["outsideWindow"], sent["dropped"]["noConsent"]) == (0, 3, 0)

    # A window that starts yesterday at 23:59 and crosses midnight into today, until 23:58.
    crossing = {"timeZone": "UTC", "windows": [{"days": [yesterday], "start": "23:59", "end": "23:58"}]}
    assert api.put("/me/tracking-schedule", json=crossing, headers=member.auth).status_code == 200
    inside = route(_now() + timedelta(milliseconds=20), 2, timedelta(milliseconds=10))
    sent = post(api, member, inside)
    expected = {p["id"] for p in inside} if _now().strftime("%H:%M") < "23:58" else set()
    assert sent["accepted"] == len(expected)
    got = api.get("/me/tracking-schedule", headers=member.auth).json()
    assert got["timeZone"] == "UTC" and got["windows"] == crossing["windows"]

    assert api.delete("/me/tracking-schedule", headers=member.auth).status_code == 204
    assert api.get("/me/tracking-schedule", headers=member.auth).json()["restricted"] is False
    bad = {"timeZone": "Mars/Olympus", "windows": [{"days": ["mon"], "start": "07:00", "end": "25:00"}]}
    r = api.put("/me/tracking-schedule", json=bad, headers=member.auth)
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"timeZone", "windows.0.end"}
    assert api.get("/me/tracking-schedule", headers=member.auth).json()["restricted"] is False
    wait_for_stored(api, member, expected, begin - timedelta(minutes=1), _now() + timedelta(minutes=1))


def test_a_late_batch_is_judged_by_the_windows_in_force_when_each_ping_was_taken(
    api: httpx.Client, member: User
) -> None:
    """Issue 28: windows are versioned by time. Pings taken under wide windows, then narrow ones, then wide ones
    again, sent late: narrowing never drops what the old windows allowed, widening never admits what they left
    out. (Explicit timestamps on the real clock; the narrow windows leave out this hour and the next, in UTC.)"""
    set_location_consent(api, member, True)
    hour = _now().hour
    all_days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    wide = {"timeZone": "UTC", "windows": [{"days": all_days, "start": "00:00", "end": "24:00"}]}
    narrow = {
        "timeZone": "UTC",
        "windows": [{"days": all_days, "start": f"{(hour + 2) % 24:02d}:00", "end": f"{hour:02d}:00"}],
    }

    def change(schedule: dict[str, Any]) -> datetime:
        r = api.put("/me/tracking-schedule", json=schedule, headers=member.auth)
        assert r.status_code == 200, r.text
        return _t(r.json()["updatedAt"])

    begin = change(wide)
    under_wide = ping(_now() + timedelta(milliseconds=2), 0)
    narrowed_at = change(narrow)
    under_narrow = ping(_now() + timedelta(milliseconds=2), 1)
    assert _t(under_wide["timestamp"]) < narrowed_at < _t(under_narrow["timestamp"])
    sent = post(api, member, [under_wide, under_narrow])  # the current windows are the narrow ones
    assert (sent["accepted"], sent["dropped"]["outsideWindow"]) == (1, 1), sent

    widened_at = change(wide)
    under_wide_again = ping(_now() + timedelta(milliseconds=2), 2)
    assert _t(under_narrow["timestamp"]) < widened_at < _t(under_wide_again["timestamp"])
    sent = post(api, member, [under_narrow, under_wide_again])  # the current windows are the wide ones
    assert (sent["accepted"], sent["dropped"]["outsideWindow"]) == (1, 1), sent
    got = api.get("/me/tracking-schedule", headers=member.auth).json()
    assert got["windows"] == wide["windows"] and _t(got["updatedAt"]) == widened_at  # GET: the current schedule
    expected = {under_wide["id"], under_wide_again["id"]}
    wait_for_stored(api, member, expected, begin - timedelta(seconds=1), _now() + timedelta(minutes=1))
    assert api.delete("/me/tracking-schedule", headers=member.auth).status_code == 204


def test_a_batch_with_good_and_bad_pings(api: httpx.Client, member: User) -> None:
    set_location_consent(api, member, True)
    t = _now() + timedelta(milliseconds=20)
    good = [ping(t, 0), ping(t + timedelta(milliseconds=10), 1)]
    bad: list[Any] = [
        ping(t, 2, latitude=91.0),
        {k: v for k, v in ping(t, 3).items() if k != "id"},
        ping(t, 4, timestamp=iso(_now() + timedelta(hours=2))),
        ping(t, 5, timestamp=iso(_now() - timedelta(days=400))),
        ping(t, 6, longitude="12.5"),
        ping(t, 7, timestamp="2026-03-09T07:30:00"),  # no offset
        ping(t, 8, source="bluetooth"),
        "not a ping",
        ping(t, 9, extra="field"),
    ]
    batch = [good[0], *bad, good[1]]
    r = post(api, member, batch)
    assert r["received"] == 11 and r["accepted"] == 2 and r["rejectedCount"] == 9
    reasons = {x["index"]: x["field"] for x in r["rejected"]}
    assert reasons == {
        1: "latitude",
        2: "id",
        3: "timestamp",
        4: "timestamp",
        5: "longitude",
        6: "timestamp",
        7: "source",
        8: "ping",
        9: "extra",
    }
    assert all(x["reason"] for x in r["rejected"])
    wait_for_stored(api, member, {p["id"] for p in good}, t - timedelta(minutes=1), t + timedelta(minutes=1))


def test_batch_size_and_body_limits(api: httpx.Client, member: User) -> None:
    assert api.post("/me/locations", json={"pings": []}, headers=member.auth).status_code == 422
    r = api.post("/me/locations", json={"pings": [ping(_now())] * 1001}, headers=member.auth)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "pings"
    big = {"pings": [ping(_now(), deviceId="d" * 128) | {"pad": "x" * 2000} for _ in range(600)]}
    assert api.post("/me/locations", json=big, headers=member.auth).status_code == 413


def test_duplicates_and_out_of_order_pings(api: httpx.Client, owner: User, member: User) -> None:
    set_location_consent(api, member, True)
    t = _now() + timedelta(milliseconds=50)
    first = route(t + timedelta(seconds=1), 4, timedelta(milliseconds=100))
    r = post(api, member, [*first, first[1]])  # one sent twice in the batch
    assert (r["accepted"], r["duplicates"]) == (4, 1)
    newest = first[-1]

    def shows_newest() -> bool:
        position = latest(api, owner)[member.user_id]["position"]
        return position is not None and _t(position["timestamp"]) == _t(newest["timestamp"])

    wait_for(shows_newest, what="the latest position to show the newest ping")
    wait_for_stored(api, member, {p["id"] for p in first}, t - timedelta(minutes=1), t + timedelta(minutes=1))
    older = ping(t, 20)  # earlier than everything stored, sent last
    r = post(api, member, [first[0], first[2], older])
    # Issue 21: no stored-ids query per call; pings stored by an earlier call are queued again and the writer's
    # idempotent write stores them once (below: each id once in the track).
    assert (r["accepted"], r["duplicates"]) == (3, 0)
    ids = wait_for_stored(
        api, member, {p["id"] for p in first} | {older["id"]}, t - timedelta(minutes=1), t + timedelta(minutes=1)
    )
    assert ids == [older["id"], *[p["id"] for p in first]]  # time order, each once
    assert shows_newest()  # never moved backwards by the older ping


def test_tenancy_of_tracks_and_latest_positions(api: httpx.Client, owner: User, member: User) -> None:
    other_member = add_member(api, owner)
    stranger = register_owner(api)
    stranger_member = add_member(api, stranger)
    track = f"/accounts/{owner.account_id}/members/{other_member.user_id}/track"
    r = api.get(track, headers=member.auth)
    assert r.status_code == 404  # a member reading another member's track
    r2 = api.get(f"/accounts/{owner.account_id}/members/{uuid.uuid4()}/track", headers=member.auth)
    assert (r2.status_code, r2.json()) == (r.status_code, r.json())
    assert api.get(track, headers=stranger.auth).status_code == 404  # owner of another account
    r = api.get(f"/accounts/{owner.account_id}/members/{stranger_member.user_id}/track", headers=owner.auth)
    assert r.status_code == 404  # another account's member under my account id
    assert api.get(f"/accounts/{owner.account_id}/locations/latest", headers=stranger.auth).status_code == 404
    assert api.get(f"/accounts/{owner.account_id}/locations/latest", headers=member.auth).status_code == 403
    assert api.get(track, headers=owner.auth).status_code == 200
    own = f"/accounts/{owner.account_id}/members/{member.user_id}/track"
    assert api.get(own, headers=member.auth).status_code == 200  # a worker's own track through the owner path


def test_gpx_and_geojson_outputs_parse(api: httpx.Client, owner: User, member: User) -> None:
    set_location_consent(api, member, True)
    t = _now() + timedelta(milliseconds=50)
    pings = [ping(t + timedelta(milliseconds=i * 20), 0 if i < 6 else i) for i in range(10)]
    post(api, member, pings)
    start, end = t - timedelta(minutes=1), t + timedelta(minutes=1)
    wait_for_stored(api, member, {p["id"] for p in pings}, start, end)
    base = f"/accounts/{owner.account_id}/members/{member.user_id}/track"
    r = api.get(base, params={"from": iso(start), "to": iso(end), "format": "gpx"}, headers=owner.auth)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/gpx+xml")
    root = ET.fromstring(r.content)  # noqa: S314 - this service's own output, parsed to check its structure
    assert root.tag == f"{GPX}gpx" and root.get("version") == "1.1" and root.get("creator")
    children = [c.tag for c in root]
    assert children[0] == f"{GPX}metadata" and children[-1] == f"{GPX}trk"
    points = root.findall(f"{GPX}trk/{GPX}trkseg/{GPX}trkpt")
    assert len(points) == 10
    for pt, sent in zip(points, pings, strict=True):
        assert abs(float(pt.get("lat", "nan")) - sent["latitude"]) < 1e-6
        assert -180 <= float(pt.get("lon", "nan")) <= 180
        assert [c.tag for c in pt] == [f"{GPX}ele", f"{GPX}time", f"{GPX}src"]
        assert datetime.fromisoformat(pt.findtext(f"{GPX}time", "")).tzinfo is not None

    r = api.get(
        base,
        params={"from": iso(start), "to": iso(end), "stops": "true", "stopMinutes": "1", "simplify": "5"},
        headers=owner.auth,
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    doc = json.loads(r.text)
    assert doc["type"] == "FeatureCollection" and isinstance(doc["features"], list)
    for f in doc["features"]:
        assert f["type"] == "Feature" and isinstance(f["properties"], dict)
        g = f["geometry"]
        if g["type"] == "LineString":
            assert len(g["coordinates"]) >= 2
            assert all(len(c) == 2 and -180 <= c[0] <= 180 and -90 <= c[1] <= 90 for c in g["coordinates"])
        else:
            assert g["type"] == "Point" and len(g["coordinates"]) == 2
    kinds = [f["properties"]["kind"] for f in doc["features"]]
    assert kinds.count("track") == 1
    assert kinds.count("ping") < 10  # six pings at one place simplify to two ends


def test_track_paging_and_range_limits(api: httpx.Client, member: User) -> None:
    set_location_consent(api, member, True)
    t = _now() + timedelta(milliseconds=50)
    pings = route(t, 5, timedelta(milliseconds=20))
    post(api, member, pings)
    start, end = t - timedelta(minutes=1), t + timedelta(minutes=1)
    wait_for_stored(api, member, {p["id"] for p in pings}, start, end)
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        params = {"from": iso(start), "to": iso(end), "limit": "2"} | ({"continuation": token} if token else {})
        r = api.get("/me/track", params=params, headers=member.auth)
        assert r.status_code == 200, r.text
        pages += 1
        seen.extend(f["properties"]["id"] for f in r.json()["features"] if f["properties"]["kind"] == "ping")
        token = r.headers.get("x-continuation")
        if not token:
            break
    assert seen == [p["id"] for p in pings] and pages >= 3
    r = api.get(
        "/me/track",
        params={"from": iso(start - timedelta(hours=1)), "to": iso(end), "continuation": "eyJrIjoieCJ9"},
        headers=member.auth,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.continuation"
    r = api.get("/me/track", params={"from": iso(end - timedelta(days=32)), "to": iso(end)}, headers=member.auth)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.to"
    r = api.get("/me/track", params={"from": iso(end), "to": iso(start)}, headers=member.auth)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.from"


def test_owner_reads_are_in_the_workers_access_log(api: httpx.Client, owner: User, member: User) -> None:
    other = add_member(api, owner)
    set_location_consent(api, member, True)
    t = _now() + timedelta(milliseconds=50)
    post(api, member, route(t, 2, timedelta(milliseconds=20)))
    wait_for(lambda: latest(api, owner)[member.user_id]["position"], what="a latest position")
    start, end = t - timedelta(hours=1), t + timedelta(hours=1)
    api.get("/me/track", params={"from": iso(start), "to": iso(end)}, headers=member.auth)  # own read: not logged
    r = api.get(
        f"/accounts/{owner.account_id}/members/{member.user_id}/track",
        params={"from": iso(start), "to": iso(end)},
        headers=owner.auth,
    )
    assert r.status_code == 200
    entries = api.get("/me/access-log", headers=member.auth).json()["items"]
    track_entry = entries[0]  # newest first
    assert track_entry["data"] == "location-track"
    assert track_entry["viewerUserId"] == owner.user_id and track_entry["viewerRole"] == "owner"
    assert track_entry["viewerName"] == "Ada Owner"
    assert datetime.fromisoformat(track_entry["from"]) == start.replace(microsecond=start.microsecond // 1000 * 1000)
    assert "latest-positions" in {e["data"] for e in entries}
    assert api.get("/me/access-log", headers=other.auth).json()["items"] == []  # no position shown, nothing read
    assert api.get("/me/access-log", headers=owner.auth).json()["items"] == []
    page = api.get("/me/access-log", params={"limit": "1"}, headers=member.auth).json()
    assert len(page["items"]) == 1 and page["continuation"]
    rest = api.get(
        "/me/access-log", params={"limit": "1", "continuation": page["continuation"]}, headers=member.auth
    ).json()
    assert rest["items"] and rest["items"][0] != page["items"][0]
