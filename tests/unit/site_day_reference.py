"""The job-site evaluation of a whole day as it was before the writer carried the open day (commit 332f2cc,
core/domain/site_visits.py): kept frozen here as the oracle the incremental evaluation is compared with
(tests/unit/test_site_day_chunks.py). Not used by the application."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from core.domain.job_sites import JobSite, SiteGeometry, geohash
from core.domain.site_visits import (
    DEFAULT_RULES,
    DayEvaluation,
    EventKind,
    SiteEvent,
    SiteIndex,
    SiteRules,
    StopSummary,
    Trip,
    Visit,
    local_day_bounds,
    ordered,
)
from core.domain.tracking import Ping
from core.domain.tracking_geo import detect_stops, distance_m


@dataclass
class _SiteState:
    inside: bool
    run_start: Ping | None = None  # first fix of a run on the other side
    run_count: int = 0
    visit_start: datetime | None = None
    carried: bool = False
    visits: list[Visit] = field(default_factory=list)


_IN, _EDGE, _OUT, _SKIP = 1, 0, -1, None


def _side(site: JobSite, geometry: SiteGeometry, p: Ping, rules: SiteRules) -> int | None:
    if p.acc > min(geometry.radius, rules.max_accuracy_m):
        return _SKIP  # too inaccurate to decide anything about this site
    if site.active_hours is not None and not site.active_hours.allows(p.t):
        return _OUT  # the site does not apply outside its hours
    d = geometry.signed_distance(p.lat, p.lon)
    if d <= 0:
        return _IN
    return _OUT if d > geometry.exit_margin else _EDGE


def reference_evaluate_day(
    *,
    pings: Iterable[Ping],
    index: SiteIndex,
    user_id: str,
    day: date,
    time_zone: str,
    carried_in: Iterable[str] = (),
    rules: SiteRules = DEFAULT_RULES,
) -> DayEvaluation:
    """Run the enter/exit rules over the fixes of one local day, then derive visits, stops and trips."""
    day_start, day_end = local_day_bounds(day, time_zone)
    fixes = [p for p in ordered(pings) if day_start <= p.t < day_end]
    states: dict[str, _SiteState] = {}
    for site_id in sorted(set(carried_in)):
        if site_id in index.sites and index.sites[site_id].applies_to(user_id):
            states[site_id] = _SiteState(inside=True, visit_start=day_start, carried=True)
    events: list[SiteEvent] = []
    for p in fixes:
        candidates = {s for s in index.near(p.lat, p.lon) if index.sites[s].applies_to(user_id)}
        candidates.update(s for s, st in states.items() if st.inside or st.run_start is not None)
        for site_id in sorted(candidates):
            st = states.setdefault(site_id, _SiteState(inside=False))
            side = _side(index.sites[site_id], index.geometry[site_id], p, rules)
            if side is _SKIP:
                continue
            crossing = (side == _OUT) if st.inside else (side == _IN)
            if not crossing:  # consistent with the current side (an edge fix counts for the side we are on)
                st.run_start, st.run_count = None, 0
                continue
            if st.run_start is None:
                st.run_start, st.run_count = p, 0
            st.run_count += 1
            span = (p.t - st.run_start.t).total_seconds()
            if not (
                (st.run_count >= 2 and span >= rules.dwell_seconds)
                or (rules.dwell_fixes > 0 and st.run_count >= rules.dwell_fixes)
            ):
                continue
            at = st.run_start.t
            kind = EventKind.EXIT if st.inside else EventKind.ENTER
            events.append(
                SiteEvent(key=f"{site_id}:{kind.value}:{int(at.timestamp() * 1000)}", site_id=site_id, kind=kind, at=at)
            )
            if st.inside:
                assert st.visit_start is not None
                st.visits.append(Visit(site_id=site_id, start=st.visit_start, end=at, carried_in=st.carried))
                st.visit_start, st.carried = None, False
            else:
                st.visit_start = at
            st.inside = not st.inside
            st.run_start, st.run_count = None, 0
    visits: list[Visit] = []
    inside_at_end: list[str] = []
    for site_id, st in sorted(states.items()):
        visits.extend(st.visits)
        if st.inside and st.visit_start is not None:
            visits.append(Visit(site_id=site_id, start=st.visit_start, end=None, carried_in=st.carried))
            inside_at_end.append(site_id)
    visits.sort(key=lambda v: (v.start, v.site_id))
    events.sort(key=lambda e: (e.at, e.site_id, e.kind.value))
    accurate = [p for p in fixes if p.acc <= rules.max_accuracy_m]
    stops = _stops(accurate, visits, rules)
    return DayEvaluation(
        day=day,
        time_zone=time_zone,
        day_start=day_start,
        day_end=day_end,
        events=events,
        visits=visits,
        stops=stops,
        trips=trips_between_stops(accurate, stops, rules),
        inside_at_end=inside_at_end,
        ping_count=len(fixes),
        last_cell=geohash(fixes[-1].lat, fixes[-1].lon) if fixes else None,
    )


def _stops(fixes: Sequence[Ping], visits: Sequence[Visit], rules: SiteRules) -> list[StopSummary]:
    out: list[StopSummary] = []
    for s in detect_stops(fixes, radius_m=rules.stop_radius_m, min_minutes=rules.stop_minutes):
        site = next(
            (v.site_id for v in visits if v.start <= s.departure and (v.end is None or v.end >= s.arrival)), None
        )
        out.append(StopSummary(arrival=s.arrival, departure=s.departure, latitude=s.lat, longitude=s.lon, site_id=site))
    return out


def trips_between_stops(fixes: Sequence[Ping], stops: Sequence[StopSummary], rules: SiteRules) -> list[Trip]:
    """Movement between stops: from a stop's last fix to the next stop's first fix. A gap without fixes longer
    than `trip_gap_seconds` splits a trip; trips shorter than the minimal distance or duration are dropped."""

    def in_stop(p: Ping) -> bool:
        return any(s.arrival <= p.t <= s.departure for s in stops)

    runs: list[list[Ping]] = []
    run: list[Ping] = []
    for i, p in enumerate(fixes):
        if run and (p.t - run[-1].t).total_seconds() > rules.trip_gap_seconds:
            runs.append(run)
            run = []
        if in_stop(p):
            if run:
                run.append(p)
                runs.append(run)
                run = []
            continue
        if not run and i > 0 and (p.t - fixes[i - 1].t).total_seconds() <= rules.trip_gap_seconds:
            run.append(fixes[i - 1])  # leave from the last fix before (a stop's departure)
        run.append(p)
    if run:
        runs.append(run)
    trips: list[Trip] = []
    for r in runs:
        if len(r) < 2:
            continue
        dist = sum(distance_m(a.lat, a.lon, b.lat, b.lon) for a, b in itertools.pairwise(r))
        trip = Trip(start=r[0].t, end=r[-1].t, distance_m=round(dist, 1), points=len(r))
        if dist >= rules.trip_min_distance_m and trip.seconds >= rules.trip_min_seconds:
            trips.append(trip)
    return trips
