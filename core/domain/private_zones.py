"""Private zones (issue 20): places a worker protects, e.g. their home. Pure rules; see docs/private-zones.md.

A zone is a centre and a radius (100 m to 1 km) plus two secrets drawn once when the zone is made, kept server-side
and never answered: a margin (50 to 200 m) and a shift of the withheld circle's centre (half the margin to the whole
margin, in a random direction). A ping is withheld when it lies within radius + margin of the shifted centre. That
circle always covers the worker's own circle (the shift is at most the margin), and the points kept around a gap
outline a circle whose centre is off the real centre by the shift and whose radius is not the one the worker chose.
(A margin alone would not do: many tracks ending on any circle around the centre point to its centre.)

Zones are versioned like consent: each zone is in force from `created_at` until `removed_at` (never edited), and the
zones in force at a ping's own time decide, so adding or removing a zone never changes what was decided before.
"""

from __future__ import annotations

import bisect
import math
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, Field, Strict

from core.domain.accounts import ApiModel, PublicModel
from core.domain.privacy import KeptData

if TYPE_CHECKING:
    from core.domain.tracking import Ping

MIN_RADIUS_M = 100.0
MAX_RADIUS_M = 1_000.0
MIN_MARGIN_M = 50.0
MAX_MARGIN_M = 200.0
MAX_ACTIVE_ZONES = 5
MAX_STORED_ZONES = 100  # active and removed; the oldest removed ones go first beyond this
DOC_TYPE = "private-zones"
WITHHELD_DOC_TYPE = "withheld-ping"  # a ping withheld inside a zone: its id and time, never a position
APPLY_CONFIRMATION = "REMOVE"  # what the member types to apply a zone to stored history
SECRET_FIELDS = ("margin_m", "hidden_lat", "hidden_lon")
_EARTH_RADIUS_M = 6_371_008.8

Number = Annotated[float, Strict()]


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def new_zone(
    *, zone_id: str, data: PrivateZoneIn, at: datetime, uniform: Callable[[float, float], float] | None = None
) -> PrivateZone:
    """A new zone in force from `at`, with its secrets drawn from a cryptographic random source (unless one is
    given, in tests)."""
    pick = uniform or secrets.SystemRandom().uniform
    margin = round(pick(MIN_MARGIN_M, MAX_MARGIN_M), 1)
    shift, bearing = pick(margin / 2, margin), pick(0.0, 2 * math.pi)
    north, east = shift * math.cos(bearing), shift * math.sin(bearing)
    hidden_lat = data.latitude + math.degrees(north / _EARTH_RADIUS_M)
    hidden_lon = data.longitude + math.degrees(east / (_EARTH_RADIUS_M * math.cos(math.radians(data.latitude))))
    return PrivateZone(
        zone_id=zone_id,
        lat=data.latitude,
        lon=data.longitude,
        radius_m=data.radius_meters,
        margin_m=margin,
        hidden_lat=hidden_lat,
        hidden_lon=hidden_lon,
        created_at=at,
    )


class PrivateZoneIn(ApiModel):
    latitude: Number = Field(ge=-90, le=90, description="WGS 84 degrees of the centre")
    longitude: Number = Field(ge=-180, le=180, description="WGS 84 degrees of the centre")
    radius_meters: Number = Field(
        alias="radiusMeters", ge=MIN_RADIUS_M, le=MAX_RADIUS_M, description="100 to 1,000 metres"
    )


class HistoryApplied(BaseModel):
    """The record of applying a zone to stored history (irreversible): when it was asked for, when it finished
    (None: a retry finishes it), how many stored pings it removed and whether it withheld the latest position."""

    requested_at: datetime
    completed_at: datetime | None = None
    pings_removed: int = 0
    latest_position_withheld: bool = False
    notes_cleared: int = 0
    photos_cleared: int = 0
    kept: list[KeptData] = Field(default_factory=list)


class HistoryAppliedPublic(PublicModel):
    zone_id: str = Field(alias="zoneId")
    requested_at: datetime = Field(alias="requestedAt")
    completed_at: datetime = Field(alias="completedAt")
    pings_removed: int = Field(alias="pingsRemoved", description="Stored pings inside the zone that were removed.")
    latest_position_withheld: bool = Field(alias="latestPositionWithheld")
    notes_cleared: int = Field(alias="notesCleared", description="Notes whose place inside the zone was removed.")
    photos_cleared: int = Field(
        alias="photosCleared", description="Photos whose position inside the zone was removed (record and file)."
    )
    kept: list[KeptData] = Field(
        default_factory=list,
        description="What stayed inside the zone because a legal hold covers it (kind and `legal-hold <hold id>`).",
    )


class ApplyToHistoryIn(ApiModel):
    confirmation: Literal["REMOVE"] = Field(
        description="Type REMOVE: the stored positions inside the zone are removed for good (irreversible)."
    )


