"""Enter/exit events, visits, stops and trips of one member's local day, computed from that day's stored pings.

Pure and deterministic: the same set of pings (in any delivery order) gives the same result. The result carries
its open day (`OpenDay`): `continue_day` takes later fixes from there and gives what evaluating all of the day's
fixes at once gives (`evaluate_day` is `continue_day` from a day without fixes), so the writer does work in
proportion to the new pings, and evaluates the whole day only for a late, re-delivered or out-of-order ping. See
docs/job-sites.md for the rules, their defaults and "The open day".
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from core.domain.job_sites import JobSite, SiteGeometry, geohash
from core.domain.tracking import Ping
from core.domain.tracking_geo import LONG_CLUSTER, distance_m


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
    open: OpenDay | None = None  # what the next flush continues from (None: stored before the open day existed)


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
        self._cells = cells
        self._by_cell: dict[str, list[str]] = defaultdict(list)
        for site_id, site_cells in cells.items():
            if site_id in self.sites:
                for cell in site_cells:
                    self._by_cell[cell].append(site_id)

    def near(self, lat: float, lon: float) -> list[str]:
        return self.in_cell(geohash(lat, lon))

    def in_cell(self, cell: str) -> list[str]:
        return self._by_cell.get(cell, [])

    def key(self, cells: Iterable[str]) -> str:
        """A digest of the sites reaching these cells as they are now (with the cells of each): equal digests,
        equal answers of `near` and of the sites there."""
        wanted = set(cells)
        digest = hashlib.sha256()
        for site_id in sorted(self.sites):
            reached = sorted(wanted.intersection(self._cells.get(site_id, ())))
            if reached:
                digest.update(self.sites[site_id].model_dump_json().encode())
                digest.update(",".join(reached).encode() + b"\n")
        return digest.hexdigest()[:32]


@dataclass
class _SiteState:
    inside: bool
    run_start: datetime | None = None  # time of the first fix of a run on the other side
    run_count: int = 0
    visit_start: datetime | None = None
    carried: bool = False
    visits: list[Visit] = field(default_factory=list)  # closed during this evaluation


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


# ---------------------------------------------------------------- the open day (what a later flush continues from)


class Fix(BaseModel):
    """A fix the open day still needs: its time, id and position."""

    t: datetime
    id: str
    lat: float
    lon: float

    @classmethod
    def of(cls, p: Ping) -> Fix:
        return cls(t=p.t, id=p.ping_id, lat=p.lat, lon=p.lon)


class OpenSite(BaseModel):
    """A site the member is inside of, or has a run of fixes on its other side (the enter/exit rules' state)."""

    site_id: str
    inside: bool
    run_start: datetime | None = None
    run_count: int = 0
    visit_start: datetime | None = None
    carried: bool = False


class OpenStop(BaseModel):
    """The stop the last fixes belong to (the stop detector's cluster reaching the last fix, long enough)."""

    arrival: datetime
    departure: datetime
    lat_sum: float
    lon_sum: float
    count: int


class TripRun(BaseModel):
    """The run of moving fixes the trips continue: first and last time, last position, metres and fixes."""

    start: datetime
    end: datetime
    lat: float
    lon: float
    distance: float
    points: int


class OpenDay(BaseModel):
    """What continuing the day's evaluation with later fixes needs, so that the result is the evaluation of all of
    the day's fixes at once (docs/job-sites.md, "The open day"). Holds positions: stored in the day's open part
    (`site-day-open`), which is location data (export, erasure, expiry with it)."""

    last_t: datetime | None = None  # the last fix evaluated (time, id): an earlier one needs the whole day again
    last_id: str = ""
    cells: list[str] = Field(default_factory=list)  # the cells the sites are looked up in (the fixes' and carried)
    sites_key: str = ""  # digest of the sites found in those cells: a change of them needs the whole day again
    sites: list[OpenSite] = Field(default_factory=list)
    stop_tail: list[Fix] = Field(default_factory=list)  # fixes from the detector's open start (no open stop)
    open_stop: OpenStop | None = None
    final_stops: int = 0  # how many of the day's first stops can no longer change
    trip_prev: Fix | None = None  # the last fix the trips took for good
    trip_run: TripRun | None = None
    trip_pending: list[Fix] = Field(default_factory=list)  # fixes whose stop membership may still change
    final_trips: int = 0  # how many of the day's first trips can no longer change


DayEvaluation.model_rebuild()


def _as_stop(stop: OpenStop) -> StopSummary:
    return StopSummary(
        arrival=stop.arrival,
        departure=stop.departure,
        latitude=stop.lat_sum / stop.count,
        longitude=stop.lon_sum / stop.count,
    )


def _grow(stop: OpenStop, points: Sequence[Fix], radius_m: float) -> int:
    """Add the points within the radius of the running centre to the stop; answers how many were added. (The sums
    run in locals and are set on the model once: a pydantic attribute write per fix was a visible part of the
    writer's CPU.)"""
    lat_sum, lon_sum, count = stop.lat_sum, stop.lon_sum, stop.count
    k = 0
    for p in points:
        if distance_m(lat_sum / count, lon_sum / count, p.lat, p.lon) > radius_m:
            break
        lat_sum, lon_sum, count = lat_sum + p.lat, lon_sum + p.lon, count + 1
        k += 1
    if k:
        stop.lat_sum, stop.lon_sum, stop.count = lat_sum, lon_sum, count
        stop.departure = points[k - 1].t
    return k


def _detect(
    state: OpenDay, points: Sequence[Fix], rules: SiteRules
) -> tuple[list[StopSummary], list[Fix], OpenStop | None]:
    """The track views' stop detector (core/domain/tracking_geo.py, detect_stops) continued with more points:
    answers the stops closed by them, the fixes from the open start and the open stop. A cluster that does not
    reach the last point is decided for good; the first one that does is what the next points continue."""
    closed: list[StopSummary] = []
    if state.open_stop is not None:
        stop = state.open_stop.model_copy()
        k = _grow(stop, points, rules.stop_radius_m)
        if k == len(points):
            return closed, [], stop
        closed.append(_as_stop(stop))
        pts = list(points[k:])
    else:
        pts = [*state.stop_tail, *points]
    n, i = len(pts), 0
    while i < n:
        first = pts[i]
        stop = OpenStop(arrival=first.t, departure=first.t, lat_sum=first.lat, lon_sum=first.lon, count=1)
        j = i + 1 + _grow(stop, pts[i + 1 :], rules.stop_radius_m)
        long_enough = stop.count > 1 and (stop.departure - stop.arrival).total_seconds() >= rules.stop_minutes * 60
        if j == n:  # reaches the last point: open (no stop can start later within it while it is too short)
            return (closed, [], stop) if long_enough else (closed, pts[i:], None)
        if long_enough:
            closed.append(_as_stop(stop))
            i = j
        elif stop.count > LONG_CLUSTER:
            i += stop.count // 2
        else:
            i += 1
    return closed, [], None


@dataclass
class _Trips:
    """The trips' scan (movement between stops) over fixes in time order; see `trips_between_stops`."""

    prev: Fix | None
    run: TripRun | None
    found: list[Trip]

    def close(self, rules: SiteRules) -> None:
        r, self.run = self.run, None
        if r is None or r.points < 2:
            return
        if r.distance >= rules.trip_min_distance_m and (r.end - r.start).total_seconds() >= rules.trip_min_seconds:
            self.found.append(Trip(start=r.start, end=r.end, distance_m=round(r.distance, 1), points=r.points))

    def add(self, p: Fix) -> None:
        r = self.run
        assert r is not None
        r.distance += distance_m(r.lat, r.lon, p.lat, p.lon)
        r.end, r.lat, r.lon, r.points = p.t, p.lat, p.lon, r.points + 1

    def feed(self, p: Fix, in_stop: bool, rules: SiteRules) -> None:
        if self.run is not None and (p.t - self.run.end).total_seconds() > rules.trip_gap_seconds:
            self.close(rules)
        if in_stop:
            if self.run is not None:
                self.add(p)
                self.close(rules)
        else:
            if self.run is None:
                prev = self.prev
                if prev is not None and (p.t - prev.t).total_seconds() <= rules.trip_gap_seconds:
                    # leave from the last fix before (a stop's departure)
                    self.run = TripRun(start=prev.t, end=prev.t, lat=prev.lat, lon=prev.lon, distance=0.0, points=1)
                    self.add(p)
                else:
                    self.run = TripRun(start=p.t, end=p.t, lat=p.lat, lon=p.lon, distance=0.0, points=1)
            else:
                self.add(p)
        self.prev = p


def _in_stop(t: datetime, stops: Sequence[StopSummary]) -> bool:
    for s in reversed(stops):  # in time order: only the last ones can hold a recent fix
        if s.arrival <= t <= s.departure:
            return True
        if s.departure < t:
            return False
    return False


def open_day(
    *,
    index: SiteIndex,
    user_id: str,
    day: date,
    time_zone: str,
    carried_in: Iterable[str] = (),
    carried_cell: str | None = None,
) -> DayEvaluation:
    """The evaluation of a day without fixes yet: inside the carried sites since midnight."""
    day_start, day_end = local_day_bounds(day, time_zone)
    carried = sorted(set(carried_in))
    sites = [
        OpenSite(site_id=s, inside=True, visit_start=day_start, carried=True)
        for s in carried
        if s in index.sites and index.sites[s].applies_to(user_id)
    ]
    cells = [carried_cell] if carried_cell and carried else []
    return DayEvaluation(
        day=day,
        time_zone=time_zone,
        day_start=day_start,
        day_end=day_end,
        events=[],
        visits=[Visit(site_id=s.site_id, start=day_start, end=None, carried_in=True) for s in sites],
        stops=[],
        trips=[],
        inside_at_end=[s.site_id for s in sites],
        ping_count=0,
        open=OpenDay(cells=cells, sites_key=index.key(cells), sites=sites),
    )


def continues(before: DayEvaluation, pings: Iterable[Ping]) -> bool:
    """Whether `continue_day` can take these pings: every one is after the last fix evaluated (the same fix again
    is fine)."""
    state = before.open
    if state is None:
        return False
    if state.last_t is None:
        return True
    last = (state.last_t, state.last_id)
    return all((p.t, p.ping_id) >= last for p in pings)


def continue_day(
    before: DayEvaluation, pings: Iterable[Ping], *, index: SiteIndex, user_id: str, rules: SiteRules = DEFAULT_RULES
) -> DayEvaluation:
    """The evaluation of the day's fixes so far and these later ones: the same as `evaluate_day` of all of them
    (`continues(before, pings)` must hold). `index` holds the sites of the cells of the state and of the new fixes."""
    state = before.open
    assert state is not None, "a day without its open state is evaluated whole"
    last = (state.last_t, state.last_id) if state.last_t is not None else None
    fixes = [
        p
        for p in ordered(pings)
        if before.day_start <= p.t < before.day_end and (last is None or (p.t, p.ping_id) > last)
    ]
    if not fixes:
        return before

    # Enter/exit: the sites' states carry on fix by fix.
    states: dict[str, _SiteState] = {
        s.site_id: _SiteState(
            inside=s.inside,
            run_start=s.run_start,
            run_count=s.run_count,
            visit_start=s.visit_start,
            carried=s.carried,
        )
        for s in state.sites
    }
    events = list(before.events)
    fix_cells = [geohash(p.lat, p.lon) for p in fixes]  # once per fix: the sites near it, the day's cells
    for p, cell in zip(fixes, fix_cells, strict=True):
        candidates = {s for s in index.in_cell(cell) if index.sites[s].applies_to(user_id)}
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
                st.run_start, st.run_count = p.t, 0
            st.run_count += 1
            span = (p.t - st.run_start).total_seconds()
            if not (
                (st.run_count >= 2 and span >= rules.dwell_seconds)
                or (rules.dwell_fixes > 0 and st.run_count >= rules.dwell_fixes)
            ):
                continue
            at = st.run_start
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
    visits: list[Visit] = [v for v in before.visits if v.end is not None]
    inside_at_end: list[str] = []
    open_sites: list[OpenSite] = []
    for site_id, st in sorted(states.items()):
        visits.extend(st.visits)
        if st.inside and st.visit_start is not None:
            visits.append(Visit(site_id=site_id, start=st.visit_start, end=None, carried_in=st.carried))
            inside_at_end.append(site_id)
        if st.inside or st.run_start is not None:
            open_sites.append(
                OpenSite(
                    site_id=site_id,
                    inside=st.inside,
                    run_start=st.run_start,
                    run_count=st.run_count,
                    visit_start=st.visit_start,
                    carried=st.carried,
                )
            )
    visits.sort(key=lambda v: (v.start, v.site_id))
    events.sort(key=lambda e: (e.at, e.site_id, e.kind.value))

    # Stops: the detector carries on from its open start; the stops before it are final.
    accurate = [Fix.of(p) for p in fixes if p.acc <= rules.max_accuracy_m]
    closed, tail, open_stop = _detect(state, accurate, rules)
    final_stops = [*before.stops[: state.final_stops], *closed]
    all_stops = [*final_stops, *([_as_stop(open_stop)] if open_stop is not None else [])]

    # Trips: fixes before the detector's open start are in a stop or not for good; the later ones are taken again
    # by every evaluation until they are.
    pending = [*state.trip_pending, *accurate]
    boundary = tail[0].t if tail else None
    settled = [f for f in pending if boundary is None or f.t < boundary]
    trips = _Trips(
        prev=state.trip_prev,
        run=state.trip_run.model_copy() if state.trip_run is not None else None,
        found=list(before.trips[: state.final_trips]),
    )
    for f in settled:
        trips.feed(f, _in_stop(f.t, all_stops), rules)
    still = [f for f in pending if boundary is not None and f.t >= boundary]
    carried_trips = _Trips(
        prev=trips.prev, run=trips.run.model_copy() if trips.run is not None else None, found=list(trips.found)
    )
    for f in still:
        carried_trips.feed(f, _in_stop(f.t, all_stops), rules)
    carried_trips.close(rules)

    cells = sorted({*state.cells, *fix_cells})
    newest = fixes[-1]
    return before.model_copy(
        update={
            "events": events,
            "visits": visits,
            "stops": [_with_site(s, visits) for s in all_stops],
            "trips": carried_trips.found,
            "inside_at_end": inside_at_end,
            "ping_count": before.ping_count + len(fixes),
            "last_cell": fix_cells[-1],
            "open": OpenDay(
                last_t=newest.t,
                last_id=newest.ping_id,
                cells=cells,
                sites_key=index.key(cells),
                sites=open_sites,
                stop_tail=tail,
                open_stop=open_stop,
                final_stops=len(final_stops),
                trip_prev=trips.prev,
                trip_run=trips.run,
                trip_pending=still,
                final_trips=len(trips.found),
            ),
        }
    )


def evaluate_day(
    *,
    pings: Iterable[Ping],
    index: SiteIndex,
    user_id: str,
    day: date,
    time_zone: str,
    carried_in: Iterable[str] = (),
    carried_cell: str | None = None,
    rules: SiteRules = DEFAULT_RULES,
) -> DayEvaluation:
    """Run the enter/exit rules over the fixes of one local day, then derive visits, stops and trips (with the
    open state a later flush continues from)."""
    start = open_day(
        index=index, user_id=user_id, day=day, time_zone=time_zone, carried_in=carried_in, carried_cell=carried_cell
    )
    return continue_day(start, pings, index=index, user_id=user_id, rules=rules)


def _with_site(stop: StopSummary, visits: Sequence[Visit]) -> StopSummary:
    site = next(
        (v.site_id for v in visits if v.start <= stop.departure and (v.end is None or v.end >= stop.arrival)), None
    )
    return stop if site == stop.site_id else stop.model_copy(update={"site_id": site})


# ---------------------------------------------------------------- the day in two parts (what each flush rewrites)


D = TypeVar("D", bound=DayEvaluation)


class SettledDay(BaseModel):
    """The part of a day that later fixes only add to: its events, its closed visits, and the stops and trips
    before the open day's `final_stops` and `final_trips`. Stored apart from the open part (`open_part`), so a
    flush that settles nothing rewrites only the open part, whose size does not grow with the day (docs/job-sites.md,
    "The day in two documents")."""

    events: list[SiteEvent] = Field(default_factory=list)
    visits: list[Visit] = Field(default_factory=list)
    stops: list[StopSummary] = Field(default_factory=list)
    trips: list[Trip] = Field(default_factory=list)


def settled_part(day: DayEvaluation) -> SettledDay:
    """What of the day later fixes no longer change (all of it for a day without an open state)."""
    final_stops = day.open.final_stops if day.open is not None else len(day.stops)
    final_trips = day.open.final_trips if day.open is not None else len(day.trips)
    return SettledDay(
        events=day.events,
        visits=[v for v in day.visits if v.end is not None],
        stops=day.stops[:final_stops],
        trips=day.trips[:final_trips],
    )


def open_part(day: D) -> D:
    """The day without its settled part: the open visits, the stops and trips after the final ones, the end state
    and the open day (counting no final stop or trip). `joined(settled_part(day), open_part(day))` is the day."""
    assert day.open is not None, "a day without its open state is stored whole"
    state = day.open
    return day.model_copy(
        update={
            "events": [],
            "visits": [v for v in day.visits if v.end is None],
            "stops": day.stops[state.final_stops :],
            "trips": day.trips[state.final_trips :],
            "open": state.model_copy(update={"final_stops": 0, "final_trips": 0}),
        }
    )


def joined(settled: SettledDay, day: D) -> D:
    """The settled part followed by `day` (an open part, or `continue_day` of one): the whole day. The stops'
    sites are taken again from all of the visits, as `continue_day` of the whole day takes them."""
    assert day.open is not None, "only an open part joins a settled part"
    state = day.open
    visits = sorted([*settled.visits, *day.visits], key=lambda v: (v.start, v.site_id))
    events = sorted([*settled.events, *day.events], key=lambda e: (e.at, e.site_id, e.kind.value))
    return day.model_copy(
        update={
            "events": events,
            "visits": visits,
            "stops": [_with_site(s, visits) for s in [*settled.stops, *day.stops]],
            "trips": [*settled.trips, *day.trips],
            "open": state.model_copy(
                update={
                    "final_stops": len(settled.stops) + state.final_stops,
                    "final_trips": len(settled.trips) + state.final_trips,
                }
            ),
        }
    )


def settles(day: DayEvaluation) -> bool:
    """Whether `day` (`continue_day` of an open part) adds to the settled part: an event (so a visit opened or
    closed), a stop or a trip made final. When not, the settled part and the sites of its stops stay as stored."""
    state = day.open
    return bool(day.events) or (state is not None and (state.final_stops > 0 or state.final_trips > 0))


def trips_between_stops(fixes: Sequence[Ping], stops: Sequence[StopSummary], rules: SiteRules) -> list[Trip]:
    """Movement between stops: from a stop's last fix to the next stop's first fix. A gap without fixes longer
    than `trip_gap_seconds` splits a trip; trips shorter than the minimal distance or duration are dropped."""
    trips = _Trips(prev=None, run=None, found=[])
    for p in fixes:
        trips.feed(Fix.of(p), any(s.arrival <= p.t <= s.departure for s in stops), rules)
    trips.close(rules)
    return trips.found


class SiteDay(DayEvaluation):
    """Stored per (member, local day) in the account's partition in two parts (`settled_part` in docType
    site-day, `open_part` in docType site-day-open), written over the version read (the open part's ETag). The
    writer continues its open day with each flush's later pings, and computes it whole again from the day's
    stored pings when a ping is older than the last one evaluated."""

    account_id: str
    user_id: str
    evaluated_at: datetime

    @classmethod
    def of(cls, evaluation: DayEvaluation, *, account_id: str, user_id: str, at: datetime) -> SiteDay:
        fields = evaluation.model_dump(include=set(DayEvaluation.model_fields))
        return cls(**fields, account_id=account_id, user_id=user_id, evaluated_at=at)

    def same_result(self, other: SiteDay | None) -> bool:
        return other is not None and self.model_dump(exclude={"evaluated_at"}) == other.model_dump(
            exclude={"evaluated_at"}
        )
