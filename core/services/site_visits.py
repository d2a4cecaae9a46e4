"""Visits, stops and trips on the writer path, and the timesheets read from them. See docs/job-sites.md.

After the pings writer stored a flush, each local day (member's time zone) it touched is brought up to date. The
stored day carries its open state (core/domain/site_visits.py, OpenDay): when every new ping of the day is later
than the last one evaluated, the day continues from that state with the new pings only (one point read, one sites
query, at most one write, whatever the number of pings stored that day). A late, redelivered or reordered ping, a
change of the sites, or a lost race evaluates the day whole from its stored pings, which gives the same result.
The sites come from one query on the geohash cells of the day's fixes, so the cost does not grow with the number
of sites in the account.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from core.domain.accounts import Member
from core.domain.errors import FieldError, NotFound, ValidationFailed
from core.domain.events import PingsStored
from core.domain.identity import Principal
from core.domain.job_sites import JobSite, geohash
from core.domain.site_visits import (
    DEFAULT_RULES,
    DayEvaluation,
    SiteDay,
    SiteIndex,
    SiteRules,
    continue_day,
    continues,
    evaluate_day,
    joined,
    local_day,
    local_day_bounds,
    ordered,
    settled_part,
    settles,
)
from core.domain.timesheets import (
    MAX_TIMESHEET_DAYS,
    Timesheet,
    TimesheetQuery,
    timesheet_days,
)
from core.domain.tracking import AccessedData, Ping
from core.domain.tracking_formats import PingMessage
from core.ports import AccessLog, AccountStore, Clock, JobSiteStore, PingStore, SiteDayStore
from core.services.access_log import new_entry, record_read
from core.services.site_notices import SiteNotices, notify_first_events

log = logging.getLogger(__name__)
PAGE = 5000
MAX_CONFLICTS = 10  # optimistic-concurrency retries per message before the host retries the message
MAX_CASCADE_DAYS = 7  # a late ping that changes whether the day ends on site re-evaluates the days after it


@dataclass(frozen=True)
class _Day:
    """One day's evaluation before it is written: the stored day and its version, the new result, the sites, and
    whether the day's settled part changed (else only its open part is written). `stored` and `result` are both
    whole days, or both the open part only (a continued flush that settles nothing)."""

    stored: SiteDay | None
    version: str | None
    result: DayEvaluation
    index: SiteIndex
    settled: bool


def _read_local_day(pings: PingStore, account_id: str, user_id: str, start: datetime, end: datetime) -> list[Ping]:
    out: list[Ping] = []
    day = start.date()
    while day <= (end - timedelta(milliseconds=1)).date():
        continuation: str | None = None
        while True:
            page = pings.read_day(
                account_id=account_id,
                user_id=user_id,
                day=day,
                start=start,
                end=end,
                continuation=continuation,
                limit=PAGE,
            )
            out.extend(page.pings)
            continuation = page.continuation
            if not continuation:
                break
        day += timedelta(days=1)
    return ordered(out)


def _continued(
    day: date,
    new: Sequence[Ping],
    *,
    account_id: str,
    user_id: str,
    tz: str,
    sites: JobSiteStore,
    days: SiteDayStore,
    rules: SiteRules,
) -> _Day | None:
    """The stored day continued with these later pings: one point read of its open part and one sites query,
    whatever the number of pings stored that day. Only a flush that settles something (an event, a stop or trip
    made final) reads the whole day too, to add to its settled part. None when it cannot be continued (no open
    state, an earlier ping, another time zone, the sites of the day's cells changed since, or another writer
    wrote the day meanwhile): then the day is evaluated whole."""
    stored, version = days.read_open(account_id, user_id, day)
    if stored is None or stored.open is None or stored.time_zone != tz or not continues(stored, new):
        return None
    state = stored.open
    cells = sorted({*state.cells, *(geohash(p.lat, p.lon) for p in new)})
    found, in_cells = sites.sites_in_cells(account_id, cells)
    index = SiteIndex(found, in_cells)
    if index.key(state.cells) != state.sites_key:
        log.info("the sites of the day's cells changed: the day is evaluated whole")
        return None
    result = continue_day(stored, new, index=index, user_id=user_id, rules=rules)
    if not settles(result):
        return _Day(stored=stored, version=version, result=result, index=index, settled=False)
    whole, again = days.read_day(account_id, user_id, day)
    if whole is None or again != version:
        return None
    return _Day(
        stored=whole,
        version=version,
        result=joined(settled_part(whole), result),
        index=index,
        settled=True,
    )


def _whole(
    day: date,
    carry: list[str] | None,
    *,
    account_id: str,
    user_id: str,
    tz: str,
    pings: PingStore,
    sites: JobSiteStore,
    days: SiteDayStore,
    rules: SiteRules,
) -> _Day:
    """The day evaluated from all of its stored pings. The stored day is read BEFORE the pings: a writer that
    stored more pings of this day and wrote its result after this read makes our write fail (version changed), and
    we evaluate again with its pings. `carry`: the sites the day before ends inside of, when just evaluated."""
    stored, version = days.read_day(account_id, user_id, day)
    start, end = local_day_bounds(day, tz)
    fixes = _read_local_day(pings, account_id, user_id, start, end)
    previous, _ = days.read_open(account_id, user_id, day - timedelta(days=1))  # its end state
    carried = carry if carry is not None else (previous.inside_at_end if previous else [])
    carried_cell = previous.last_cell if previous else None
    cells = {geohash(p.lat, p.lon) for p in fixes}
    if carried and carried_cell:
        cells.add(carried_cell)
    found, in_cells = sites.sites_in_cells(account_id, sorted(cells))
    index = SiteIndex(found, in_cells)
    result = evaluate_day(
        pings=fixes,
        index=index,
        user_id=user_id,
        day=day,
        time_zone=tz,
        carried_in=carried,
        carried_cell=carried_cell,
        rules=rules,
    )
    changed_settled = stored is None or settled_part(result) != settled_part(stored)
    return _Day(stored=stored, version=version, result=result, index=index, settled=changed_settled)


OnChange = Callable[[SiteDay | None, SiteDay, SiteIndex], None]


def evaluate_days(
    *,
    account_id: str,
    user_id: str,
    touched: set[date],
    tz: str,
    pings: PingStore,
    sites: JobSiteStore,
    days: SiteDayStore,
    clock: Clock,
    rules: SiteRules = DEFAULT_RULES,
    on_change: OnChange | None = None,
    new: Mapping[date, Sequence[Ping]] | None = None,
) -> int:
    """Evaluate these local days; answers how many day documents changed. With `new` (the pings just stored, by
    local day), a day whose stored open state they all follow is continued with them (its cost does not grow with
    the pings stored that day); any other day is evaluated whole from its stored pings. A day whose end state
    (inside which sites) changed makes the next day, when already evaluated, be evaluated again (at most
    MAX_CASCADE_DAYS such steps). `on_change(stored, new, index)` runs before a changed day is written (the
    owner's e-mails: idempotent, so running again after a lost race or a retry is safe). A day is written only
    when its content changed, over the version read; a lost race evaluates that day whole again."""
    changed = cascaded = conflicts = 0
    fresh = dict(new or {})
    batch = sorted(touched)
    while batch:
        carry: list[str] | None = None
        following: list[date] = []
        retry: list[date] = []
        for day in batch:
            step = None
            added = fresh.pop(day, None)
            if carry is None and added is not None:
                step = _continued(
                    day, added, account_id=account_id, user_id=user_id, tz=tz, sites=sites, days=days, rules=rules
                )
            if step is None:
                step = _whole(
                    day,
                    carry,
                    account_id=account_id,
                    user_id=user_id,
                    tz=tz,
                    pings=pings,
                    sites=sites,
                    days=days,
                    rules=rules,
                )
            site_day = SiteDay.of(step.result, account_id=account_id, user_id=user_id, at=clock.now())
            carry = None
            if not site_day.same_result(step.stored):
                if on_change is not None:
                    on_change(step.stored, site_day, step.index)
                if not days.put_day(site_day, version=step.version, settled=step.settled):
                    retry.append(day)  # another writer evaluated this day meanwhile: again, whole
                    continue
                changed += 1
            before = step.stored.inside_at_end if step.stored else []
            if site_day.inside_at_end != before:
                nxt = day + timedelta(days=1)
                if nxt in batch:
                    carry = site_day.inside_at_end  # the next day of this batch starts from the new state
                elif cascaded < MAX_CASCADE_DAYS and days.read_open(account_id, user_id, nxt)[0] is not None:
                    following.append(nxt)
                    cascaded += 1
        if retry:
            conflicts += 1
            if conflicts > MAX_CONFLICTS:
                raise RuntimeError("a day kept changing under the job-site evaluation; the message will be retried")
        batch = sorted(set(following) | set(retry))
    return changed


def evaluate_message(
    *,
    message: PingMessage,
    accounts: AccountStore,
    pings: PingStore,
    sites: JobSiteStore,
    days: SiteDayStore,
    clock: Clock,
    notices: SiteNotices | None = None,
) -> int:
    """The writer's step after a message's pings are stored: re-evaluate each local day it touched. With
    `notices`, the Account Owner's opt-in e-mails about first arrivals and departures are queued too."""
    stored = message.pings()
    return evaluate_member_days(
        account_id=message.account_id,
        user_id=message.user_id,
        times=[p.t for p in stored],
        new_pings=stored,
        member=accounts.get_member(message.account_id, message.user_id),
        pings=pings,
        sites=sites,
        days=days,
        clock=clock,
        notices=notices,
    )


def evaluate_member_days(
    *,
    account_id: str,
    user_id: str,
    times: Sequence[datetime],
    member: Member | None,
    pings: PingStore,
    sites: JobSiteStore,
    days: SiteDayStore,
    clock: Clock,
    notices: SiteNotices | None = None,
    new_pings: Sequence[Ping] = (),
) -> int:
    """Re-evaluate each local day (in the member's time zone; UTC without a member record) holding one of `times`,
    the times of pings just stored (`new_pings`: those pings, to continue each day's open state with)."""
    return _evaluate_times(
        account_id=account_id,
        user_id=user_id,
        times=times,
        new_pings=new_pings,
        tz=member.time_zone if member is not None else "UTC",
        name=member.full_name if member is not None else "",
        pings=pings,
        sites=sites,
        days=days,
        clock=clock,
        notices=notices,
    )


def evaluate_stored_days(
    event: PingsStored,
    pings: PingStore,
    job_sites: JobSiteStore,
    site_days: SiteDayStore,
    clock: Clock,
    site_notices: SiteNotices,
) -> int:
    """Reaction to the pings writer's PingsStored (core/services/reactions.py), once per member per flush: each
    local day holding one of the stored pings is evaluated again, and the owner's opt-in visit e-mails queued. An
    error reaches the writer, whose message is retried."""
    return _evaluate_times(
        account_id=event.account_id,
        user_id=event.user_id,
        times=event.times,
        new_pings=event.pings,
        tz=event.time_zone,
        name=event.member_name,
        pings=pings,
        sites=job_sites,
        days=site_days,
        clock=clock,
        notices=site_notices,
    )


def _evaluate_times(
    *,
    account_id: str,
    user_id: str,
    times: Sequence[datetime],
    new_pings: Sequence[Ping],
    tz: str,
    name: str,
    pings: PingStore,
    sites: JobSiteStore,
    days: SiteDayStore,
    clock: Clock,
    notices: SiteNotices | None,
) -> int:
    touched = {local_day(t, tz) for t in times}
    new: dict[date, list[Ping]] | None = None
    if new_pings:  # every stored ping is there: each touched day can be continued with its own
        new = {day: [] for day in touched}
        for p in new_pings:
            new.setdefault(local_day(p.t, tz), []).append(p)
    on_change: OnChange | None = None
    if notices is not None:

        def on_change(stored: SiteDay | None, new: SiteDay, index: SiteIndex) -> None:
            notify_first_events(notices=notices, before=stored, after=new, member_name=name, sites=index.sites)

    changed = evaluate_days(
        account_id=account_id,
        user_id=user_id,
        touched=touched,
        tz=tz,
        pings=pings,
        sites=sites,
        days=days,
        clock=clock,
        on_change=on_change,
        new=new,
    )
    log.info("evaluated %d local day(s) for job sites; %d changed", len(touched), changed)
    return changed


# ---------------------------------------------------------------- timesheets


def _range(query: TimesheetQuery) -> tuple[date, date]:
    if query.to < query.from_:
        raise ValidationFailed(errors=[FieldError("query.to", "must not be before `from`")])
    if (query.to - query.from_).days + 1 > MAX_TIMESHEET_DAYS:
        raise ValidationFailed(errors=[FieldError("query.to", f"the range may span at most {MAX_TIMESHEET_DAYS} days")])
    return query.from_, query.to


def _site_names(account_id: str, site_days: list[SiteDay], sites: JobSiteStore) -> dict[str, JobSite]:
    ids = sorted({v.site_id for d in site_days for v in d.visits})
    return {s.site_id: s for s in sites.sites_by_id(account_id, ids)} if ids else {}


def account_timesheet(
    *,
    principal: Principal,
    account_id: str,
    query: TimesheetQuery,
    accounts: AccountStore,
    job_sites: JobSiteStore,
    site_days: SiteDayStore,
    access_log: AccessLog,
    clock: Clock,
) -> Timesheet:
    """The owner's timesheet of every member (or one). Logged in the access log before it is answered."""
    principal.require_owner_of(account_id)
    first, last = _range(query)
    members = {m.user_id: m for m in accounts.list_members(account_id)}
    if query.member_id is not None and query.member_id not in members:
        raise NotFound()
    if query.site_id is not None and job_sites.get_site(account_id, query.site_id) is None:
        raise NotFound()
    days = site_days.list_days(account_id, user_id=query.member_id, first=first, last=last)
    now = clock.now()
    sheet = timesheet_days(
        days,
        names={u: m.full_name for u, m in members.items()},
        sites=_site_names(account_id, days, job_sites),
        site_id=query.site_id,
        now=now,
        first=first,
        last=last,
    )
    shown = sorted({d.member_id for d in sheet.days})
    if shown:
        start = min(d.day_start for d in days)
        end = max(d.day_end for d in days)
        record_read(
            log=access_log,
            entry=new_entry(
                principal=principal,
                subject_user_ids=shown,
                data=AccessedData.VISITS,
                at=now,
                range_from=start,
                range_to=end,
            ),
        )
    return sheet


def my_timesheet(
    *,
    principal: Principal,
    query: TimesheetQuery,
    accounts: AccountStore,
    job_sites: JobSiteStore,
    site_days: SiteDayStore,
    clock: Clock,
) -> Timesheet:
    """The worker's own timesheet (not logged: one's own data)."""
    first, last = _range(query)
    if query.member_id is not None and query.member_id != principal.user_id:
        raise NotFound()
    days = site_days.list_days(principal.account_id, user_id=principal.user_id, first=first, last=last)
    member = accounts.get_member(principal.account_id, principal.user_id)
    names = {principal.user_id: member.full_name if member else ""}
    return timesheet_days(
        days,
        names=names,
        sites=_site_names(principal.account_id, days, job_sites),
        site_id=query.site_id,
        now=clock.now(),
        first=first,
        last=last,
    )


CSV_COLUMNS = (
    "date",
    "memberId",
    "memberName",
    "timeZone",
    "kind",
    "siteId",
    "siteName",
    "start",
    "end",
    "seconds",
    "distanceMeters",
)


def to_csv(sheet: Timesheet) -> str:
    """One row per site of a day, per unsited stop and per trip."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)

    def text(value: object) -> str:
        s = "" if value is None else (value.astimezone(UTC).isoformat() if isinstance(value, datetime) else str(value))
        return "'" + s if s[:1] in ("=", "+", "-", "@") and not isinstance(value, (int, float, datetime)) else s

    for d in sheet.days:
        base = [d.date.isoformat(), d.member_id, text(d.member_name), d.time_zone]
        for s in d.sites:
            writer.writerow(
                [
                    *base,
                    "site",
                    s.site_id,
                    text(s.site_name),
                    text(s.first_arrival),
                    text(s.last_departure),
                    s.seconds,
                    "",
                ]
            )
        for st in d.unsited_stops:
            writer.writerow([*base, "stop", "", "", text(st.arrival), text(st.departure), st.seconds, ""])
        for t in d.trips:
            writer.writerow([*base, "trip", "", "", text(t.start), text(t.end), int(t.seconds), t.distance_m])
    return out.getvalue()
