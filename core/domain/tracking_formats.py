"""Writing tracks as GeoJSON (RFC 7946) and GPX 1.1, and the compact queue message that carries accepted pings."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET  # nosec B405 - only builds GPX documents; nothing here parses XML

from pydantic import BaseModel, ConfigDict, Field

from core.domain.coarse_history import COARSE_PREFIX
from core.domain.tracking import Ping, PingSource, Track

GEOJSON_MEDIA_TYPE = "application/geo+json"
GPX_MEDIA_TYPE = "application/gpx+xml"
GPX_NS = "http://www.topografix.com/GPX/1/1"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

# Storage queue messages are at most 64 KB after base64 (4/3 larger): keep the JSON text well under 48 KiB.
MAX_MESSAGE_TEXT_BYTES = 45_000


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


# ---------------------------------------------------------------- GeoJSON


def to_geojson(track: Track) -> dict[str, Any]:
    """A FeatureCollection: one LineString of the points (when there are two or more), one Point per point with
    its time and readings, and one Point per detected stop. Coordinates are [longitude, latitude]."""
    features: list[dict[str, Any]] = []
    coords = [[round(p.lon, 7), round(p.lat, 7)] for p in track.points]
    if len(coords) >= 2:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": coords},
                "properties": {
                    "kind": "track",
                    "userId": track.user_id,
                    "from": _iso(track.range_from),
                    "to": _iso(track.range_to),
                    "times": [_iso(p.t) for p in track.points],
                    "pointCount": len(track.points),
                    "rawPointCount": track.raw_count,
                    "simplifiedMetres": track.simplified,
                },
            }
        )
    for p in track.points:
        props = {
            "kind": "ping",
            "id": p.ping_id,
            "time": _iso(p.t),
            "horizontalAccuracy": p.acc,
            "source": p.src.value,
            "altitude": p.alt,
            "speed": p.spd,
            "heading": p.hdg,
            "batteryLevel": p.bat,
            "coarse": True if p.ping_id.startswith(COARSE_PREFIX) else None,
        }
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(p.lon, 7), round(p.lat, 7)]},
                "properties": {k: v for k, v in props.items() if v is not None},
            }
        )
    for s in track.stops or []:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(s.lon, 7), round(s.lat, 7)]},
                "properties": {
                    "kind": "stop",
                    "arrival": _iso(s.arrival),
                    "departure": _iso(s.departure),
                    "minutes": round(s.minutes, 1),
                    "points": s.points,
                },
            }
        )
    for g in track.private_gaps:  # no geometry: where the member was is not stored (docs/private-zones.md)
        features.append(
            {
                "type": "Feature",
                "geometry": None,
                "properties": {
                    "kind": "private-gap",
                    "label": "private",
                    "from": _iso(g.start),
                    "to": _iso(g.end),
                    "withheld": g.withheld,
                },
            }
        )
    doc: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": features,
        "coarseDays": [d.isoformat() for d in track.coarse_days],
    }  # docs/coarsened-history.md
    if track.continuation:
        doc["continuation"] = track.continuation  # a foreign member: the token for the next page
    return doc


# ---------------------------------------------------------------- GPX 1.1


def _num(value: float, digits: int) -> str:
    return f"{value:.{digits}f}"


def to_gpx(track: Track) -> str:
    """GPX 1.1: metadata, one waypoint per detected stop, one track with one segment (schema element order)."""
    ET.register_namespace("", GPX_NS)
    ET.register_namespace("xsi", XSI_NS)
    gpx = ET.Element(
        f"{{{GPX_NS}}}gpx",
        {
            "version": "1.1",
            "creator": "IndusTrack",
            f"{{{XSI_NS}}}schemaLocation": f"{GPX_NS} {GPX_NS}/gpx.xsd",
        },
    )
    meta = ET.SubElement(gpx, f"{{{GPX_NS}}}metadata")
    ET.SubElement(meta, f"{{{GPX_NS}}}name").text = f"Track {_iso(track.range_from)} to {_iso(track.range_to)}"
    ET.SubElement(meta, f"{{{GPX_NS}}}desc").text = (
        f"{len(track.points)} of {track.raw_count} points"
        + (f", simplified at {track.simplified:g} m" if track.simplified else "")
        + (f"; continuation: {track.continuation}" if track.continuation else "")
        + (f"; coarse days: {', '.join(d.isoformat() for d in track.coarse_days)}" if track.coarse_days else "")
    )
    for n, s in enumerate(track.stops or [], start=1):
        wpt = ET.SubElement(gpx, f"{{{GPX_NS}}}wpt", {"lat": _num(s.lat, 7), "lon": _num(s.lon, 7)})
        ET.SubElement(wpt, f"{{{GPX_NS}}}time").text = _iso(s.arrival)
        ET.SubElement(wpt, f"{{{GPX_NS}}}name").text = f"Stop {n}"
        ET.SubElement(
            wpt, f"{{{GPX_NS}}}desc"
        ).text = f"arrival {_iso(s.arrival)}, departure {_iso(s.departure)}, {s.minutes:.1f} min"
        ET.SubElement(wpt, f"{{{GPX_NS}}}type").text = "stop"
    trk = ET.SubElement(gpx, f"{{{GPX_NS}}}trk")
    ET.SubElement(trk, f"{{{GPX_NS}}}name").text = f"Worker {track.user_id}"
    seg = ET.SubElement(trk, f"{{{GPX_NS}}}trkseg")
    for p in track.points:
        pt = ET.SubElement(seg, f"{{{GPX_NS}}}trkpt", {"lat": _num(p.lat, 7), "lon": _num(p.lon, 7)})
        if p.alt is not None:
            ET.SubElement(pt, f"{{{GPX_NS}}}ele").text = _num(p.alt, 1)
        ET.SubElement(pt, f"{{{GPX_NS}}}time").text = _iso(p.t)
        ET.SubElement(pt, f"{{{GPX_NS}}}src").text = p.src.value
    body: str = ET.tostring(gpx, encoding="unicode", xml_declaration=False)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body


# ---------------------------------------------------------------- queue messages


class PingMessage(BaseModel):
    """What the ingest call puts on the pings queue: one worker's accepted pings, in compact rows."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    v: int = Field(default=1, ge=1, le=1)
    account_id: str = Field(alias="a", min_length=1, max_length=100)
    user_id: str = Field(alias="u", min_length=1, max_length=200)
    rows: list[list[Any]] = Field(alias="p", min_length=1, max_length=1000)

    def pings(self) -> list[Ping]:
        return [_from_row(r) for r in self.rows if len(r) != len(_WITHHELD_ROW)]

    def withheld(self) -> list[tuple[str, datetime]]:
        """Pings the ingest call withheld in a private zone: their id and time only, never a position."""
        return [_withheld_from_row(r) for r in self.rows if len(r) == len(_WITHHELD_ROW)]


