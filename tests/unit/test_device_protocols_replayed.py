"""The requests the supported apps really send, in the shapes their own source code builds (issue 29): Traccar
Client's heartbeat without a position and its `accuracy=0.0`, GPSLogger's `%ALL` body ending with `&`, Overland's
trip and action records inside `locations`, the Traccar Client SDK's JSON array, and OwnTracks' encrypted payload.
Each is read without a 4xx, and only real fixes become pings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from core.domain import device_protocols as p
from core.domain.errors import ValidationFailed
from core.domain.tracking import PingIn

DEV = "dev-0123456789abcdef"
T = datetime(2026, 3, 10, 14, 30, 5, tzinfo=UTC)
TST = int(T.timestamp())


def _form(raw: str) -> dict[str, str]:
    return dict(p.form_fields(raw.encode()))


# ---------------------------------------------------------------- Traccar Client


# The SDK's form upload (HttpUploader): id, [lat, lon], timestamp, [accuracy, altitude, speed, bearing], batt,
# charge, battery_health, battery_voltage, battery_temp. A heartbeat while stationary whose fix could not be had is
# `Position(time = now)` with only the battery fields added.
HEARTBEAT = (
    f"id=48241179&timestamp={TST}&batt=64&charge=false&battery_health=good&battery_voltage=4123&battery_temp=28.5"
)


def test_traccar_heartbeat_without_a_position_is_a_heartbeat_not_a_422() -> None:
    parsed = p.parse_traccar_params(_form(HEARTBEAT), DEV)
    assert (parsed.pings, parsed.problems, parsed.heartbeats) == ([], [], 1)
    assert parsed.heartbeat == p.Heartbeat(t=T, battery=64)


def test_traccar_heartbeat_without_a_time_or_battery_is_still_a_heartbeat() -> None:
    parsed = p.parse_traccar_params({"id": "48241179", "lat": "", "lon": ""}, DEV)
    assert parsed.heartbeat == p.Heartbeat(t=None, battery=None) and parsed.pings == []


def test_traccar_heartbeat_with_an_unreadable_time_names_the_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        p.parse_traccar_params({"id": "1", "timestamp": "soon"}, DEV)
    assert caught.value.errors[0].field == "timestamp"


@pytest.mark.parametrize(
    "raw",
    [
        # the SDK's form upload of a fix whose accuracy Android did not know (Location.getAccuracy() == 0.0)
        f"id=48241179&lat=44.97781&lon=-93.26502&timestamp={TST}&accuracy=0.0&altitude=258.0&speed=0.0"
        "&bearing=0.0&batt=64&charge=true&battery_health=good&battery_voltage=4123&battery_temp=28.5",
        # the legacy Android client's query string (ProtocolFormatter), as a form body
        f"id=48241179&timestamp={TST}&lat=44.97781&lon=-93.26502&speed=0.0&bearing=0.0&altitude=258.0"
        "&accuracy=0.0&batt=64.0",
    ],
)
def test_traccar_accuracy_zero_is_unknown_and_stored_as_1000_m(raw: str) -> None:
    [ping] = p.parse_traccar_params(_form(raw), DEV).pings
    model = PingIn.model_validate(ping)
    assert (model.horizontal_accuracy, model.latitude, model.timestamp, model.battery_level) == (1000, 44.97781, T, 64)


def test_a_real_accuracy_is_kept() -> None:
    [ping] = p.parse_traccar_params({"lat": "1", "lon": "2", "timestamp": str(TST), "accuracy": "0.5"}, DEV).pings
    assert ping["horizontalAccuracy"] == 0.5


def test_traccar_sdk_json_array_with_fixes_and_a_heartbeat() -> None:
    """The SDK's JSON mode: an array of flat objects (speed in knots), a heartbeat among them."""
    body: list[Any] = [
        {"id": "48241179", "lat": 44.9, "lon": -93.2, "timestamp": TST, "accuracy": 0.0, "speed": 1.94, "batt": 70},
        {"id": "48241179", "timestamp": TST + 60, "batt": 69, "charge": False},
        {"id": "48241179", "lat": "x", "lon": -93.2, "timestamp": TST},
    ]
    parsed = p.parse_traccar_json(body, DEV)
    [ping] = parsed.pings
    assert (ping["horizontalAccuracy"], ping["speed"], ping["batteryLevel"]) == (1000, 0.998, 70)
    assert parsed.heartbeat == p.Heartbeat(t=datetime.fromtimestamp(TST + 60, UTC), battery=69)
    assert [e.field for e in parsed.problems] == ["2.lat"]


def test_traccar_json_array_of_anything_but_objects_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        p.parse_traccar_json([1, 2, 3], DEV)


# ---------------------------------------------------------------- GPSLogger


# CustomUrlManager: `%ALL` becomes `key=%key&` for every placeholder, so the body (or query) ends with `&`.
ALL = (
    "lat=44.97781&lon=-93.26502&sat=9&desc=&alt=258.0&acc=0.0&dir=0.0&prov=gps&spd_kph=0.0&spd=0.0"
    f"&timestamp={TST}&timeoffset=2026-03-10T09%3A30%3A05.000-05%3A00&time=2026-03-10T14%3A30%3A05.000Z"
    "&starttimestamp=1773150000&date=2026-03-10&batt=64.0&ischarging=false&aid=&ser=&act=&filename=20260310"
    "&profile=Default+Profile&hdop=0.8&vdop=1.1&pdop=1.4&dist=0&"
)


