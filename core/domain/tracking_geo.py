"""Pure geometry on tracks: distances in metres, Douglas-Peucker simplification, stop detection."""

from __future__ import annotations

import math
from collections.abc import Sequence

from core.domain.tracking import Ping, Stop

EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _project(points: Sequence[Ping]) -> list[tuple[float, float]]:
    """Local equirectangular projection to metres around the points' mean latitude (fine for one track's extent)."""
    lat0 = math.radians(sum(p.lat for p in points) / len(points))
    lon0 = points[0].lon
    k = math.cos(lat0)
    out: list[tuple[float, float]] = []
    for p in points:
        dlon = (p.lon - lon0 + 540.0) % 360.0 - 180.0  # across the antimeridian too
        out.append((math.radians(dlon) * k * EARTH_RADIUS_M, math.radians(p.lat) * EARTH_RADIUS_M))
    return out


def _segment_distance(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    if length2 == 0:
        return math.hypot(px - ax, py - ay)
    u = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - (ax + u * dx), py - (ay + u * dy))


def simplify(points: Sequence[Ping], tolerance_m: float) -> list[Ping]:
    """Douglas-Peucker with the tolerance in metres; keeps the first and last point and the time order."""
    if tolerance_m <= 0 or len(points) < 3:
        return list(points)
    xy = _project(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:  # iterative: a long track must not exhaust the recursion limit
        first, last = stack.pop()
        worst, index = -1.0, -1
        for i in range(first + 1, last):
            d = _segment_distance(xy[i], xy[first], xy[last])
            if d > worst:
                worst, index = d, i
        if index > 0 and worst > tolerance_m:
            keep[index] = True
            stack.append((first, index))
            stack.append((index, last))
    return [p for p, k in zip(points, keep, strict=True) if k]


def detect_stops(points: Sequence[Ping], *, radius_m: float, min_minutes: float) -> list[Stop]:
    """Places where the worker stayed within `radius_m` of the running centre for at least `min_minutes`.

    Points must be in time order. A stop runs from its first point (arrival) to its last (departure)."""
    stops: list[Stop] = []
    n, i = len(points), 0
    while i < n:
        lat_sum, lon_sum, count = points[i].lat, points[i].lon, 1
        j = i + 1
        while j < n:
            centre_lat, centre_lon = lat_sum / count, lon_sum / count
            if distance_m(centre_lat, centre_lon, points[j].lat, points[j].lon) > radius_m:
                break
            lat_sum, lon_sum, count = lat_sum + points[j].lat, lon_sum + points[j].lon, count + 1
            j += 1
        arrival, departure = points[i].t, points[j - 1].t
        if count > 1 and (departure - arrival).total_seconds() >= min_minutes * 60:
            stops.append(Stop(arrival=arrival, departure=departure, lat=lat_sum / count, lon=lon_sum / count,
                              points=count))
            i = j
        else:
            i += 1
    return stops
