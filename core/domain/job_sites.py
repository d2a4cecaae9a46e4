"""Job sites (geofences): a circle or a simple polygon, optional assigned members and active hours.

Pure: the models (Create / Update / Public and the stored form), the geometry the enter/exit rules use, and the
geohash cells that bucket sites so that a ping is compared only with the sites of its own cell.
See docs/job-sites.md.
"""

from __future__ import annotations

import functools
import math
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, StringConstraints, model_validator

from core.domain.accounts import ApiModel, PublicModel, TimeZoneName
from core.domain.geohash import encode
from core.domain.inputs import CONTINUATION_DOC, SINGLE_LINE, ContinuationToken
from core.domain.tracking import TrackingWindow
from core.domain.tracking_geo import EARTH_RADIUS_M, distance_m

MIN_RADIUS_M = 50.0
MAX_RADIUS_M = 5_000.0
DEFAULT_RADIUS_M = 150.0
MAX_POLYGON_VERTICES = 100
MAX_POLYGON_EXTENT_M = 10_000.0  # a polygon fits in the same 10 km box as the largest circle
MAX_ASSIGNED = 500
CELL_PRECISION = 5  # geohash cells of about 4.9 km x 4.9 km (narrower away from the equator)

SiteName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120), SINGLE_LINE]
AddressText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300), SINGLE_LINE]
MemberId = Annotated[str, StringConstraints(min_length=1, max_length=128), SINGLE_LINE]


class Centre(ApiModel):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class CircleArea(ApiModel):
    kind: Literal["circle"]
    centre: Centre
    radius: float = Field(default=DEFAULT_RADIUS_M, ge=MIN_RADIUS_M, le=MAX_RADIUS_M, description="metres")


def _project(lat0: float, lon0: float, lat: float, lon: float) -> tuple[float, float]:
    """Local equirectangular metres around (lat0, lon0); sites are at most 10 km across."""
    dlon = (lon - lon0 + 540.0) % 360.0 - 180.0
    return (
        math.radians(dlon) * math.cos(math.radians(lat0)) * EARTH_RADIUS_M,
        math.radians(lat - lat0) * EARTH_RADIUS_M,
    )


def _cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _segments_cross(
    p1: tuple[float, float], p2: tuple[float, float], q1: tuple[float, float], q2: tuple[float, float]
) -> bool:
    d1, d2 = _cross(q1, q2, p1), _cross(q1, q2, p2)
    d3, d4 = _cross(p1, p2, q1), _cross(p1, p2, q2)
    if ((d1 > 0) != (d2 > 0)) and ((d3 > 0) != (d4 > 0)) and d1 and d2 and d3 and d4:
        return True

    def on(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float], d: float) -> bool:
        return d == 0 and min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])

    return on(q1, q2, p1, d1) or on(q1, q2, p2, d2) or on(p1, p2, q1, d3) or on(p1, p2, q2, d4)


class PolygonGeometry(ApiModel):
    """A GeoJSON Polygon (RFC 7946) with one ring: [[longitude, latitude], ...], first position repeated last."""

    type: Literal["Polygon"]
    coordinates: list[list[list[float]]] = Field(
        min_length=1, max_length=1, description="one exterior ring; holes are not supported"
    )

    @model_validator(mode="after")
    def _check(self) -> PolygonGeometry:
        ring = self.coordinates[0]
        if len(ring) < 4 or len(ring) > MAX_POLYGON_VERTICES + 1:
            raise ValueError(f"the ring must have 3 to {MAX_POLYGON_VERTICES} corners (first position repeated last)")
        for position in ring:
            if len(position) != 2 or not (-180 <= position[0] <= 180 and -90 <= position[1] <= 90):
                raise ValueError("each position is [longitude, latitude] within range")
        if ring[0] != ring[-1]:
            raise ValueError("the ring must be closed (last position equal to the first)")
        corners = ring[:-1]
        if len({(p[0], p[1]) for p in corners}) != len(corners):
            raise ValueError("the ring must not repeat a corner")
        lat0, lon0 = corners[0][1], corners[0][0]
        xy = [_project(lat0, lon0, p[1], p[0]) for p in corners]
        xs, ys = [p[0] for p in xy], [p[1] for p in xy]
        if max(xs) - min(xs) > MAX_POLYGON_EXTENT_M or max(ys) - min(ys) > MAX_POLYGON_EXTENT_M:
            raise ValueError(
                f"the polygon must fit in {MAX_POLYGON_EXTENT_M / 1000:.0f} km x {MAX_POLYGON_EXTENT_M / 1000:.0f} km"
            )
        n = len(xy)
        for i in range(n):
            for j in range(i + 1, n):
                if j == i + 1 or (i == 0 and j == n - 1):
                    continue  # neighbouring edges share a corner
                if _segments_cross(xy[i], xy[(i + 1) % n], xy[j], xy[(j + 1) % n]):
                    raise ValueError("the polygon must be simple (its edges must not cross or touch)")
        if abs(_shoelace(xy)) < 100.0:
            raise ValueError("the polygon must enclose at least 100 square metres")
        return self


