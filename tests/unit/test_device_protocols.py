"""Each app's payloads (hand-written fixtures in the shapes the apps' public docs describe) normalised into the ping
model: units, times, optional fields, retries, and what cannot be read."""

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


def _valid(ping: dict[str, Any]) -> PingIn:
    return PingIn.model_validate(ping)  # what POST /api/me/locations accepts, field for field


def owntracks(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "_type": "location",
        "lat": 44.97781,
        "lon": -93.26502,
        "tst": TST,
        "acc": 12,
        "alt": 258,
        "vel": 36,
        "cog": 270,
        "batt": 64,
        "conn": "w",
        "tid": "ad",
        "SSID": "depot",
        "BSSID": "aa:bb:cc:dd:ee:ff",
        "t": "u",
    }
    body.update(overrides)
    return body


def feature(t: str, lon: float | str, lat: float, **props: Any) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "timestamp": t,
        "horizontal_accuracy": 5,
        "altitude": 250,
        "speed": 3.5,
        "course": 90,
        "battery_level": 0.82,
        "wifi": "",
        "device_id": "phone",
    }
    properties.update(props)
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": properties}


# ---------------------------------------------------------------- OwnTracks


def test_owntracks_location_is_normalised() -> None:
    parsed = p.parse_owntracks(owntracks(), DEV)
    [ping] = parsed.pings
    model = _valid(ping)
    assert model.timestamp == T
    assert (model.latitude, model.longitude, model.horizontal_accuracy, model.altitude) == (
        44.97781,
        -93.26502,
        12,
        258,
    )
    assert model.speed == pytest.approx(10.0)  # 36 km/h
    assert (model.heading, model.battery_level, model.source.value, model.device_id) == (270, 64, "fused", DEV)


def test_owntracks_retry_gives_the_same_id_and_another_fix_another() -> None:
    first = p.parse_owntracks(owntracks(), DEV).pings[0]["id"]
    assert p.parse_owntracks(owntracks(conn="m", batt=63), DEV).pings[0]["id"] == first  # same fix, re-sent
    assert p.parse_owntracks(owntracks(tst=TST + 1), DEV).pings[0]["id"] != first
    assert p.parse_owntracks(owntracks(lat=44.97782), DEV).pings[0]["id"] != first
    assert p.parse_owntracks(owntracks(), "dev-other").pings[0]["id"] != first


def test_owntracks_missing_optional_fields() -> None:
    body = {"_type": "location", "lat": 1.5, "lon": 2.5, "tst": TST}
    model = _valid(p.parse_owntracks(body, DEV).pings[0])
    assert model.horizontal_accuracy == p.UNKNOWN_ACCURACY_M
    assert (model.altitude, model.speed, model.heading, model.battery_level) == (None, None, None, None)


def test_owntracks_tst_in_milliseconds_is_understood() -> None:
    assert _valid(p.parse_owntracks(owntracks(tst=TST * 1000), DEV).pings[0]).timestamp == T


@pytest.mark.parametrize(
    "body",
    [
        {"_type": "transition", "event": "enter", "desc": "Depot", "tst": TST},
        {"_type": "waypoint", "desc": "Depot", "lat": 1, "lon": 2, "rad": 50, "tst": TST},
        {"_type": "lwt", "tst": TST},
        {"_type": "card", "name": "Ada"},
        None,
    ],
)
def test_owntracks_messages_without_a_location_are_ignored(body: Any) -> None:
    parsed = p.parse_owntracks(body, DEV)
    assert (parsed.pings, parsed.ignored) == ([], 1)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (owntracks(lat="44.9"), "lat"),
        (owntracks(tst=None), "tst"),
        (owntracks(lon=True), "lon"),
        (owntracks(vel="fast"), "vel"),
    ],
)
def test_owntracks_unreadable_location_names_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        p.parse_owntracks(body, DEV)
    assert [e.field for e in caught.value.errors] == [field]


def test_owntracks_body_must_be_an_object() -> None:
    with pytest.raises(ValidationFailed):
        p.parse_owntracks([owntracks()], DEV)


# ---------------------------------------------------------------- Overland


def test_overland_batch_out_of_order_with_units() -> None:
    body = {
        "locations": [
            feature("2026-03-10T14:31:00Z", -93.2650, 44.9778),
            feature("2026-03-10T14:30:00-05:00", -93.2660, 44.9770, speed=-1, course=-1, battery_level=-1),
            feature("2026-03-10T14:29:00+0000", -93.2670, 44.9760, battery_level=0.5),
        ],
        "current": {"type": "Feature"},
        "trip": {"mode": "car"},
    }
    parsed = p.parse_overland(body, DEV)
    models = [_valid(x) for x in parsed.pings]
    assert parsed.problems == []
    assert [m.timestamp for m in models] == [
        datetime(2026, 3, 10, 14, 31, tzinfo=UTC),
        datetime(2026, 3, 10, 19, 30, tzinfo=UTC),
        datetime(2026, 3, 10, 14, 29, tzinfo=UTC),
    ]
    assert (models[0].longitude, models[0].latitude) == (-93.2650, 44.9778)  # GeoJSON order [lon, lat]
    assert (models[0].speed, models[0].heading, models[0].battery_level) == (3.5, 90, 82)
    assert (models[1].speed, models[1].heading, models[1].battery_level) == (None, None, None)  # iOS -1: unknown
    assert models[2].battery_level == 50


def test_overland_battery_sent_as_a_percent_is_kept() -> None:
    body = {"locations": [feature("2026-03-10T14:31:00Z", 1, 2, battery_level=82)]}
    assert _valid(p.parse_overland(body, DEV).pings[0]).battery_level == 82