_ROW = ("ping_id", "t", "lat", "lon", "acc", "alt", "spd", "hdg", "bat", "src", "dev")
_WITHHELD_ROW = ("ping_id", "t")


def _withheld_from_row(row: list[Any]) -> tuple[str, datetime]:
    ping_id, t = row
    if not isinstance(ping_id, str) or not 0 < len(ping_id) <= 64 or isinstance(t, bool) or not isinstance(t, int):
        raise ValueError("a withheld ping row is [id, epoch milliseconds]")
    return ping_id, datetime.fromtimestamp(t / 1000, tz=UTC)


def _to_row(p: Ping) -> list[Any]:
    return [
        p.ping_id,
        int(p.t.timestamp() * 1000),
        p.lat,
        p.lon,
        p.acc,
        _round(p.alt, 2),
        _round(p.spd, 2),
        _round(p.hdg, 1),
        _round(p.bat, 1),
        p.src.value,
        p.dev,
    ]


def _from_row(row: list[Any]) -> Ping:
    if len(row) != len(_ROW):
        raise ValueError("a ping row has 11 fields")
    values = dict(zip(_ROW, row, strict=True))
    values["t"] = datetime.fromtimestamp(int(values["t"]) / 1000, tz=UTC)
    values["src"] = PingSource(values["src"])
    return Ping.model_validate(values)


def encode_ping_messages(
    account_id: str,
    user_id: str,
    pings: list[Ping],
    max_bytes: int = MAX_MESSAGE_TEXT_BYTES,
    withheld: list[Ping] | None = None,
) -> list[str]:
    """Split the pings into as few messages as fit under the queue's size limit. `withheld` (pings inside a
    private zone) travel as [id, epoch milliseconds] rows: their positions never reach the queue."""
    head = json.dumps({"v": 1, "a": account_id, "u": user_id, "p": []}, separators=(",", ":"))
    budget = max_bytes - len(head.encode())
    messages: list[str] = []
    rows: list[str] = []
    size = 0
    rows_out = [_to_row(p) for p in pings] + [[p.ping_id, int(p.t.timestamp() * 1000)] for p in withheld or []]
    for values in rows_out:
        row = json.dumps(values, separators=(",", ":"))
        extra = len(row.encode()) + (1 if rows else 0)
        if rows and size + extra > budget:
            messages.append(head[:-3] + "[" + ",".join(rows) + "]}")
            rows, size, extra = [], 0, len(row.encode())
        rows.append(row)
        size += extra
    if rows:
        messages.append(head[:-3] + "[" + ",".join(rows) + "]}")
    return messages


def decode_ping_message(text: str | bytes) -> PingMessage:
    """Raise on anything malformed: the host retries and then poisons the message."""
    return PingMessage.model_validate_json(text)
