"""Private zones through the real host (docs/private-zones.md): with a zone in force, pings inside it store nothing
(not in the track, not the latest position, not in the export) while pings outside are stored; pings taken before
the zone existed stay; the owner sees how many zones, never where."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.helpers import wait_for
from tests.integration.conftest import User, add_member, register_owner
from tests.integration.tracking_helpers import iso, latest, ping, post, set_location_consent, wait_for_stored

HOME = (44.9778, -93.2650)
AWAY = (44.9978, -93.2650)  # about 2.2 km north


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def at(t: datetime, where: tuple[float, float], n: int = 0) -> dict[str, Any]:
    return ping(t, n, latitude=where[0], longitude=where[1] + n * 1e-5)


def add_zone(api: httpx.Client, user: User, radius: float = 300) -> dict[str, Any]:
    r = api.post(
        "/me/private-zones", json={"latitude": HOME[0], "longitude": HOME[1], "radiusMeters": radius}, headers=user.auth
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def test_pings_inside_a_zone_store_nothing_precise_and_earlier_pings_stay(api: httpx.Client) -> None:
    from tests.integration.test_data_requests_api import export

    owner = register_owner(api)
    member = add_member(api, owner)
    set_location_consent(api, member, True)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    before = [at(start + timedelta(seconds=i), HOME, i) for i in range(3)]  # at home, before any zone
    assert post(api, member, before)["accepted"] == 3
    wait_for(lambda: datetime.now(UTC) > start + timedelta(seconds=4), what="the early pings' times to pass")
    zone = add_zone(api, member)
    created = datetime.fromisoformat(zone["createdAt"])
    assert created > start + timedelta(seconds=3)
    assert set(zone) == {"zoneId", "latitude", "longitude", "radiusMeters", "createdAt", "historyApplied"}

    late_but_earlier = at(start + timedelta(seconds=3, milliseconds=500), HOME, 5)  # taken before the zone: kept
    inside = [at(created + timedelta(seconds=2 + i), HOME, i) for i in range(3)]
    outside = [at(created + timedelta(seconds=10 + i), AWAY, i) for i in range(2)]
    newest_inside = at(created + timedelta(seconds=20), HOME, 9)
    result = post(api, member, [late_but_earlier, *inside, *outside, newest_inside])
    assert result["dropped"]["privateZone"] == 4 and result["accepted"] == 3, result

    kept = {p["id"] for p in [*before, late_but_earlier, *outside]}
    end = created + timedelta(minutes=1)
    wait_for_stored(api, member, kept, start - timedelta(minutes=1), end)
    r = api.get("/me/track", params={"from": iso(created), "to": iso(end)}, headers=member.auth)
    points = [f for f in r.json()["features"] if f["properties"]["kind"] == "ping"]
    assert len(points) == 2
    for f in points:  # nothing stored near the centre after the zone took effect
        lon, lat = f["geometry"]["coordinates"][:2]
        assert distance_m(lat, lon, *HOME) > 300

    gaps = [f for f in r.json()["features"] if f["properties"]["kind"] == "private-gap"]
    assert [(g["geometry"], g["properties"]["label"], g["properties"]["withheld"]) for g in gaps] == [
        (None, "private", 3),
        (None, "private", 1),
    ]  # split by the points outside between them
    assert gaps[0]["properties"]["from"].startswith(inside[0]["timestamp"][:19])
    assert gaps[1]["properties"]["to"].startswith(newest_inside["timestamp"][:19])

    def latest_is_private() -> dict[str, Any] | None:  # the newest ping was withheld: "in a private zone" then
        position = latest(api, owner)[member.user_id]["position"]
        return position if position and position["inPrivateZone"] else None

    position = wait_for(latest_is_private, what="the latest position to say 'in a private zone'")
    assert position["timestamp"].startswith(newest_inside["timestamp"][:19])
    assert (position["latitude"], position["longitude"], position["horizontalAccuracy"]) == (None, None, None)

    zf = export(api, member)
    geo = json.loads(zf.read("pings.geojson"))
    exported = [f for f in geo["features"] if f["properties"]["kind"] == "ping"]
    assert {f["properties"]["id"] for f in exported} == kept
    [exported_latest] = json.loads(zf.read("latest-position.json"))
    assert exported_latest["private"] is True and "lat" not in exported_latest and "lon" not in exported_latest
    withheld = json.loads(zf.read("withheld-pings.json"))
    assert {w["ping_id"] for w in withheld} == {p["id"] for p in [*inside, newest_inside]}
    assert not any(k in w for w in withheld for k in ("lat", "lon", "latitude", "longitude"))
    [zones_doc] = json.loads(zf.read("private-zones.json"))
    [exported_zone] = zones_doc["zones"]
    assert exported_zone["zone_id"] == zone["zoneId"]
    assert not {"margin_m", "hidden_lat", "hidden_lon"} & set(exported_zone)

    # the owner sees that the member has one zone, never where; the member sees their own
    counted = api.get(f"/accounts/{owner.account_id}/members/{member.user_id}/private-zones", headers=owner.auth)
    assert counted.status_code == 200 and counted.json() == {"count": 1}
    assert str(HOME[0]) not in counted.text
    assert api.get("/me/private-zones", headers=owner.auth).json()["items"] == []
    mine = api.get("/me/private-zones", headers=member.auth).json()["items"]
    assert [z["zoneId"] for z in mine] == [zone["zoneId"]]


def test_remove_maximum_bad_input_and_erasure(api: httpx.Client) -> None:
    from tests.integration.test_data_requests_api import completed

    owner = register_owner(api)
    member = add_member(api, owner)
    for bad, field in (
        ({"latitude": 1.0, "longitude": 1.0, "radiusMeters": 50}, "radiusMeters"),
        ({"latitude": 91.0, "longitude": 1.0, "radiusMeters": 200}, "latitude"),
        ({"latitude": 1.0, "longitude": 1.0, "radiusMeters": 200, "marginM": 0}, "marginM"),
    ):
        r = api.post("/me/private-zones", json=bad, headers=member.auth)
        assert r.status_code == 422 and field in r.text, r.text
    assert api.get("/me/private-zones", headers=member.auth).json()["items"] == []
    made = [add_zone(api, member, 100 + i * 100)["zoneId"] for i in range(5)]
    r = api.post(
        "/me/private-zones", json={"latitude": 1.0, "longitude": 1.0, "radiusMeters": 200}, headers=member.auth
    )
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    assert api.delete(f"/me/private-zones/{made[0]}", headers=member.auth).status_code == 204
    assert api.delete(f"/me/private-zones/{made[0]}", headers=member.auth).status_code == 404
    assert api.delete(f"/me/private-zones/{made[1]}", headers=owner.auth).status_code == 404  # not the owner's
    counted = api.get(f"/accounts/{owner.account_id}/members/{member.user_id}/private-zones", headers=owner.auth)
    assert counted.json() == {"count": 4}
    r = api.post("/me/data-requests", json={"type": "erasure"}, headers=member.auth)
    done = completed(api, member, r.json()["requestId"])
    assert done["erased"]["private-zones"] == 1
    assert api.get("/me/private-zones", headers=member.auth).json()["items"] == []


def test_a_device_app_inside_a_zone_stores_nothing_and_the_device_counts_it(api: httpx.Client) -> None:
    from tests.integration.test_devices_api import make_device, my_device, soon

    owner = register_owner(api)
    member = add_member(api, owner)
    set_location_consent(api, member, True)
    device_id, token = make_device(api, member, "Phone - GPSLogger")
    add_zone(api, member)
    t = soon()
    for lat, lon, when in ((*HOME, t), (*AWAY, t + timedelta(seconds=1))):
        r = api.get("/ingest/gpslogger", params={"lat": str(lat), "lon": str(lon), "time": iso(when), "token": token})
        assert r.status_code == 200, r.text
    counters = my_device(api, member, device_id)
    assert counters["dropped"]["privateZone"] == 1 and counters["stored"] == 1, counters
    params = {"from": iso(t - timedelta(minutes=1)), "to": iso(t + timedelta(minutes=1))}

    def stored_points() -> list[dict[str, Any]] | None:
        doc = api.get("/me/track", params=params, headers=member.auth).json()
        points = [f for f in doc["features"] if f["properties"]["kind"] == "ping"]
        return points or None

    [point] = wait_for(stored_points, what="the ping outside the zone to be stored")
    lon, lat = point["geometry"]["coordinates"][:2]
    assert distance_m(lat, lon, *AWAY) < 1