def test_overland_one_bad_point_does_not_fail_the_batch() -> None:
    good = feature("2026-03-10T14:31:00Z", 1, 2)
    body = {
        "locations": [
            good,
            feature("yesterday", 1, 2),
            {"type": "Feature", "geometry": None},
            feature("2026-03-10T14:31:00", 1, 2),
            feature("2026-03-10T14:32:00Z", "x", 2),
            "junk",
            good,
        ]
    }
    parsed = p.parse_overland(body, DEV)
    assert len(parsed.pings) == 2 and parsed.pings[0]["id"] == parsed.pings[1]["id"]  # the same point twice
    assert [e.field for e in parsed.problems] == [
        "locations.1.properties.timestamp",
        "locations.2.geometry.coordinates",
        "locations.3.properties.timestamp",
        "locations.4.geometry.coordinates.0",
        "locations.5.feature",
    ]


@pytest.mark.parametrize(
    "body", [{}, {"locations": {}}, [], "x", {"locations": [feature("2026-03-10T14:31:00Z", 1, 2)] * 1001}]
)
def test_overland_whole_batch_problems(body: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        p.parse_overland(body, DEV)
    assert caught.value.errors[0].field == "locations"


def test_overland_empty_batch_is_nothing_to_store() -> None:
    parsed = p.parse_overland({"locations": []}, DEV)
    assert (parsed.pings, parsed.problems) == ([], [])


# ---------------------------------------------------------------- Traccar Client / OsmAnd


def test_traccar_query_parameters_speed_in_knots() -> None:
    params = {
        "id": "123456",
        "timestamp": str(TST),
        "lat": "44.97781",
        "lon": "-93.26502",
        "speed": "10",
        "bearing": "180.5",
        "altitude": "250.2",
        "accuracy": "7.5",
        "batt": "55.5",
        "token": "ignored",
    }
    model = _valid(p.parse_traccar_params(params, DEV).pings[0])
    assert model.timestamp == T
    assert model.speed == pytest.approx(5.144, abs=0.001)  # 10 knots
    assert (model.heading, model.altitude, model.horizontal_accuracy, model.battery_level) == (180.5, 250.2, 7.5, 55.5)


@pytest.mark.parametrize("stamp", [str(TST), str(TST * 1000), "2026-03-10T14:30:05Z", "2026-03-10T09:30:05-05:00"])
def test_traccar_timestamp_forms(stamp: str) -> None:
    params = {"id": "x", "timestamp": stamp, "lat": "1", "lon": "2"}
    assert _valid(p.parse_traccar_params(params, DEV).pings[0]).timestamp == T


def test_traccar_location_parameter_and_missing_optionals() -> None:
    model = _valid(p.parse_traccar_params({"id": "x", "timestamp": str(TST), "location": "1.5,2.5"}, DEV).pings[0])
    assert (model.latitude, model.longitude, model.speed, model.horizontal_accuracy) == (1.5, 2.5, None, 1000)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"timestamp": str(TST), "lon": "2"}, "lat"),
        ({"timestamp": str(TST), "lat": "x", "lon": "2"}, "lat"),
        ({"lat": "1", "lon": "2"}, "timestamp"),
        ({"timestamp": "soon", "lat": "1", "lon": "2"}, "timestamp"),
        ({"timestamp": str(TST), "lat": "1", "lon": "2", "speed": "nan"}, "speed"),
    ],
)
def test_traccar_unreadable_parameters(params: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        p.parse_traccar_params(params, DEV)
    assert caught.value.errors[0].field == field


def test_traccar_json_body() -> None:
    body = {
        "location": {
            "timestamp": "2026-03-10T14:30:05.000Z",
            "is_moving": True,
            "event": "motionchange",
            "coords": {
                "latitude": 44.9,
                "longitude": -93.2,
                "accuracy": 4,
                "speed": 2.5,
                "heading": -1,
                "altitude": 240,
            },
            "battery": {"level": 0.73, "is_charging": False},
            "activity": {"type": "walking"},
        },
        "device_id": "48241179",
    }
    model = _valid(p.parse_traccar_json(body, DEV).pings[0])
    assert (model.timestamp, model.speed, model.heading, model.battery_level) == (T, 2.5, None, 73)


def test_traccar_json_without_coords_names_the_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        p.parse_traccar_json({"location": {"timestamp": "2026-03-10T14:30:05Z"}}, DEV)
    assert caught.value.errors[0].field == "location.coords"


# ---------------------------------------------------------------- GPSLogger


def test_gpslogger_template_values() -> None:
    params = {
        "lat": "44.97781",
        "lon": "-93.26502",
        "time": "2026-03-10T14:30:05.000Z",
        "acc": "4.0",
        "alt": "",
        "spd": "1.2",
        "dir": "",
        "batt": "81",
        "prov": "gps",
    }
    model = _valid(p.parse_gpslogger(params, DEV).pings[0])
    assert (model.timestamp, model.altitude, model.speed, model.heading, model.battery_level) == (
        T,
        None,
        1.2,
        None,
        81,
    )
    assert model.source.value == "gps"
    network = _valid(p.parse_gpslogger({**params, "prov": "network"}, DEV).pings[0])
    assert network.source.value == "fused"


def test_gpslogger_epoch_timestamp_and_one_percent_battery() -> None:
    params = {"lat": "1", "lon": "2", "timestamp": str(TST), "batt": "1"}
    model = _valid(p.parse_gpslogger(params, DEV).pings[0])
    assert (model.timestamp, model.battery_level) == (T, 1)  # percent, not a fraction


def test_gpslogger_unreplaced_placeholder_is_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        p.parse_gpslogger({"lat": "%LAT", "lon": "2", "time": "2026-03-10T14:30:05Z"}, DEV)
    assert caught.value.errors[0].field == "lat"
