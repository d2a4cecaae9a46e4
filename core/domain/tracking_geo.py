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


def project(points: Sequence[Ping]) -> list[tuple[float, float]]:
    """Local equirectangular projection to metres around the points' mean latitude (fine for one track's extent)."""
    lat0 = math.radians(sum(p.lat for p in points) / len(points))
    lon0 = points[0].lon
    k = math.cos(lat0)
    out: list[tuple[float, float]] = []
    for p in points:
        dlon = (p.lon - lon0 + 540.0) % 360.0 - 180.0  # across the antimeridian too
        out.append((math.radians(dlon) * k * EARTH_RADIUS_M, math.radians(p.lat) * EARTH_RADIUS_M))
    return out


def segment_distance(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    if length2 == 0:
        return math.hypot(px - ax, py - ay)
    u = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - (ax + u * dx), py - (ay + u * dy))


LONG_CLUSTER = 64  # stop detection: see detect_stops
CHUNK = 256  # Douglas-Peucker runs on runs of at most this many points (see simplify)


def _douglas_peucker(
    xy: Sequence[tuple[float, float]], first: int, last: int, tolerance: float, keep: list[bool]
) -> None:
    stack = [(first, last)]
    while stack:  # iterative: a long track must not exhaust the recursion limit
        lo, hi = stack.pop()
        if hi - lo < 2:
            continue
        (ax, ay), (bx, by) = xy[lo], xy[hi]
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        worst, index = -1.0, -1
        for i in range(lo + 1, hi):
            px, py = xy[i]
            if length2 == 0:
                d = math.hypot(px - ax, py - ay)
            else:
                u = ((px - ax) * dx + (py - ay) * dy) / length2
                u = 0.0 if u < 0 else 1.0 if u > 1 else u
                d = math.hypot(px - ax - u * dx, py - ay - u * dy)
            if d > worst:
                worst, index = d, i
        if worst > tolerance:
            keep[index] = True
            stack.append((lo, index))
            stack.append((index, hi))


def simplify(points: Sequence[Ping], tolerance_m: float) -> list[Ping]:
    """Douglas-Peucker with the tolerance in metres; keeps the first and last point and the time order.

    Douglas-Peucker costs O(n^2) on unlucky shapes (a 10,000-point page could take many seconds), so it runs on
    consecutive runs of at most CHUNK points whose end points are kept: every dropped point is still within the
    tolerance of the simplified line, at the price of one extra kept point per run."""
    if tolerance_m <= 0 or len(points) < 3:
        return list(points)
    xy = project(points)
    keep = [False] * len(points)
    for first in range(0, len(points) - 1, CHUNK - 1):
        last = min(first + CHUNK - 1, len(points) - 1)
        keep[first] = keep[last] = True
        _douglas_peucker(xy, first, last, tolerance_m, keep)
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
            stops.append(
                Stop(arrival=arrival, departure=departure, lat=lat_sum / count, lon=lon_sum / count, points=count)
            )
            i = j
        elif count > LONG_CLUSTER:
            # A long stay that is still too short: retrying from each of its points is quadratic. Retry from its
            # middle instead (a stop that starts inside it still has to outlast it).
            i += count // 2
        else:
            i += 1
    return stops