class PrivateZone(BaseModel):
    """A stored zone. `margin_m`, `hidden_lat` and `hidden_lon` (the withheld circle's shifted centre) are secret:
    they never leave the server (not in answers, not in exports)."""

    zone_id: str
    lat: float
    lon: float
    radius_m: float
    margin_m: float
    hidden_lat: float
    hidden_lon: float
    created_at: datetime
    removed_at: datetime | None = None
    history_applied: HistoryApplied | None = None

    def in_force(self, at: datetime) -> bool:
        """From `created_at` (or, once applied to stored history, from any earlier time too) until removed."""
        started = self.created_at <= at or self.history_applied is not None
        return started and (self.removed_at is None or at < self.removed_at)

    def withholds(self, lat: float, lon: float) -> bool:
        return _distance_m(self.hidden_lat, self.hidden_lon, lat, lon) <= self.radius_m + self.margin_m

    def box(self) -> tuple[float, float, float, float]:
        """South, west, north, east bounds around every point this zone withholds (with room to spare; a zone
        across the 180th meridian is not supported by the box)."""
        reach = (self.radius_m + self.margin_m) * 1.01 + 1.0
        dlat = math.degrees(reach / _EARTH_RADIUS_M)
        widest = math.radians(min(89.9, abs(self.hidden_lat) + dlat))
        dlon = math.degrees(reach / (_EARTH_RADIUS_M * math.cos(widest)))
        return self.hidden_lat - dlat, self.hidden_lon - dlon, self.hidden_lat + dlat, self.hidden_lon + dlon

    def to_public(self) -> PrivateZonePublic:
        applied = self.history_applied
        done = self.applied_public() if applied is not None and applied.completed_at is not None else None
        return PrivateZonePublic(
            zone_id=self.zone_id,
            latitude=self.lat,
            longitude=self.lon,
            radius_meters=self.radius_m,
            created_at=self.created_at,
            history_applied=done,
        )

    def applied_public(self) -> HistoryAppliedPublic:
        a = self.history_applied
        if a is None or a.completed_at is None:
            raise ValueError("the zone was not applied to history")
        return HistoryAppliedPublic(
            zone_id=self.zone_id,
            requested_at=a.requested_at,
            completed_at=a.completed_at,
            pings_removed=a.pings_removed,
            latest_position_withheld=a.latest_position_withheld,
            notes_cleared=a.notes_cleared,
            photos_cleared=a.photos_cleared,
            kept=a.kept,
        )


class PrivateZonePublic(PublicModel):
    zone_id: str = Field(alias="zoneId")
    latitude: float
    longitude: float
    radius_meters: float = Field(alias="radiusMeters")
    created_at: datetime = Field(alias="createdAt", description="In force for pings taken from this time on.")
    history_applied: HistoryAppliedPublic | None = Field(
        default=None, alias="historyApplied", description="Set once the zone was applied to stored history."
    )


class PrivateZoneList(PublicModel):
    items: list[PrivateZonePublic] = Field(description="The zones in force now, oldest first.")
    max_zones: int = Field(default=MAX_ACTIVE_ZONES, alias="maxZones")


class PrivateZoneCount(PublicModel):
    count: int = Field(description="How many private zones the member has in force (never where).")


class PrivateZones(BaseModel):
    """All of one member's zones in one document (users container, the member's partition): the writer reads them
    with one point read per message. `version`: the store's ETag of what was read (None: never stored)."""

    account_id: str
    user_id: str
    zones: list[PrivateZone] = Field(default_factory=list)
    version: str | None = None

    def active(self) -> list[PrivateZone]:
        return [z for z in self.zones if z.removed_at is None]

    def withholds(self, lat: float, lon: float, at: datetime) -> bool:
        """Whether a point taken at `at` lies inside (radius + margin) of any zone in force at `at`."""
        return any(z.in_force(at) and z.withholds(lat, lon) for z in self.zones)

    def split(self, pings: Iterable[Ping]) -> tuple[list[Ping], list[Ping]]:
        """The pings kept and the pings withheld (inside a zone in force at the ping's own time), each in the order
        given. The one decision of both places that withhold pings, the ingest call and the pings writer
        (docs/tracking.md, "Private zones: decided at ingest and again by the writer")."""
        kept: list[Ping] = []
        withheld: list[Ping] = []
        for p in pings:
            (withheld if self.withholds(p.lat, p.lon, p.t) else kept).append(p)
        return kept, withheld

    def find_active(self, zone_id: str) -> PrivateZone | None:
        return next((z for z in self.zones if z.zone_id == zone_id and z.removed_at is None), None)

    def add(self, zone: PrivateZone) -> None:
        self.zones.append(zone)
        removed = sorted(
            (z for z in self.zones if z.removed_at is not None), key=lambda z: z.removed_at or zone.created_at
        )
        excess = len(self.zones) - MAX_STORED_ZONES
        drop = {id(z) for z in removed[: max(0, excess)]}
        self.zones = [z for z in self.zones if id(z) not in drop]

    def remove(self, zone_id: str, at: datetime) -> bool:
        """End a zone in force (it keeps deciding pings taken before `at`). False when there is no such zone."""
        for z in self.zones:
            if z.zone_id == zone_id and z.removed_at is None:
                z.removed_at = max(at, z.created_at)
                return True
        return False


class WithheldPing(BaseModel):
    """A ping withheld inside a private zone: stored with its id and time only (the track shows a gap labelled
    private there). `applied_zone`: the zone whose application to history removed the stored ping (None: withheld
    when it arrived)."""

    ping_id: str
    t: datetime
    applied_zone: str | None = None


class PrivateGap(BaseModel):
    """A run of withheld pings with no kept point between them."""

    start: datetime
    end: datetime
    withheld: int


def private_gaps(withheld: list[datetime], kept: list[datetime]) -> list[PrivateGap]:
    """Group withheld times (any order) into gaps: a kept point between two withheld times splits them."""
    kept_sorted = sorted(kept)
    gaps: list[PrivateGap] = []
    for t in sorted(withheld):
        if gaps and bisect.bisect_right(kept_sorted, t) == bisect.bisect_right(kept_sorted, gaps[-1].end):
            gaps[-1] = PrivateGap(start=gaps[-1].start, end=t, withheld=gaps[-1].withheld + 1)
        else:
            gaps.append(PrivateGap(start=t, end=t, withheld=1))
    return gaps
