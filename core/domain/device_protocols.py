"""What existing tracking apps send, normalised into the pings `POST /api/me/locations` takes (core/domain/tracking.py
PingIn): speed in m/s, battery in percent, UTC RFC 3339 times, coordinates in WGS 84 degrees.

Pure functions, no I/O. Each ping id is derived from (device, fix time in ms, position to 1e-6 degree), so an app
that re-sends a location (a retry after a lost answer, a batch sent twice) produces the same id and the ping is
stored once. A location whose shape cannot be read at all is a `problem` (Overland: skipped and counted, the rest
of the batch goes on; one-location protocols: 422 naming the field); a readable one goes to the ingest use case,
which applies every rule (range checks, retention, future skew, consent, windows, dedupe).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from core.domain.errors import FieldError, ValidationFailed
from core.domain.job_sites import JobSite
from core.domain.tracking_geo import distance_m

PING_ID_NAMESPACE = uuid.UUID("5d7c3a52-4f0e-4d53-9a51-6f1f2b0c9e11")  # fixed forever: ids must not change
# An app that reports no accuracy, or an accuracy of 0 (Android's Location.getAccuracy() answers 0.0 when the fix has
# none, and Traccar Client and GPSLogger send that value as it is; no real fix is exact): stored as a coarse fix,
# never as a precise one.
UNKNOWN_ACCURACY_M = 1_000.0
KNOT_M_S = 1852 / 3600
KMH_M_S = 1000 / 3600
MAX_OVERLAND_BATCH = 1_000
MAX_FORM_FIELDS = 100

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})$")


class PointProblem(ValueError):
    """One location that cannot be read: which field and why."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


@dataclass(frozen=True)
class Heartbeat:
    """A status report without a position (Traccar Client's heartbeat when no fix could be had): the time the app
    stamped on it, if any, and the battery in percent, if any."""

    t: datetime | None
    battery: float | None


@dataclass
class ParsedPings:
    """Pings in PingIn form, locations that could not be read, messages that carry no location, and the newest
    status report without a position (heartbeats: counted, never stored as pings)."""

    pings: list[dict[str, Any]] = field(default_factory=list)
    problems: list[FieldError] = field(default_factory=list)
    ignored: int = 0
    heartbeats: int = 0
    heartbeat: Heartbeat | None = None

    def add_heartbeat(self, beat: Heartbeat) -> None:
        self.heartbeats += 1
        newer = self.heartbeat is None or (
            beat.t is not None and (self.heartbeat.t is None or beat.t >= self.heartbeat.t)
        )
        if newer:
            self.heartbeat = beat


def ping_id(device_id: str, t: datetime, lat: float, lon: float) -> str:
    millis = int(t.timestamp() * 1000)
    return str(uuid.uuid5(PING_ID_NAMESPACE, f"{device_id}|{millis}|{lat:.6f}|{lon:.6f}"))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def number(value: Any, name: str, *, required: bool = False, from_text: bool = False) -> float | None:
    """A finite number. JSON bodies: numbers only; query and form values (`from_text`): decimal text. Empty text
    (a placeholder the app had no value for) counts as absent."""
    if value is None or (from_text and isinstance(value, str) and not value.strip()):
        if required:
            raise PointProblem(name, "is required")
        return None
    if _is_number(value):
        result = float(value)
    elif from_text and isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            raise PointProblem(name, "must be a number") from None
    else:
        raise PointProblem(name, "must be a number")
    if not math.isfinite(result):
        raise PointProblem(name, "must be a finite number")
    return result


def epoch_time(value: float, name: str) -> datetime:
    """Epoch seconds, or milliseconds when the value is too large to be seconds (a common mix-up)."""
    seconds = value / 1000 if abs(value) >= 100_000_000_000 else value
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise PointProblem(name, "is not a valid epoch time") from None


def iso_time(value: Any, name: str) -> datetime:
    """ISO 8601 with an offset (`Z`, `+02:00` or `+0200`); a time without an offset is ambiguous and refused."""
    if not isinstance(value, str) or not _ISO.match(value.strip()):
        raise PointProblem(name, "must be an ISO 8601 date-time with an offset, e.g. 2026-03-09T13:30:00Z")
    text = value.strip().replace("z", "Z").replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", text):
        text = text[:-2] + ":" + text[-2:]
    try:
        return datetime.fromisoformat(text).astimezone(UTC)
    except ValueError:
        raise PointProblem(name, "is not a valid date-time") from None


