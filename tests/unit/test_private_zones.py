"""Private zones (docs/private-zones.md): which points are withheld, versioning by the ping's own time, and that the
points kept around the gaps do not give the centre away."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from core.domain.private_zones import (
    MAX_MARGIN_M,
    MIN_MARGIN_M,
    PrivateZone,
    PrivateZoneIn,
    PrivateZones,
    _distance_m,
    new_zone,
)

T0 = datetime(2026, 6, 1, 12, tzinfo=UTC)
HOME = (45.0, -93.0)


def offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    return (
        lat + math.degrees(north_m / 6_371_008.8),
        lon + math.degrees(east_m / (6_371_008.8 * math.cos(math.radians(lat)))),
    )


def zone(
    zone_id: str = "z1", centre: tuple[float, float] = HOME, radius: float = 200, at: datetime = T0, seed: int = 1
) -> PrivateZone:
    data = PrivateZoneIn.model_validate({"latitude": centre[0], "longitude": centre[1], "radiusMeters": radius})
    return new_zone(zone_id=zone_id, data=data, at=at, uniform=random.Random(seed).uniform)


def zones(*items: PrivateZone) -> PrivateZones:
    return PrivateZones(account_id="a1", user_id="u1", zones=list(items))


def test_inside_and_far_outside() -> None:
    z = zones(zone(radius=200))
    assert z.withholds(*HOME, T0 + timedelta(minutes=1))
    assert z.withholds(*offset(*HOME, 150, 0), T0 + timedelta(minutes=1))
    assert not z.withholds(*offset(*HOME, 0, 800), T0 + timedelta(minutes=1))


def test_edge_every_point_of_the_workers_circle_is_withheld_and_the_margin_is_secret_and_bounded() -> None:
    for seed in range(50):
        z = zone(radius=100, seed=seed)
        assert MIN_MARGIN_M <= z.margin_m <= MAX_MARGIN_M
        shift = _distance_m(z.lat, z.lon, z.hidden_lat, z.hidden_lon)
        assert z.margin_m / 2 - 0.5 <= shift <= z.margin_m + 0.5
        for step in range(36):  # every direction, just inside the worker's own radius
            b = math.radians(step * 10)
            assert z.withholds(*offset(*HOME, 99.9 * math.cos(b), 99.9 * math.sin(b)))
        # beyond radius + 2 x margin nothing is withheld
        far = 100 + 2 * z.margin_m + 1
        assert not any(
            z.withholds(*offset(*HOME, far * math.cos(math.radians(s * 10)), far * math.sin(math.radians(s * 10))))
            for s in range(36)
        )
    public = zone().to_public().model_dump(by_alias=True)
    assert set(public) == {"zoneId", "latitude", "longitude", "radiusMeters", "createdAt", "historyApplied"}


def test_overlapping_zones_withhold_their_union() -> None:
    a = zone("a", HOME, 300, seed=2)
    b = zone("b", offset(*HOME, 0, 400), 300, seed=3)
    z = zones(a, b)
    later = T0 + timedelta(hours=1)
    assert z.withholds(*offset(*HOME, 0, 200), later)  # in both
    assert z.withholds(*offset(*HOME, 0, -250), later)  # only a
    assert z.withholds(*offset(*HOME, 0, 650), later)  # only b
    assert not z.withholds(*offset(*HOME, 0, 1500), later)


def test_a_zone_added_later_does_not_decide_earlier_pings() -> None:
    z = zones(zone(at=T0))
    assert not z.withholds(*HOME, T0 - timedelta(seconds=1))  # taken before the zone existed: kept
    assert z.withholds(*HOME, T0)


def test_a_removed_zone_still_decides_pings_taken_while_it_was_in_force() -> None:
    z = zones(zone(at=T0))
    assert z.remove("z1", T0 + timedelta(hours=2))
    assert not z.remove("z1", T0 + timedelta(hours=3))  # already removed
    assert not z.remove("nope", T0)
    assert z.withholds(*HOME, T0 + timedelta(hours=1))  # e.g. sent late, after the removal
    assert not z.withholds(*HOME, T0 + timedelta(hours=2))
    assert z.active() == []


def test_radius_bounds() -> None:
    for radius in (99.9, 1000.1):
        with pytest.raises(ValidationError):
            PrivateZoneIn.model_validate({"latitude": 1.0, "longitude": 1.0, "radiusMeters": radius})


def _fit_circle(points: list[tuple[float, float]]) -> tuple[float, float, float]:
    """Least-squares circle through points in a local metric plane (Kasa fit): centre x, y and radius."""
    n = len(points)
    sx = sum(x for x, _ in points) / n
    sy = sum(y for _, y in points) / n
    u = [(x - sx, y - sy) for x, y in points]
    suu = sum(a * a for a, _ in u)
    svv = sum(b * b for _, b in u)
    suv = sum(a * b for a, b in u)
    r1 = sum(a * (a * a + b * b) for a, b in u) / 2
    r2 = sum(b * (a * a + b * b) for a, b in u) / 2
    det = suu * svv - suv * suv
    uc, vc = (r1 * svv - r2 * suv) / det, (r2 * suu - r1 * suv) / det
    return sx + uc, sy + vc, math.sqrt(uc * uc + vc * vc + (suu + svv) / n)


def test_the_centre_cannot_be_recovered_from_many_tracks_entering_the_zone() -> None:
    rng = random.Random(7)
    for seed in range(20):  # twenty zones, each with its own secrets
        radius = rng.uniform(100, 1000)
        z = zones(zone(radius=radius, seed=100 + seed))
        secret = z.zones[0]
        last_kept: list[tuple[float, float]] = []
        closest = math.inf
        for _ in range(200):  # tracks from every direction, straight towards a point near the centre, 5 m steps
            bearing, aim = rng.uniform(0, 2 * math.pi), rng.uniform(0, radius / 2)
            start = radius + 600
            target = (aim * math.cos(bearing + 1), aim * math.sin(bearing + 1))
            sx, sy = start * math.cos(bearing), start * math.sin(bearing)
            kept = None
            for i in range(400):
                f = i / 400
                x, y = sx + (target[0] - sx) * f, sy + (target[1] - sy) * f
                lat, lon = offset(*HOME, y, x)
                if z.withholds(lat, lon, T0 + timedelta(seconds=i)):
                    break
                kept = (x, y)
                closest = min(closest, math.hypot(x, y))
            assert kept is not None
            last_kept.append(kept)
        cx, cy, r = _fit_circle(last_kept)
        shift = _distance_m(secret.lat, secret.lon, secret.hidden_lat, secret.hidden_lon)
        # the kept points never come within the worker's radius of the centre
        assert closest > radius
        # the best estimate from the gaps' edges is the shifted centre, off the real one by the secret shift
        assert math.hypot(cx, cy) >= shift - 10 >= secret.margin_m / 2 - 10 >= 15
        # and the edge's radius is not the one the worker chose
        assert r - radius >= secret.margin_m - 10