def _shoelace(xy: list[tuple[float, float]]) -> float:
    return sum(xy[i][0] * xy[(i + 1) % len(xy)][1] - xy[(i + 1) % len(xy)][0] * xy[i][1] for i in range(len(xy))) / 2


class PolygonArea(ApiModel):
    kind: Literal["polygon"]
    geometry: PolygonGeometry


Area = Annotated[CircleArea | PolygonArea, Field(discriminator="kind")]


class ActiveHours(ApiModel):
    """When the site applies, as local wall-clock windows (the tracking-window format)."""

    time_zone: TimeZoneName = Field(alias="timeZone", examples=["America/Chicago"])
    windows: list[TrackingWindow] = Field(min_length=1, max_length=28)

    def allows(self, at: datetime) -> bool:
        local = at.astimezone(ZoneInfo(self.time_zone))
        return any(w.contains(local) for w in self.windows)


def _unique(ids: list[str] | None) -> list[str] | None:
    if ids is not None and len(set(ids)) != len(ids):
        raise ValueError("assignedMemberIds must not repeat")
    return ids


class JobSiteCreate(ApiModel):
    name: SiteName
    address: AddressText | None = None
    area: Area
    assigned_member_ids: list[MemberId] = Field(
        default_factory=list,
        alias="assignedMemberIds",
        max_length=MAX_ASSIGNED,
        description="members the site applies to; empty: every member",
    )
    active_hours: ActiveHours | None = Field(default=None, alias="activeHours")

    @model_validator(mode="after")
    def _check(self) -> JobSiteCreate:
        _unique(self.assigned_member_ids)
        return self


class JobSiteUpdate(ApiModel):
    """Only the fields present change; `activeHours: null` removes the active hours."""

    name: SiteName | None = None
    address: AddressText | None = None
    area: Area | None = None
    assigned_member_ids: list[MemberId] | None = Field(default=None, alias="assignedMemberIds", max_length=MAX_ASSIGNED)
    active_hours: ActiveHours | None = Field(default=None, alias="activeHours")

    @model_validator(mode="after")
    def _check(self) -> JobSiteUpdate:
        _unique(self.assigned_member_ids)
        return self


class JobSitePublic(PublicModel):
    site_id: str = Field(alias="siteId")
    account_id: str = Field(alias="accountId")
    name: str
    address: str | None = None
    area: Area
    assigned_member_ids: list[str] = Field(alias="assignedMemberIds")
    active_hours: ActiveHours | None = Field(default=None, alias="activeHours")
    assignees_erased: bool = Field(
        default=False,
        alias="assigneesErased",
        description="Every member assigned to the site was erased (a data-subject"
        " request): it applies to nobody until members are assigned again.",
    )
    created_at: datetime = Field(alias="createdAt")
    updated_at: datetime = Field(alias="updatedAt")


class JobSiteList(PublicModel):
    items: list[JobSitePublic]
    continuation: str | None = Field(
        default=None, description="Also in X-Continuation: pass as ?continuation= for the next page."
    )


class JobSiteListQuery(ApiModel):
    limit: int = Field(default=200, ge=1, le=1000)
    # keyset paging by site id, sealed (core/services/paging.py): opaque and bound to the list it continues
    continuation: ContinuationToken | None = Field(default=None, description=CONTINUATION_DOC)


class JobSite(BaseModel):
    """Stored form (accounts container, docType job-site)."""

    site_id: str
    account_id: str
    name: str
    address: str | None = None
    area: Area
    assigned_member_ids: list[str] = Field(default_factory=list)
    active_hours: ActiveHours | None = None
    assignees_erased: bool = False  # the list was emptied by erasures: nobody, not everyone
    created_at: datetime
    updated_at: datetime

    def to_public(self) -> JobSitePublic:
        return JobSitePublic(
            site_id=self.site_id,
            account_id=self.account_id,
            name=self.name,
            address=self.address,
            area=self.area,
            assigned_member_ids=self.assigned_member_ids,
            active_hours=self.active_hours,
            assignees_erased=self.assignees_erased,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )

    def applies_to(self, user_id: str) -> bool:
        if user_id in self.assigned_member_ids:
            return True
        return not self.assigned_member_ids and not self.assignees_erased

    def without_member(self, user_id: str) -> JobSite:
        """The site once an erased member's id is taken out of its assignment list (applying to nobody, not to
        everyone, when that was the last one)."""
        left = [m for m in self.assigned_member_ids if m != user_id]
        return self.model_copy(
            update={"assigned_member_ids": left, "assignees_erased": self.assignees_erased or not left}
        )

    def geometry(self) -> SiteGeometry:
        return SiteGeometry.of(self.area)