def any_time(value: Any, name: str, *, from_text: bool) -> datetime:
    """Epoch seconds, epoch milliseconds or ISO 8601 (the OsmAnd protocol allows all three)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise PointProblem(name, "is required")
    if _is_number(value) or (from_text and isinstance(value, str) and re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", value)):
        return epoch_time(float(value), name)
    return iso_time(value, name)


def battery_percent(value: float | None, *, fraction: bool = False) -> float | None:
    """OwnTracks, OsmAnd and GPSLogger report percent; Overland and Traccar JSON a fraction 0-1 (`fraction`), where a
    value above 1 is taken as a percent sent by mistake. Negative means unknown (iOS reports -1)."""
    if value is None or value < 0:
        return None
    return round(value * 100, 1) if fraction and value <= 1 else value


def known(value: float | None) -> float | None:
    """iOS and Android report an unknown speed or course as -1."""
    return None if value is None or value < 0 else value


def source_of(provider: Any) -> str:
    """Only an explicit statement of the fix's provider is trusted; a phone's location service otherwise fuses GPS,
    Wi-Fi and cell."""
    text = str(provider).strip().lower() if isinstance(provider, str) else ""
    return text if text in ("gps", "wifi", "cell", "fused") else "fused"


def make_ping(
    device_id: str,
    *,
    t: datetime,
    lat: float,
    lon: float,
    acc: float | None,
    alt: float | None = None,
    speed: float | None = None,
    heading: float | None = None,
    battery: float | None = None,
    source: str = "fused",
) -> dict[str, Any]:
    ping: dict[str, Any] = {
        "id": ping_id(device_id, t, lat, lon),
        "timestamp": t.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "latitude": lat,
        "longitude": lon,
        "horizontalAccuracy": UNKNOWN_ACCURACY_M if acc is None or acc <= 0 else acc,
        "source": source,
        "deviceId": device_id,
    }
    optional = {"altitude": alt, "speed": speed, "heading": heading, "batteryLevel": battery}
    ping.update({k: round(v, 3) for k, v in optional.items() if v is not None})
    return ping


def form_fields(raw: bytes) -> list[tuple[str, str]]:
    """The fields of a form body (`a=1&b=2`, UTF-8). Empty fields are skipped: GPSLogger's `%ALL` ends the body
    with `&` (and a template may hold `&&`); a field without `=` or more than `MAX_FORM_FIELDS` fields is a 422."""
    if not raw.strip():
        return []
    try:
        text = "&".join(part for part in raw.decode("utf-8").strip().split("&") if part)
        return parse_qsl(text, keep_blank_values=True, strict_parsing=True, max_num_fields=MAX_FORM_FIELDS)
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed(errors=[FieldError("body", "must be form fields (a=1&b=2)")]) from None


def _single(parse: Any) -> ParsedPings:
    try:
        return ParsedPings(pings=[parse()])
    except PointProblem as exc:
        raise ValidationFailed(errors=[FieldError(exc.field, exc.reason)]) from exc


# ---------------------------------------------------------------- OwnTracks (HTTP mode)


def parse_owntracks(body: Any, device_id: str) -> ParsedPings:
    """One JSON object per POST. `_type: location` is a ping; other types (transition, waypoint, lwt, card, ...)
    and an empty body (the apps POST one when a friend is deleted) carry no ping of the device and are ignored."""
    if body is None:
        return ParsedPings(ignored=1)
    if not isinstance(body, dict):
        raise ValidationFailed(errors=[FieldError("body", "must be a JSON object")])
    if body.get("_type") == "encrypted":
        # Payload encryption is not supported: a location may be inside, so it is counted as unreadable (the
        # device list shows it) rather than ignored; the app still gets `[]`, or it would resend it forever.
        return ParsedPings(problems=[FieldError("_type", "encrypted payloads are not supported; turn encryption off")])
    if body.get("_type") != "location":
        return ParsedPings(ignored=1)

    def parse() -> dict[str, Any]:
        tst = number(body.get("tst"), "tst", required=True)
        assert tst is not None
        lat = number(body.get("lat"), "lat", required=True)
        lon = number(body.get("lon"), "lon", required=True)
        assert lat is not None and lon is not None
        vel = known(number(body.get("vel"), "vel"))  # km/h
        return make_ping(
            device_id,
            t=epoch_time(tst, "tst"),
            lat=lat,
            lon=lon,
            acc=number(body.get("acc"), "acc"),
            alt=number(body.get("alt"), "alt"),
            speed=None if vel is None else vel * KMH_M_S,
            heading=known(number(body.get("cog"), "cog")),
            battery=battery_percent(number(body.get("batt"), "batt")),
            source=source_of(body.get("source")),
        )

    return _single(parse)


# ---------------------------------------------------------------- Overland


def _overland_point(feature: Any, device_id: str) -> dict[str, Any]:
    if not isinstance(feature, dict):
        raise PointProblem("feature", "must be a GeoJSON Feature object")
    geometry, props = feature.get("geometry"), feature.get("properties")
    coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if not isinstance(coords, list) or len(coords) < 2:
        raise PointProblem("geometry.coordinates", "must be [longitude, latitude]")
    if not isinstance(props, dict):
        raise PointProblem("properties", "must be an object")
    lon = number(coords[0], "geometry.coordinates.0", required=True)
    lat = number(coords[1], "geometry.coordinates.1", required=True)
    assert lat is not None and lon is not None
    return make_ping(
        device_id,
        t=iso_time(props.get("timestamp"), "properties.timestamp"),
        lat=lat,
        lon=lon,
        acc=number(props.get("horizontal_accuracy"), "properties.horizontal_accuracy"),
        alt=number(props.get("altitude"), "properties.altitude"),
        speed=known(number(props.get("speed"), "properties.speed")),
        heading=known(number(props.get("course"), "properties.course")),
        battery=battery_percent(number(props.get("battery_level"), "properties.battery_level"), fraction=True),
        source=source_of(props.get("source")),
    )


def _overland_not_a_fix(feature: Any) -> bool:
    """Overland queues records other than fixes in the same `locations` array: the summary of a finished trip
    (`properties.type: "trip"`, stamped with the time the trip ended and placed at the last fix) and, with tracking
    stats or visit tracking on, `properties.action` records (`visit`, app events), some without a geometry. None of
    them is a position taken at its timestamp."""
    props = feature.get("properties") if isinstance(feature, dict) else None
    return isinstance(props, dict) and (props.get("type") == "trip" or "action" in props)


def parse_overland(body: Any, device_id: str) -> ParsedPings:
    """`{"locations": [Feature, ...]}` (up to 1,000). A location that cannot be read is skipped and counted: the
    app resends the whole batch unless it gets `{"result": "ok"}`, so one bad point must not hold back the rest."""
    locations = body.get("locations") if isinstance(body, dict) else None
    if not isinstance(locations, list):
        raise ValidationFailed(errors=[FieldError("locations", "must be an array of GeoJSON Features")])
    if len(locations) > MAX_OVERLAND_BATCH:
        raise ValidationFailed(errors=[FieldError("locations", f"at most {MAX_OVERLAND_BATCH} per request")])
    result = ParsedPings()
    for index, feature in enumerate(locations):
        if _overland_not_a_fix(feature):
            result.ignored += 1
            continue
        try:
            result.pings.append(_overland_point(feature, device_id))
        except PointProblem as exc:
            result.problems.append(FieldError(f"locations.{index}.{exc.field}", exc.reason))
    if not locations:
        result.ignored = 1
    return result


# ---------------------------------------------------------------- Traccar Client / OsmAnd protocol


def _given(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _traccar_point(params: Mapping[str, Any], device_id: str) -> dict[str, Any]:
    lat_value, lon_value = params.get("lat"), params.get("lon")
    if (lat_value is None or lon_value is None) and isinstance(params.get("location"), str):
        lat_value, _, lon_value = params["location"].partition(",")
    lat = number(lat_value, "lat", required=True, from_text=True)
    lon = number(lon_value, "lon", required=True, from_text=True)
    assert lat is not None and lon is not None
    knots = known(number(params.get("speed"), "speed", from_text=True))
    bearing = params.get("bearing", params.get("heading"))
    return make_ping(
        device_id,
        t=any_time(params.get("timestamp"), "timestamp", from_text=True),
        lat=lat,
        lon=lon,
        acc=number(params.get("accuracy"), "accuracy", from_text=True),
        alt=number(params.get("altitude"), "altitude", from_text=True),
        speed=None if knots is None else knots * KNOT_M_S,
        heading=known(number(bearing, "bearing", from_text=True)),
        battery=battery_percent(number(params.get("batt"), "batt", from_text=True)),
        source=source_of(params.get("provider")),
    )


def _traccar_heartbeat(params: Mapping[str, Any]) -> Heartbeat | None:
    """A Traccar request without any position field is a heartbeat: Traccar Client sends one every heartbeat
    interval while stationary, with only `id`, `timestamp` and the battery fields (`batt`, `charge`, ...) when no
    fix could be had. None when the request carries a position."""
    if any(_given(params.get(name)) for name in ("lat", "lon", "location")):
        return None
    stamp = params.get("timestamp")
    return Heartbeat(
        t=any_time(stamp, "timestamp", from_text=True) if _given(stamp) else None,
        battery=battery_percent(number(params.get("batt"), "batt", from_text=True)),
    )


def parse_traccar_params(params: Mapping[str, Any], device_id: str) -> ParsedPings:
    """Query or form parameters: `lat`, `lon` (or `location=lat,lon`), `timestamp` (epoch s, ms or ISO), `speed`
    in knots, `bearing`/`heading`, `altitude`, `accuracy`, `batt` (percent). Without a position: a heartbeat."""
    try:
        beat = _traccar_heartbeat(params)
    except PointProblem as exc:
        raise ValidationFailed(errors=[FieldError(exc.field, exc.reason)]) from exc
    if beat is not None:
        parsed = ParsedPings()
        parsed.add_heartbeat(beat)
        return parsed
    return _single(lambda: _traccar_point(params, device_id))


def _traccar_flat_list(items: list[Any], device_id: str) -> ParsedPings:
    """The JSON mode of the Traccar Client SDK: an array of the same flat fields as the form, JSON-typed. Like an
    Overland batch, an item that cannot be read is skipped and counted; the rest goes on."""
    if len(items) > MAX_OVERLAND_BATCH:
        raise ValidationFailed(errors=[FieldError("body", f"at most {MAX_OVERLAND_BATCH} positions per request")])
    if not all(isinstance(item, dict) for item in items):
        raise ValidationFailed(errors=[FieldError("body", "must be a JSON object or an array of objects")])
    result = ParsedPings(ignored=0 if items else 1)
    for index, item in enumerate(items):
        try:
            beat = _traccar_heartbeat(item)
            if beat is not None:
                result.add_heartbeat(beat)
            else:
                result.pings.append(_traccar_point(item, device_id))
        except PointProblem as exc:
            result.problems.append(FieldError(f"{index}.{exc.field}", exc.reason))
    return result


def _location_object(location: Any, device_id: str) -> dict[str, Any]:
    if not isinstance(location, dict):
        raise PointProblem("location", "must be an object")
    coords = location.get("coords")
    if not isinstance(coords, dict):
        raise PointProblem("location.coords", "must be an object")
    lat = number(coords.get("latitude"), "location.coords.latitude", required=True)
    lon = number(coords.get("longitude"), "location.coords.longitude", required=True)
    assert lat is not None and lon is not None
    battery = location.get("battery")
    level = number(battery.get("level"), "location.battery.level") if isinstance(battery, dict) else None
    return make_ping(
        device_id,
        t=any_time(location.get("timestamp"), "location.timestamp", from_text=False),
        lat=lat,
        lon=lon,
        acc=number(coords.get("accuracy"), "location.coords.accuracy"),
        alt=number(coords.get("altitude"), "location.coords.altitude"),
        speed=known(number(coords.get("speed"), "location.coords.speed")),
        heading=known(number(coords.get("heading"), "location.coords.heading")),
        battery=battery_percent(level, fraction=True),
    )


def parse_traccar_json(body: Any, device_id: str) -> ParsedPings:
    """Traccar Client 9.x: `{"location": {"timestamp", "coords": {latitude, longitude, accuracy, speed (m/s),
    heading, altitude}, "battery": {"level": 0-1}, ...}, "device_id"}`, or `"location": [...]` when its location
    library batches. The Traccar Client SDK's JSON mode: an array of flat objects with the form's fields (`id`,
    `lat`, `lon`, `timestamp`, `speed` in knots, `batt`, ...); one such object alone is read the same way."""
    if isinstance(body, list):
        return _traccar_flat_list(body, device_id)
    if not isinstance(body, dict):
        raise ValidationFailed(errors=[FieldError("body", "must be a JSON object or an array of objects")])
    location = body.get("location")
    if isinstance(location, list):
        if len(location) > MAX_OVERLAND_BATCH:
            raise ValidationFailed(errors=[FieldError("location", f"at most {MAX_OVERLAND_BATCH} per request")])
        result = ParsedPings(ignored=0 if location else 1)
        for index, item in enumerate(location):
            try:
                result.pings.append(_location_object(item, device_id))
            except PointProblem as exc:
                result.problems.append(
                    FieldError(f"location.{index}.{exc.field.removeprefix('location.')}", exc.reason)
                )
        return result
    if isinstance(location, dict):
        return _single(lambda: _location_object(location, device_id))
    return parse_traccar_params(body, device_id)


# ---------------------------------------------------------------- GPSLogger for Android (custom URL)


def parse_gpslogger(params: Mapping[str, str], device_id: str) -> ParsedPings:
    """The documented template's parameters (query string, or a form body): `lat`, `lon`, `time` (%TIME, ISO 8601
    UTC) or `timestamp` (%TIMESTAMP, epoch seconds), `acc`, `alt`, `spd` (m/s), `dir`, `batt` (percent), `prov`
    (gps, network, ...). A placeholder the app had no value for arrives empty and counts as absent."""

    def parse() -> dict[str, Any]:
        lat = number(params.get("lat"), "lat", required=True, from_text=True)
        lon = number(params.get("lon"), "lon", required=True, from_text=True)
        assert lat is not None and lon is not None
        when = params.get("time") or params.get("timestamp")
        return make_ping(
            device_id,
            t=any_time(when, "time", from_text=True),
            lat=lat,
            lon=lon,
            acc=number(params.get("acc"), "acc", from_text=True),
            alt=number(params.get("alt"), "alt", from_text=True),
            speed=known(number(params.get("spd"), "spd", from_text=True)),
            heading=known(number(params.get("dir"), "dir", from_text=True)),
            battery=battery_percent(number(params.get("batt"), "batt", from_text=True)),
            source=source_of(params.get("prov")),
        )

    return _single(parse)


# ---------------------------------------------------------------- OwnTracks: job sites as waypoints (the answer)

MAX_WAYPOINTS = 100  # phones monitor a limited number of regions; beyond this, the sites nearest the fix


def owntracks_waypoints(sites: list[JobSite], near: tuple[float, float] | None = None) -> dict[str, Any] | None:
    """The `setWaypoints` command (OwnTracks JSON, `_type: cmd`) for these sites, or None without sites. Each site
    is one circular region: a circle as it is, a polygon as the circle around it (centre of its corners, farthest
    corner). `rid` is the site id and `tst` the site's creation second (the key older apps use; made unique in
    creation order), so re-sending updates the phone's regions instead of adding copies."""
    if not sites:
        return None
    chosen = sites
    if len(sites) > MAX_WAYPOINTS:
        if near is None:
            chosen = sorted(sites, key=lambda s: (s.name.lower(), s.site_id))[:MAX_WAYPOINTS]
        else:
            chosen = sorted(sites, key=lambda s: (distance_m(near[0], near[1], *s.geometry().centre), s.site_id))[
                :MAX_WAYPOINTS
            ]
    waypoints: list[dict[str, Any]] = []
    last_tst = 0
    for site in sorted(chosen, key=lambda s: (s.created_at, s.site_id)):
        geometry = site.geometry()
        tst = max(int(site.created_at.timestamp()), last_tst + 1)
        last_tst = tst
        waypoints.append(
            {
                "_type": "waypoint",
                "rid": site.site_id,
                "desc": site.name,
                "lat": round(geometry.centre[0], 6),
                "lon": round(geometry.centre[1], 6),
                "rad": math.ceil(geometry.outer_radius()),
                "tst": tst,
            }
        )
    return {"_type": "cmd", "action": "setWaypoints", "waypoints": {"_type": "waypoints", "waypoints": waypoints}}


def waypoints_version(command: dict[str, Any]) -> str:
    """What a device last received, as a digest of the command (stored on the device record)."""
    text = json.dumps(command, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