def test_gpslogger_all_body_ending_with_ampersand_is_a_fix() -> None:
    fields = _form(ALL)
    assert "" not in fields and fields["profile"] == "Default Profile"
    [ping] = p.parse_gpslogger(fields, DEV).pings
    model = PingIn.model_validate(ping)
    assert (model.timestamp, model.latitude, model.horizontal_accuracy, model.source.value) == (
        T,
        44.97781,
        1000,  # acc=0.0: unknown
        "gps",
    )


@pytest.mark.parametrize("raw", ["lat=1&&lon=2&", "&lat=1&lon=2", "lat=1&lon=2&&&"])
def test_empty_form_fields_are_skipped(raw: str) -> None:
    assert _form(raw) == {"lat": "1", "lon": "2"}


@pytest.mark.parametrize("raw", ["lat=1&garbage&lon=2", "[1, 2, 3]", "a=1&" * 101])
def test_a_malformed_form_is_still_a_422(raw: str) -> None:
    with pytest.raises(ValidationFailed):
        p.form_fields(raw.encode())


# ---------------------------------------------------------------- Overland


def _fix(t: str, lon: float, lat: float) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "timestamp": t,
            "altitude": 258,
            "speed": 4,
            "course": 90,
            "horizontal_accuracy": 5,
            "vertical_accuracy": 3,
            "speed_accuracy": 0.5,
            "course_accuracy": 10.0,
            "motion": ["driving"],
            "wifi": "",
            "battery_state": "unplugged",
            "battery_level": 0.81,
            "device_id": "iphone",
        },
    }


# GLManager writeTripToDB: the trip summary, placed at the last fix and stamped when the trip ended.
TRIP = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [-93.26, 44.98]},
    "properties": {
        "timestamp": "2026-03-10T14:40:00Z",
        "type": "trip",
        "mode": "car",
        "start": "2026-03-10T14:00:00Z",
        "end": "2026-03-10T14:40:00Z",
        "start_location": None,
        "end_location": None,
        "duration": 2400,
        "distance": 20150.5,
        "stopped_automatically": False,
        "steps": 0,
        "wifi": "",
        "battery_state": "unplugged",
        "battery_level": 0.8,
    },
}
# logAction with tracking stats on and no location yet: no geometry at all.
ACTION = {
    "type": "Feature",
    "properties": {"timestamp": "2026-03-10T14:40:01Z", "action": "resume", "wifi": "", "battery_level": 0.8},
}
VISIT = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [-93.25, 44.97]},
    "properties": {
        "timestamp": "2026-03-10T14:41:00Z",
        "action": "visit",
        "arrival_date": "2026-03-10T14:20:00Z",
        "departure_date": None,
        "horizontal_accuracy": 40,
    },
}


def test_overland_trip_and_action_records_are_not_fixes() -> None:
    body = {
        "locations": [
            _fix("2026-03-10T14:30:05Z", -93.26, 44.97),
            TRIP,
            ACTION,
            VISIT,
            _fix("2026-03-10T14:39:00Z", -93.25, 44.98),
        ],
        "trip": {"mode": "car", "start": "2026-03-10T14:00:00Z", "distance": 20150.5},
    }
    parsed = p.parse_overland(body, DEV)
    assert [PingIn.model_validate(x).timestamp.minute for x in parsed.pings] == [30, 39]
    assert (parsed.ignored, parsed.problems) == (3, [])


# ---------------------------------------------------------------- OwnTracks


def test_owntracks_encrypted_payload_is_answered_and_counted_as_unreadable() -> None:
    parsed = p.parse_owntracks({"_type": "encrypted", "data": "c2VjcmV0"}, DEV)
    assert parsed.pings == [] and [e.field for e in parsed.problems] == ["_type"]


@pytest.mark.parametrize(
    "body",
    [
        {"_type": "status", "android": {"wifi": 1}},
        {"_type": "card", "name": "Ann", "face": "iVBOR"},
        {"_type": "lwt", "tst": TST},
        {
            "_type": "transition",
            "event": "enter",
            "desc": "Depot",
            "tst": TST,
            "wtst": TST,
            "acc": 10,
            "lat": 1.0,
            "lon": 2.0,
        },
        {"_type": "waypoint", "desc": "Depot", "lat": 1.0, "lon": 2.0, "rad": 50, "tst": TST},
        {"_type": "waypoints", "waypoints": []},
        {"_type": "cmd", "action": "reportLocation"},
        {"_type": "steps", "steps": 120, "from": TST - 3600, "to": TST},
        {"_type": "request", "request": "tours"},
        {"_type": "configuration", "mode": 3},
        {"_type": "beacon", "uuid": "x", "major": 1, "minor": 2, "tst": TST},
    ],
)
def test_owntracks_messages_without_a_fix_are_ignored(body: dict[str, Any]) -> None:
    parsed = p.parse_owntracks(body, DEV)
    assert (parsed.pings, parsed.problems, parsed.ignored) == ([], [], 1)
