"""Enter/exit rules, visits and trips on recorded-style tracks (docs/job-sites.md)."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from core.domain.job_sites import (
    ActiveHours,
    CircleArea,
    JobSite,
    JobSiteCreate,
    PolygonArea,
    cells_covering,
    geohash,
)
from core.domain.site_visits import DayEvaluation, EventKind, SiteIndex, evaluate_day
from core.domain.tracking import Ping, PingSource

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday, 08:00 UTC
LAT, LON = 41.8800, -87.6300  # Chicago
M_PER_DEG_LAT = 111_195.0


def offset(dx_m: float, dy_m: float, lat: float = LAT, lon: float = LON) -> tuple[float, float]:
    return lat + dy_m / M_PER_DEG_LAT, lon + dx_m / (M_PER_DEG_LAT * math.cos(math.radians(lat)))


def ping(n: int, t: datetime, dx: float, dy: float, acc: float = 10.0) -> Ping:
    lat, lon = offset(dx, dy)
    return Ping(ping_id=f"p{n:08d}", t=t, lat=lat, lon=lon, acc=acc, src=PingSource.GPS)


def circle_site(
    site_id: str = "s1", radius: float = 150.0, dx: float = 0.0, dy: float = 0.0, assigned: list[str] | None = None
) -> JobSite:
    lat, lon = offset(dx, dy)
    area = CircleArea.model_validate(
        {"kind": "circle", "centre": {"latitude": lat, "longitude": lon}, "radius": radius}
    )
    return JobSite(
        site_id=site_id,
        account_id="a1",
        name=site_id,
        area=area,
        assigned_member_ids=assigned or [],
        created_at=T0,
        updated_at=T0,
    )


def index(*sites: JobSite) -> SiteIndex:
    return SiteIndex(list(sites), {s.site_id: cells_covering(s.geometry()) for s in sites})


def track(
    points: Sequence[tuple[float, float, float]], start: datetime = T0, step: float = 30.0, acc: float = 10.0
) -> list[Ping]:
    """(dx, dy, ignored) offsets every `step` seconds; ids derive from the time, so tracks never share one."""
    first = int((start - T0).total_seconds()) * 10
    return [ping(first + i, start + timedelta(seconds=step * i), dx, dy, acc) for i, (dx, dy, _) in enumerate(points)]


def run(
    pings: list[Ping], idx: SiteIndex, day: date = date(2026, 3, 2), tz: str = "UTC", carried: tuple[str, ...] = ()
) -> DayEvaluation:
    return evaluate_day(pings=pings, index=idx, user_id="u1", day=day, time_zone=tz, carried_in=carried)


def approach_stay_leave(stay_minutes: int = 30) -> list[Ping]:
    """From 1 km west, walk in to the centre, stay, walk out 1 km east (30 s fixes)."""
    pts: list[tuple[float, float, float]] = [(-1000 + 50 * i, 0, 0) for i in range(20)]  # reaches x=-50
    pts += [(0, 0, 0)] * (stay_minutes * 2)
    pts += [(50 * i, 0, 0) for i in range(1, 21)]
    return track(pts)


def test_enter_and_exit_make_one_visit() -> None:
    result = run(approach_stay_leave(), index(circle_site()))
    assert [e.kind for e in result.events] == [EventKind.ENTER, EventKind.EXIT]
    (visit,) = result.visits
    # first fix inside: x=-100 at fix 18 (x=-150 is on the boundary)
    assert visit.start == T0 + timedelta(seconds=30 * 18)
    # first fix beyond radius + margin (150 + 20 = 170 m): x=200 is fix 20+60+4
    assert visit.end == T0 + timedelta(seconds=30 * (20 + 60 + 3))
    assert result.inside_at_end == []


def test_walking_along_the_boundary_does_not_flap() -> None:
    """A worker pacing along the edge, 10 m in and 15 m out of a 150 m circle, with GPS noise of a few metres."""
    rnd = random.Random(7)
    pts: list[tuple[float, float, float]] = [(-300 + 30 * i, 0, 0) for i in range(6)]  # arrives: x=-150 at fix 5
    pts += [(0, 0, 0)] * 6  # settles inside
    for i in range(120):  # an hour along the boundary
        angle = i / 40
        r = (140 if i % 2 else 165) + rnd.uniform(-3, 3)
        pts.append((r * math.cos(angle), r * math.sin(angle), 0))
    result = run(track(pts), index(circle_site()))
    assert [e.kind for e in result.events] == [EventKind.ENTER]
    assert len(result.visits) == 1 and result.visits[0].end is None
    assert result.inside_at_end == ["s1"]


def test_a_single_wild_fix_makes_no_event() -> None:
    pts = [(-1000, 0, 0)] * 20
    pings = track(pts)
    pings[10] = ping(10, pings[10].t, 0, 0)  # one fix jumps into the site
    inside = track([(0, 0, 0)] * 40, start=T0 + timedelta(hours=2))
    inside[15] = ping(999, inside[15].t, 2000, 0)  # and, later, inside: one fix jumps 2 km away
    result = run(pings + inside, index(circle_site()))
    assert [e.kind for e in result.events] == [EventKind.ENTER]


def test_inaccurate_fixes_are_not_used() -> None:
    pings = track([(0, 0, 0)] * 20, acc=200.0)  # worse than the 150 m radius
    assert run(pings, index(circle_site())).events == []
    pings = track([(0, 0, 0)] * 20, acc=120.0)
    assert len(run(pings, index(circle_site())).events) == 1
    big = circle_site(radius=2000)
    assert run(track([(0, 0, 0)] * 20, acc=400.0), index(big)).events == []  # never worse than 300 m


def test_dwell_is_needed_before_an_event() -> None:
    """A drive-through: 90 s inside is not a visit."""
    pts = [(-1000, 0, 0)] * 5 + [(0, 0, 0)] * 3 + [(1000, 0, 0)] * 5
    assert run(track(pts), index(circle_site())).events == []


def test_out_of_order_and_redelivered_pings_give_the_same_result() -> None:
    pings = approach_stay_leave()
    expected = run(pings, index(circle_site()))
    shuffled = pings[:] + pings[10:40]  # re-delivered part
    random.Random(3).shuffle(shuffled)
    again = run(shuffled, index(circle_site()))
    assert again == expected
    assert [e.key for e in again.events] == [e.key for e in expected.events]


def test_a_late_ping_changes_the_past() -> None:
    """The phone delivered the morning late: the visit only appears (and starts earlier) once it arrives."""
    pings = approach_stay_leave()
    early_part, late_part = pings[:50], pings[50:]
    without = run(late_part, index(circle_site()))
    with_late = run(late_part + early_part, index(circle_site()))
    assert without.visits[0].start > with_late.visits[0].start
    assert with_late.visits[0].start == T0 + timedelta(seconds=30 * 18)


def test_overlapping_sites_are_visited_independently() -> None:
    a, b = circle_site("a", 150), circle_site("b", 150, dx=200)
    pts = (
        [(-1000 + 50 * i, 0, 0) for i in range(20)]
        + [(0, 0, 0)] * 10
        + [(100, 0, 0)] * 10
        + [(200, 0, 0)] * 10
        + [(1500, 0, 0)] * 10
    )
    result = run(track(pts), index(a, b))
    by_site = {v.site_id: v for v in result.visits}
    assert set(by_site) == {"a", "b"}
    end_of_a = by_site["a"].end
    assert end_of_a is not None and by_site["b"].start < end_of_a  # both at once while in the overlap


def test_polygon_site() -> None:
    ring = [offset(x, y) for x, y in [(0, 0), (300, 0), (300, 100), (0, 100)]]
    geometry = {"type": "Polygon", "coordinates": [[[lon, lat] for lat, lon in [*ring, ring[0]]]]}
    area = PolygonArea.model_validate({"kind": "polygon", "geometry": geometry})
    site = JobSite(site_id="yard", account_id="a1", name="yard", area=area, created_at=T0, updated_at=T0)
    pts = [(150, -500 + 50 * i, 0) for i in range(10)] + [(150, 50, 0)] * 10 + [(150, 300, 0)] * 10
    result = run(track(pts), index(site))
    assert [e.kind for e in result.events] == [EventKind.ENTER, EventKind.EXIT]
    # beside the long side but outside: 60 m north of the polygon never enters
    assert run(track([(150, 160, 0)] * 20), index(site)).events == []


def test_assigned_members_and_active_hours() -> None:
    other = circle_site(assigned=["someone-else"])
    assert run(approach_stay_leave(), index(other)).events == []
    hours = circle_site()
    hours.active_hours = ActiveHours.model_validate(
        {"timeZone": "UTC", "windows": [{"days": ["mon"], "start": "08:20", "end": "08:40"}]}
    )
    result = run(approach_stay_leave(), index(hours))
    assert result.visits[0].end is not None and result.visits[0].end == T0 + timedelta(minutes=40)


def test_a_day_crossing_midnight_in_the_members_zone() -> None:
    """Chicago (UTC-6 in winter): 23:00-01:00 local on site is two local days; the first visit is open at its end,
    the next day carries it in from local midnight."""
    start = datetime(2026, 3, 3, 5, 0, tzinfo=UTC)  # 23:00 Monday in Chicago
    pings = track([(0, 0, 0)] * 240, start=start)  # two hours every 30 s
    idx = index(circle_site())
    monday = run(pings, idx, day=date(2026, 3, 2), tz="America/Chicago")
    assert monday.inside_at_end == ["s1"] and monday.visits[0].end is None
    assert monday.day_end == datetime(2026, 3, 3, 6, 0, tzinfo=UTC)
    assert monday.ping_count == 120  # only the fixes of the local day
    tuesday = run(
        pings + track([(2000, 0, 0)] * 10, start=start + timedelta(hours=2)),
        idx,
        day=date(2026, 3, 3),
        tz="America/Chicago",
        carried=tuple(monday.inside_at_end),
    )
    (visit,) = tuesday.visits
    assert visit.carried_in and visit.start == datetime(2026, 3, 3, 6, 0, tzinfo=UTC)
    assert visit.end == start + timedelta(hours=2)
    assert [e.kind for e in tuesday.events] == [EventKind.EXIT]


def test_trips_between_stops() -> None:
    pts = [(0, 0, 0)] * 20  # 10 minutes at home
    pts += [(300 * i, 0, 0) for i in range(1, 21)]  # 6 km in 10 minutes
    pts += [(6000, 0, 0)] * 20  # 10 minutes at the site
    pts += [(6000 + 10 * i, 0, 0) for i in range(1, 5)]  # a short stroll: not a trip
    result = run(track(pts), index())
    assert len(result.stops) == 2
    (trip,) = result.trips
    assert trip.distance_m == pytest.approx(6000, rel=0.01)
    assert trip.start == result.stops[0].departure and trip.end == result.stops[1].arrival


def test_a_gap_splits_a_trip() -> None:
    first = track([(300 * i, 0, 0) for i in range(20)])
    second = track([(6000 + 300 * i, 0, 0) for i in range(20)], start=T0 + timedelta(hours=1))
    assert len(run(first + second, index()).trips) == 2


def test_bucketing_finds_only_nearby_sites() -> None:
    site = circle_site(radius=5000)
    cells = cells_covering(site.geometry())
    assert geohash(*offset(0, 0)) in cells and geohash(*offset(5100, 0)) in cells
    assert geohash(*offset(30_000, 0)) not in cells
    idx = index(site, circle_site("far", dx=50_000))
    assert idx.near(*offset(0, 0)) == ["s1"]


@pytest.mark.parametrize(
    ("area", "field"),
    [
        ({"kind": "circle", "centre": {"latitude": 1, "longitude": 1}, "radius": 10}, "radius"),
        ({"kind": "circle", "centre": {"latitude": 91, "longitude": 1}}, "latitude"),
        (
            {
                "kind": "polygon",
                "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [0.01, 0.01], [0.01, 0], [0, 0.01], [0, 0]]]},
            },
            "geometry",
        ),
        (
            {"kind": "polygon", "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [0.01, 0], [0, 0.01]]]}},
            "geometry",
        ),
        (
            {
                "kind": "polygon",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[0.001 * math.cos(i / 20), 0.001 * math.sin(i / 20)] for i in range(126)] + [[0.001, 0.0]]
                    ],
                },
            },
            "geometry",
        ),
    ],
)
def test_invalid_areas_name_the_field(area: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        JobSiteCreate.model_validate({"name": "x", "area": area})
    locs = [".".join(str(p) for p in e["loc"]) for e in exc.value.errors()]
    assert any(field in loc for loc in locs), locs


def test_default_radius_is_150_m() -> None:
    site = JobSiteCreate.model_validate(
        {"name": "x", "area": {"kind": "circle", "centre": {"latitude": 1, "longitude": 1}}}
    )
    assert isinstance(site.area, CircleArea) and site.area.radius == 150