# ---------------------------------------------------------------- geometry used by the enter/exit rules


class SiteGeometry:
    """Distances from a site's boundary. `radius` is the circle's radius, or for a polygon the radius of the circle
    of the same area (it sets the accuracy threshold and the exit margin)."""

    def __init__(
        self, *, circle: tuple[float, float, float] | None = None, ring: list[tuple[float, float]] | None = None
    ) -> None:
        self._circle = circle
        self._ring = ring  # (lat, lon) corners, not closed
        if circle is not None:
            self.radius = circle[2]
            self.centre = (circle[0], circle[1])
        else:
            assert ring is not None
            self.centre = (sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring))
            self._xy = [_project(self.centre[0], self.centre[1], lat, lon) for lat, lon in ring]
            self.radius = math.sqrt(abs(_shoelace(self._xy)) / math.pi)
            self._reach = max(math.hypot(x, y) for x, y in self._xy)

    @classmethod
    def of(cls, area: CircleArea | PolygonArea) -> SiteGeometry:
        if isinstance(area, CircleArea):
            return cls(circle=(area.centre.latitude, area.centre.longitude, area.radius))
        return cls(ring=[(p[1], p[0]) for p in area.geometry.coordinates[0][:-1]])

    @property
    def exit_margin(self) -> float:
        return max(0.1 * self.radius, 20.0)

    def signed_distance(self, lat: float, lon: float) -> float:
        """Metres outside the boundary (negative inside)."""
        if self._circle is not None:
            return distance_m(self._circle[0], self._circle[1], lat, lon) - self._circle[2]
        x, y = _project(self.centre[0], self.centre[1], lat, lon)
        xy = self._xy
        inside = False
        best = math.inf
        n = len(xy)
        for i in range(n):
            (ax, ay), (bx, by) = xy[i], xy[(i + 1) % n]
            if (ay > y) != (by > y) and x < (bx - ax) * (y - ay) / (by - ay) + ax:
                inside = not inside
            dx, dy = bx - ax, by - ay
            length2 = dx * dx + dy * dy
            u = 0.0 if length2 == 0 else max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / length2))
            best = min(best, math.hypot(x - ax - u * dx, y - ay - u * dy))
        return -best if inside else best

    def outer_radius(self) -> float:
        """The radius of the circle around `centre` that holds the whole area (a polygon's farthest corner)."""
        return self.radius if self._circle is not None else self._reach

    def reach(self) -> float:
        """Distance from the centre to the farthest point that still matters (boundary plus exit margin)."""
        return self.outer_radius() + self.exit_margin


# ---------------------------------------------------------------- geohash cells (spatial buckets)


@functools.lru_cache(maxsize=8192)
def geohash(lat: float, lon: float, precision: int = CELL_PRECISION) -> str:
    """The geohash cell of a point at the job sites' bucket precision (the one encoder: core/domain/geohash.py).
    Remembered for the last points (a pure function): the writer's job-site step asks twice per fix, once for the
    cells to look the sites up in and once to evaluate the fix."""
    return encode(lat, lon, precision)


def cell_size_deg(precision: int = CELL_PRECISION) -> tuple[float, float]:
    """(latitude, longitude) size of a cell in degrees."""
    lon_bits = (5 * precision + 1) // 2
    lat_bits = 5 * precision // 2
    return 180.0 / 2**lat_bits, 360.0 / 2**lon_bits


def cells_covering(geometry: SiteGeometry, precision: int = CELL_PRECISION) -> list[str]:
    """Every cell that a point deciding anything about the site (within its reach) can fall in."""
    reach = geometry.reach()
    lat, lon = geometry.centre
    dlat = math.degrees(reach / EARTH_RADIUS_M)
    dlon = math.degrees(reach / (EARTH_RADIUS_M * max(0.01, math.cos(math.radians(lat)))))
    step_lat, step_lon = cell_size_deg(precision)
    cells: set[str] = set()
    la = max(-90.0, lat - dlat)
    while True:
        lo = lon - dlon
        while True:
            cells.add(geohash(min(89.999999, la), (lo + 540.0) % 360.0 - 180.0, precision))
            if lo >= lon + dlon:
                break
            lo = min(lon + dlon, lo + step_lon / 2)
        if la >= min(90.0, lat + dlat):
            break
        la = min(90.0, lat + dlat, la + step_lat / 2)
    return sorted(cells)
