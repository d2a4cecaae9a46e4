"""Tracking windows laid out on real time (pure): which instants of a run of local days a schedule keeps, in the
schedule's IANA time zone, with its clock changes.

The rule is the one ingest applies (`TrackingWindow.contains` on each instant's local wall clock), so a window on a
spring-forward night is shorter in real time, and on a fall-back night a wall-clock window can cover the repeated
hour twice. A unit test compares the expansion with `TrackingSchedule.allows` minute by minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from pydantic import Field

from core.domain.accounts import ApiModel, PublicModel, TimeZoneName
from core.domain.tracking import WEEKDAYS, TrackingWindow

PREVIEW_DAYS_MAX = 14
_STEP = timedelta(hours=1)  # clock changes are found by sampling the offset hourly, then bisecting to the second


class TrackingPreviewRequest(ApiModel):
    time_zone: TimeZoneName = Field(alias="timeZone", examples=["America/Chicago"])
    windows: list[TrackingWindow] = Field(min_length=1, max_length=28)
    start: date | None = Field(
        default=None, alias="from", description="First local day; default: today in `timeZone`. Within a year of today."
    )
    days: int = Field(default=7, ge=1, le=PREVIEW_DAYS_MAX)


class PreviewInterval(PublicModel):
    start: datetime = Field(description="Local time with the offset in force then, e.g. 2027-03-14T03:00:00-05:00")
    end: datetime = Field(description="Local time with the offset in force then (exclusive)")
    minutes: int = Field(
        description="Real length in minutes (a clock change inside makes it differ from the wall-clock difference)"
    )


class ClockChange(PublicModel):
    at: datetime = Field(description="The instant of the change, in local time after it")
    offset_before: str = Field(alias="offsetBefore", examples=["-06:00"])
    offset_after: str = Field(alias="offsetAfter", examples=["-05:00"])


class TrackingPreview(PublicModel):
    time_zone: str = Field(alias="timeZone")
    start: date = Field(alias="from")
    end: date = Field(alias="to", description="The last local day shown (inclusive)")
    intervals: list[PreviewInterval] = Field(description="When pings are kept (location access granted), merged")
    clock_changes: list[ClockChange] = Field(alias="clockChanges")


def offset_text(offset: timedelta | None) -> str:
    minutes = int((offset or timedelta()).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _offset(zone: ZoneInfo, at: datetime) -> timedelta:
    return at.astimezone(zone).utcoffset() or timedelta()


def clock_changes(zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """UTC instants in [start, end) at which the zone's offset changes."""
    found: list[datetime] = []
    t = start
    while t < end:
        nxt = min(t + _STEP, end)
        if _offset(zone, t) != _offset(zone, nxt):
            lo, hi = t, nxt  # offset(lo) differs from offset(hi): bisect to the second
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                if _offset(zone, mid) == _offset(zone, lo):
                    lo = mid
                else:
                    hi = mid
            found.append(hi.replace(microsecond=0))
        t = nxt
    return found


def _wall_to_utc(zone: ZoneInfo, wall: datetime) -> datetime:
    """The first instant whose local wall clock is at or after `wall` (a time in a spring-forward gap: the change)."""
    t = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if t.astimezone(zone).replace(tzinfo=None) == wall:
        return t
    changes = [c for c in clock_changes(zone, t - timedelta(hours=3), t + timedelta(seconds=1)) if c <= t]
    return changes[-1] if changes else t


@dataclass(frozen=True)
class _Segment:
    start: datetime  # UTC
    end: datetime
    offset: timedelta


def _segments(zone: ZoneInfo, start: datetime, end: datetime) -> list[_Segment]:
    cuts = [start, *clock_changes(zone, start, end), end]
    return [_Segment(a, b, _offset(zone, a)) for a, b in pairwise(cuts) if a < b]


def _occurrences(windows: list[TrackingWindow], first: date, days: int) -> list[tuple[datetime, datetime]]:
    """Each window on each local day (from the day before `first`, whose night windows reach into it), as naive
    wall-clock [start, end)."""
    found = []
    for n in range(-1, days):
        day = first + timedelta(days=n)
        for w in windows:
            if WEEKDAYS[day.weekday()] not in w.days:
                continue
            sh, sm = (int(x) for x in w.start.split(":"))
            eh, em = (int(x) for x in w.end.split(":"))
            ws = datetime.combine(day, time(sh, sm))
            we = datetime.combine(day, time()) + timedelta(hours=eh, minutes=em)
            if we <= ws:
                we += timedelta(days=1)
            found.append((ws, we))
    return found


def expand(windows: list[TrackingWindow], time_zone: str, first: date, days: int) -> TrackingPreview:
    zone = ZoneInfo(time_zone)
    last = first + timedelta(days=days - 1)
    lo = _wall_to_utc(zone, datetime.combine(first, time()))
    hi = _wall_to_utc(zone, datetime.combine(last + timedelta(days=1), time()))
    spans: list[tuple[datetime, datetime]] = []
    # On a segment of constant offset the wall clock is UTC + offset: a wall-clock range maps to one UTC range.
    for seg in _segments(zone, lo - timedelta(days=2), hi + timedelta(days=2)):
        for ws, we in _occurrences(windows, first, days):
            a = max((ws - seg.offset).replace(tzinfo=UTC), seg.start, lo)
            b = min((we - seg.offset).replace(tzinfo=UTC), seg.end, hi)
            if a < b:
                spans.append((a, b))
    merged: list[tuple[datetime, datetime]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    changes = clock_changes(zone, lo, hi)
    return TrackingPreview(
        time_zone=time_zone,
        start=first,
        end=last,
        intervals=[
            PreviewInterval(
                start=a.astimezone(zone), end=b.astimezone(zone), minutes=int((b - a).total_seconds() // 60)
            )
            for a, b in merged
        ],
        clock_changes=[
            ClockChange(
                at=c.astimezone(zone),
                offset_before=offset_text(_offset(zone, c - timedelta(seconds=1))),
                offset_after=offset_text(_offset(zone, c)),
            )
            for c in changes
        ],
    )
