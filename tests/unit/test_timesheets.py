"""Timesheet rows: open visits count until the day's end (or now), visits over midnight count on each day, CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

from core.domain.site_visits import SiteDay, StopSummary, Visit, local_day_bounds
from core.domain.timesheets import timesheet_days
from core.services.site_visits import to_csv
from tests.unit.test_site_visits import circle_site


def day(d: date, visits: list[Visit], stops: list[StopSummary] | None = None) -> SiteDay:
    start, end = local_day_bounds(d, "America/Chicago")
    return SiteDay(
        account_id="a1",
        user_id="u1",
        day=d,
        time_zone="America/Chicago",
        day_start=start,
        day_end=end,
        events=[],
        visits=visits,
        stops=stops or [],
        trips=[],
        inside_at_end=[],
        ping_count=1,
        evaluated_at=start,
    )


def test_open_visits_and_midnight() -> None:
    monday, tuesday = date(2026, 3, 2), date(2026, 3, 3)
    m_start, m_end = local_day_bounds(monday, "America/Chicago")
    late = Visit(site_id="s1", start=m_end - timedelta(hours=1))  # open at the end of Monday
    carried = Visit(site_id="s1", start=m_end, end=m_end + timedelta(hours=2), carried_in=True)
    stop = StopSummary(
        arrival=m_start + timedelta(hours=9), departure=m_start + timedelta(hours=10), latitude=1.0, longitude=2.0
    )
    sheet = timesheet_days(
        [day(monday, [late], [stop]), day(tuesday, [carried])],
        names={"u1": "=cmd|' /C calc'!A0"},
        sites={"s1": circle_site()},
        site_id=None,
        now=m_end + timedelta(days=5),
        first=monday,
        last=tuesday,
    )
    assert [(d.date, d.on_site_seconds) for d in sheet.days] == [(monday, 3600), (tuesday, 7200)]
    assert sheet.days[0].sites[0].last_departure is None and sheet.days[0].unsited_stops[0].seconds == 3600
    # while Monday lasts, the open visit counts until now
    during = timesheet_days(
        [day(monday, [late])],
        names={},
        sites={},
        site_id=None,
        now=m_end - timedelta(minutes=15),
        first=monday,
        last=monday,
    )
    assert during.days[0].on_site_seconds == 45 * 60 and during.days[0].sites[0].site_name is None
    rows = list(csv.DictReader(io.StringIO(to_csv(sheet))))
    assert [(r["date"], r["kind"], r["seconds"]) for r in rows] == [
        ("2026-03-02", "site", "3600"),
        ("2026-03-02", "stop", "3600"),
        ("2026-03-03", "site", "7200"),
    ]
    assert rows[0]["memberName"].startswith("'=")  # a formula is not run by a spreadsheet
    assert datetime.fromisoformat(rows[0]["start"]) == late.start.astimezone(UTC)
    assert (
        timesheet_days(
            [day(monday, [late])], names={}, sites={}, site_id="other", now=m_end, first=monday, last=monday
        ).days
        == []
    )
