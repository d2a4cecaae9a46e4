"""Enter/exit events, visits, stops and trips of one member's local day, computed from that day's stored pings.

Pure and deterministic: the same set of pings (in any delivery order) gives the same result, so the writer can
re-evaluate a whole day whenever a ping of it arrives (late, re-delivered or out of order) and upsert the result
under a fixed id. See docs/job-sites.md for the rules and their defaults.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from core.domain.job_sites import JobSite, SiteGeometry, geohash
from core.domain.tracking import Ping
from core.domain.tracking_geo import detect_stops, distance_m


@dataclass(frozen=True)
class SiteRules:
    """The documented defaults (docs/job-sites.md)."""

    max_accuracy_m: float = 300.0  # and never worse than the site's radius
    dwell_seconds: float = 120.0  # a change of side must last this long (two fixes or more) to become an event
    dwell_fixes: int = 0  # 0 = off; N > 0: N consecutive fixes on the new side also confirm the change
    stop_radius_m: float = 50.0  # stops: the track views' detector with these settings
    stop_minutes: float = 5.0
    trip_min_distance_m: float = 500.0  # trips shorter than this are not trips (jitter, walking around a yard)
    trip_min_seconds: float = 300.0
    trip_gap_seconds: float = 900.0  # no fix for this long splits a trip (phone off, tunnel)


DEFAULT_RULES = SiteRules()


class EventKind(StrEnum):
    ENTER = "enter"
    EXIT = "exit"


class SiteEvent(BaseModel):
    key: str  # {siteId}:{kind}:{epoch ms}: the same fixes always give the same key
    site_id: str
    kind: EventKind
    at: datetime


class Visit(BaseModel):
    site_id: str
    start: datetime
    end: datetime | None = None  # None: still inside at the last fix of the day
    carried_in: bool = False  # inside since the day before (start = local midnight)

    def seconds_within(self, start: datetime, end: datetime) -> float:
        s, e = max(self.start, start), min(self.end or end, end)
        return max(0.0, (e - s).total_seconds())


class StopSummary(BaseModel):
    arrival: datetime
    departure: datetime
    latitude: float
    longitude: float
    site_id: str | None = None  # the site visited during the stop, if any


class Trip(BaseModel):
    start: datetime
    end: datetime
    distance_m: float
    points: int

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


class DayEvaluation(BaseModel):
    day: date
    time_zone: str
    day_start: datetime
    day_end: datetime
    events: list[SiteEvent]
    visits: list[Visit]
    stops: list[StopSummary]
    trips: list[Trip]
    inside_at_end: list[str]
    last_cell: str | None = None  # cell of the day's last fix: the next day looks up the sites carried in there
    ping_count: int


def local_day_bounds(day: date, time_zone: str) -> tuple[datetime, datetime]:
    """UTC instants of the local day's start and of the next day's start (23 or 25 hours on DST days)."""
    zone = ZoneInfo(time_zone)
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


def local_day(t: datetime, time_zone: str) -> date:
    return t.astimezone(ZoneInfo(time_zone)).date()


def ordered(pings: Iterable[Ping]) -> list[Ping]:
    """Time order, ties by id; one fix per id (a re-delivered ping counts once)."""
    unique = {p.ping_id: p for p in pings}
    return sorted(unique.values(), key=lambda p: (p.t, p.ping_id))


class SiteIndex:
    """Sites bucketed by geohash cell: a fix is compared only with the sites of its own cell."""

    def __init__(self, sites: Sequence[JobSite], cells: dict[str, list[str]]) -> None:
        self.sites = {s.site_id: s for s in sites}
        self.geometry = {s.site_id: s.geometry() for s in sites}
        self._by_cell: dict[str, list[str]] = defaultdict(list)
        for site_id, site_cells in cells.items():
            if site_id in self.sites:
                for cell in site_cells:
                    self._by_cell[cell].append(site_id)

    def near(self, lat: float, lon: float) -> list[str]:
        return self._by_cell.get(geohash(lat, lon), [])


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


def evaluate_day(
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


class SiteDay(DayEvaluation):
    """Stored per (member, local day) in the account's partition (docType site-day, id site-day-{userId}-{day}).
    Re-computed whole from the day's stored pings and upserted under its fixed id."""

    account_id: str
    user_id: str
    evaluated_at: datetime

    @classmethod
    def of(cls, evaluation: DayEvaluation, *, account_id: str, user_id: str, at: datetime) -> SiteDay:
        return cls(**evaluation.model_dump(), account_id=account_id, user_id=user_id, evaluated_at=at)

    def same_result(self, other: SiteDay | None) -> bool:
        return other is not None and self.model_dump(exclude={"evaluated_at"}) == other.model_dump(
            exclude={"evaluated_at"}
        )
