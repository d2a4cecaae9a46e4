"""The four app-protocol defects of issue 29, each replayed through the real host with the request the app's own
source builds: Traccar Client's heartbeat without a position, GPSLogger's `%ALL` body ending with `&`, Traccar
Client's `accuracy=0.0`, Overland's trip record inside `locations`. Then the owner's device list: paged, with the
member's name and the statistics, and the owner's revocation."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx

from tests.integration.conftest import Stack, add_member, register_owner
from tests.integration.test_devices_api import DAY, basic, make_device, my_device, soon, wait_stored
from tests.integration.tracking_helpers import iso, set_location_consent

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_traccar_heartbeat_without_a_position_is_acknowledged_and_moves_last_seen_and_battery(
    api: httpx.Client,
) -> None:
    member = add_member(api, register_owner(api))
    set_location_consent(api, member, True)
    device_id, token = make_device(api, member, "Android - Traccar Client")
    t = soon()
    # Traccar Client (SDK HttpUploader, form mode) while stationary, its fix not had: only id, time and battery.
    heartbeat = (
        f"id=48241179&timestamp={int(t.timestamp())}&batt=64&charge=false&battery_health=good"
        "&battery_voltage=4123&battery_temp=28.5"
    )
    r = api.post("/ingest/traccar", params={"token": token}, content=heartbeat.encode(), headers=FORM)
    assert r.status_code == 200, r.text
    shown = my_device(api, member, device_id)
    assert (shown["heartbeats"], shown["received"], shown["stored"], shown["lastBattery"]) == (1, 0, 0, 64)
    assert shown["lastSeenAt"] and shown["lastBatteryAt"] and shown["lastProtocol"] == "traccar"
    # A fix afterwards is the only ping stored: the heartbeat became none.
    fix = f"id=48241179&lat=44.9&lon=-93.1&timestamp={int(t.timestamp()) + 5}&accuracy=8.0&batt=63&charge=false"
    assert api.post("/ingest/traccar", params={"token": token}, content=fix.encode(), headers=FORM).status_code == 200
    [stored] = wait_stored(api, member, 1, t - DAY, t + DAY)
    assert stored["properties"]["time"] == iso(t + timedelta(seconds=5))


def test_gpslogger_all_body_ending_with_ampersand_is_stored(api: httpx.Client) -> None:
    member = add_member(api, register_owner(api))
    set_location_consent(api, member, True)
    device_id, token = make_device(api, member, "Android - GPSLogger")
    t = soon()
    stamp = iso(t).replace(":", "%3A")
    # GPSLogger's CustomUrlManager expands %ALL to `key=%key&` for every placeholder: the body ends with `&`.
    body = (
        f"lat=44.97781&lon=-93.26502&sat=9&desc=&alt=258.0&acc=6.0&dir=0.0&prov=gps&spd_kph=0.0&spd=0.0"
        f"&timestamp={int(t.timestamp())}&timeoffset={stamp}&time={stamp}&starttimestamp={int(t.timestamp()) - 600}"
        f"&date={t.date().isoformat()}&batt=71.0&ischarging=false&aid=&ser=&act=&filename=x&profile=Default+Profile"
        "&hdop=0.8&vdop=1.1&pdop=1.4&dist=0&"
    )
    r = api.post("/ingest/gpslogger", content=body.encode(), headers={**FORM, **basic(device_id, token)})
    assert r.status_code == 200, r.text
    # The same as a GET query (URL template `...?%ALL`), one second later.
    query = body.replace(f"timestamp={int(t.timestamp())}&", f"timestamp={int(t.timestamp()) + 1}&").replace(
        f"time={stamp}", f"time={iso(t + timedelta(seconds=1)).replace(':', '%3A')}"
    )
    r = api.get(f"/ingest/gpslogger?{query}", headers=basic(device_id, token))
    assert r.status_code == 200, r.text
    stored = wait_stored(api, member, 2, t - DAY, t + DAY)
    assert [(f["properties"]["horizontalAccuracy"], f["properties"]["source"]) for f in stored] == [(6, "gps")] * 2


def test_traccar_accuracy_zero_is_stored_as_unknown(api: httpx.Client) -> None:
    member = add_member(api, register_owner(api))
    set_location_consent(api, member, True)
    _, token = make_device(api, member, "Android - Traccar Client")
    t = soon()
    fix = (
        f"id=48241179&lat=44.97781&lon=-93.26502&timestamp={int(t.timestamp())}&accuracy=0.0&altitude=258.0"
        "&speed=0.0&bearing=0.0&batt=64&charge=true&battery_health=good&battery_voltage=4123&battery_temp=28.5"
    )
    assert api.post("/ingest/traccar", params={"token": token}, content=fix.encode(), headers=FORM).status_code == 200
    [stored] = wait_stored(api, member, 1, t - DAY, t + DAY)
    assert stored["properties"]["horizontalAccuracy"] == 1000  # docs/devices.md: a missing accuracy is 1,000 m


def _overland_fix(t: Any, lon: float, lat: float) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "timestamp": iso(t),
            "altitude": 258,
            "speed": 4,
            "course": 90,
            "horizontal_accuracy": 5,
            "vertical_accuracy": 3,
            "motion": ["driving"],
            "wifi": "",
            "battery_state": "unplugged",
            "battery_level": 0.81,
        },
    }


def test_overland_trip_record_is_not_a_fix_and_the_batch_is_acknowledged(api: httpx.Client) -> None:
    member = add_member(api, register_owner(api))
    set_location_consent(api, member, True)
    device_id, token = make_device(api, member, "iPhone - Overland")
    t = soon()
    end = t + timedelta(seconds=30)
    # GLManager writeTripToDB: the summary of a finished trip, at the last fix, stamped when the trip ended.
    trip = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [-93.25, 44.98]},
        "properties": {
            "timestamp": iso(end),
            "type": "trip",
            "mode": "car",
            "start": iso(t),
            "end": iso(end),
            "start_location": None,
            "end_location": None,
            "duration": 30,
            "distance": 412.5,
            "stopped_automatically": False,
            "steps": 0,
            "wifi": "",
            "battery_state": "unplugged",
            "battery_level": 0.8,
        },
    }
    body = {
        "locations": [_overland_fix(t, -93.26, 44.97), trip, _overland_fix(t + timedelta(seconds=20), -93.25, 44.98)]
    }
    r = api.post("/ingest/overland", json=body, headers={"Authorization": f"Bearer {token}"})
    assert (r.status_code, r.json()) == (200, {"result": "ok"})
    stored = wait_stored(api, member, 2, t - DAY, t + DAY)
    assert [f["properties"]["time"] for f in stored] == [iso(t), iso(t + timedelta(seconds=20))]
    shown = my_device(api, member, device_id)
    assert (shown["received"], shown["ignored"], shown["lastBattery"]) == (2, 1, 81)


def test_owner_lists_devices_with_names_and_stats_paged_and_revokes(api: httpx.Client) -> None:
    owner = register_owner(api)
    first, second = add_member(api, owner), add_member(api, owner)
    set_location_consent(api, first, True)
    made = sorted([make_device(api, first, "A")[0], make_device(api, first, "B")[0], make_device(api, second, "C")[0]])
    url = f"/accounts/{owner.account_id}/devices"
    page = api.get(url, params={"limit": 2}, headers=owner.auth)
    assert page.status_code == 200, page.text
    assert page.headers["X-Continuation"] == page.json()["continuation"]
    rest = api.get(url, params={"limit": 2, "continuation": page.json()["continuation"]}, headers=owner.auth).json()
    items = page.json()["items"] + rest["items"]
    assert [d["deviceId"] for d in items] == made and rest["continuation"] is None
    assert all(d["memberName"] and "dropped" in d and "lastBattery" in d for d in items)
    assert api.get(url, headers=first.auth).status_code == 403  # a member is not the owner
    victim = next(d for d in items if d["userId"] == second.user_id)
    gone = api.delete(
        f"/accounts/{owner.account_id}/members/{second.user_id}/devices/{victim['deviceId']}", headers=owner.auth
    )
    assert gone.status_code == 204
    listed = api.get(url, headers=owner.auth).json()["items"]
    assert next(d for d in listed if d["deviceId"] == victim["deviceId"])["revokedAt"]


def test_concurrent_calls_of_one_device_all_count(api: httpx.Client, stack: Stack) -> None:
    """The counters' write tries the record authentication read (remembered by the adapter) and falls back to a
    fresh read when another call changed it meanwhile: calls racing on one device still all add up."""
    member = add_member(api, register_owner(api))
    set_location_consent(api, member, True)
    device_id, token = make_device(api, member)
    t = int(soon().timestamp())

    def send(i: int) -> int:
        with httpx.Client(base_url=stack.base_url, timeout=30) as client:
            location = {"_type": "location", "lat": 1.0 + i / 1000, "lon": 2.0, "tst": t + i, "batt": 50 + i}
            return client.post("/ingest/owntracks", json=location, headers=basic(device_id, token)).status_code

    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(send, range(12))) == [200] * 12
    shown = my_device(api, member, device_id)
    assert (shown["received"], shown["stored"], shown["lastBattery"]) == (12, 12, 61)  # the newest fix's battery
