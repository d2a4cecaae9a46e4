"""Timesheets: per member and local day, the time on each job site, the stops elsewhere, trips and distance."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from core.domain.accounts import ApiModel, PublicModel
from core.domain.inputs import SINGLE_LINE
from core.domain.job_sites import JobSite
from core.domain.site_visits import SiteDay

MAX_TIMESHEET_DAYS = 31
IdText = Annotated[str, StringConstraints(min_length=1, max_length=128), SINGLE_LINE]


class TimesheetQuery(ApiModel):
    from_: date = Field(alias="from", description="first local day, YYYY-MM-DD")
    to: date = Field(description="last local day (inclusive), at most 31 days after `from`")
    member_id: IdText | None = Field(default=None, alias="memberId")
    site_id: IdText | None = Field(default=None, alias="siteId")


class TimesheetSite(PublicModel):
    site_id: str = Field(alias="siteId")
    site_name: str | None = Field(default=None, alias="siteName")  # None: the site was deleted since
    seconds: int
    visits: int
    first_arrival: datetime = Field(alias="firstArrival")
    last_departure: datetime | None = Field(default=None, alias="lastDeparture")  # None: still there


class TimesheetStop(PublicModel):
    arrival: datetime
    departure: datetime
    seconds: int
    latitude: float
    longitude: float


class TimesheetTrip(PublicModel):
    start: datetime
    end: datetime
    seconds: int
    distance_m: float = Field(alias="distanceMeters")


class TimesheetDay(PublicModel):
    date: date
    member_id: str = Field(alias="memberId")
    member_name: str = Field(alias="memberName")
    time_zone: str = Field(alias="timeZone")
    on_site_seconds: int = Field(alias="onSiteSeconds")
    sites: list[TimesheetSite]
    unsited_stops: list[TimesheetStop] = Field(alias="unsitedStops")
    trips: list[TimesheetTrip]
    distance_m: float = Field(alias="distanceMeters")


class Timesheet(PublicModel):
    from_: date = Field(alias="from")
    to: date
    days: list[TimesheetDay]


def day_row(
    d: SiteDay, *, member_name: str, sites: dict[str, JobSite], site_id: str | None, now: datetime
) -> TimesheetDay | None:
    """One member's day. An open visit counts until the end of the day, or until now while the day lasts; a visit
    that spans midnight counts on each day for its part of it."""
    until = min(d.day_end, max(now, d.day_start))
    rows: dict[str, TimesheetSite] = {}
    for v in d.visits:
        if site_id is not None and v.site_id != site_id:
            continue
        seconds = int(v.seconds_within(d.day_start, until))
        row = rows.get(v.site_id)
        site = sites.get(v.site_id)
        if row is None:
            rows[v.site_id] = TimesheetSite(
                site_id=v.site_id,
                site_name=site.name if site else None,
                seconds=seconds,
                visits=1,
                first_arrival=v.start,
                last_departure=v.end,
            )
        else:
            row.seconds += seconds
            row.visits += 1
            row.last_departure = None if v.end is None or row.last_departure is None else max(row.last_departure, v.end)
    if site_id is not None and not rows:
        return None
    stops = [
        TimesheetStop(
            arrival=s.arrival,
            departure=s.departure,
            seconds=int((s.departure - s.arrival).total_seconds()),
            latitude=round(s.latitude, 6),
            longitude=round(s.longitude, 6),
        )
        for s in d.stops
        if s.site_id is None
    ]
    trips = [TimesheetTrip(start=t.start, end=t.end, seconds=int(t.seconds), distance_m=t.distance_m) for t in d.trips]
    return TimesheetDay(
        date=d.day,
        member_id=d.user_id,
        member_name=member_name,
        time_zone=d.time_zone,
        on_site_seconds=sum(r.seconds for r in rows.values()),
        sites=list(rows.values()),
        unsited_stops=stops,
        trips=trips,
        distance_m=round(sum(t.distance_m for t in trips), 1),
    )


def timesheet_days(
    site_days: list[SiteDay],
    *,
    names: dict[str, str],
    sites: dict[str, JobSite],
    site_id: str | None,
    now: datetime,
    first: date,
    last: date,
) -> Timesheet:
    rows = [
        day_row(d, member_name=names.get(d.user_id, ""), sites=sites, site_id=site_id, now=now)
        for d in sorted(site_days, key=lambda d: (d.day, names.get(d.user_id, "").lower(), d.user_id))
    ]
    return Timesheet(from_=first, to=last, days=[r for r in rows if r is not None])
