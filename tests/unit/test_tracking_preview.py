"""The preview of tracking windows on real time agrees with the rule ingest applies, across clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.domain.tracking import TrackingSchedule, TrackingWindow
from core.domain.tracking_preview import expand, offset_text

WINDOWS = [
    TrackingWindow.model_validate({"days": ["mon", "tue", "wed", "thu", "fri"], "start": "07:00", "end": "18:00"}),
    TrackingWindow.model_validate({"days": ["sat"], "start": "22:00", "end": "04:00"}),  # crosses midnight
    TrackingWindow.model_validate({"days": ["sun"], "start": "01:15", "end": "02:45"}),  # in the changed hour
    TrackingWindow.model_validate({"days": ["wed"], "start": "20:00", "end": "24:00"}),
]


@pytest.mark.parametrize(
    ("zone", "first"),
    [
        ("America/Chicago", date(2027, 3, 10)),  # spring forward, Sunday 14 March 02:00
        ("America/Chicago", date(2026, 10, 28)),  # fall back, Sunday 1 November 02:00
        ("Europe/Berlin", date(2027, 3, 25)),  # Sunday 28 March 02:00 -> 03:00
        ("Australia/Lord_Howe", date(2027, 4, 1)),  # a 30-minute change, Sunday 4 April
        ("Asia/Kolkata", date(2027, 3, 10)),  # no change at all
    ],
)
def test_the_preview_is_exactly_the_instants_ingest_keeps(zone: str, first: date) -> None:
    preview = expand(WINDOWS, zone, first, 7)
    schedule = TrackingSchedule(
        account_id="a", user_id="u", time_zone=zone, windows=WINDOWS, updated_at=datetime(2027, 1, 1, tzinfo=UTC)
    )
    start = min(i.start for i in preview.intervals).astimezone(UTC) - timedelta(hours=30)
    inside = [(i.start, i.end) for i in preview.intervals]
    t = start.replace(minute=0, second=0)
    local_first = datetime.combine(first, datetime.min.time())
    local_end = local_first + timedelta(days=7)
    checked = 0
    while t < start + timedelta(days=9):
        wall = t.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        if local_first <= wall < local_end:
            expected = schedule.allows(t)
            assert any(a <= t < b for a, b in inside) == expected, t.astimezone(ZoneInfo(zone))
            checked += 1
        t += timedelta(minutes=5)
    assert checked >= 7 * 24 * 12 - 12 * 2  # the whole week was compared (less a skipped hour, if any)
    for i in preview.intervals:
        assert i.minutes == int((i.end.astimezone(UTC) - i.start.astimezone(UTC)).total_seconds() // 60)


def test_a_spring_forward_night_is_an_hour_shorter_and_the_change_is_named() -> None:
    night = [TrackingWindow.model_validate({"days": ["sat"], "start": "22:00", "end": "06:00"})]
    preview = expand(night, "America/Chicago", date(2027, 3, 13), 2)
    [interval] = preview.intervals
    assert interval.start.isoformat() == "2027-03-13T22:00:00-06:00"
    assert interval.end.isoformat() == "2027-03-14T06:00:00-05:00"
    assert interval.minutes == 7 * 60
    [change] = preview.clock_changes
    assert (change.at.isoformat(), change.offset_before, change.offset_after) == (
        "2027-03-14T03:00:00-05:00",
        "-06:00",
        "-05:00",
    )


def test_a_fall_back_hour_is_covered_twice_by_a_wall_clock_window() -> None:
    repeated = [TrackingWindow.model_validate({"days": ["sun"], "start": "01:00", "end": "01:30"})]
    preview = expand(repeated, "America/Chicago", date(2026, 11, 1), 1)
    assert [(i.start.isoformat(), i.minutes) for i in preview.intervals] == [
        ("2026-11-01T01:00:00-05:00", 30),
        ("2026-11-01T01:00:00-06:00", 30),
    ]


def test_offsets_are_written_as_in_rfc_3339() -> None:
    assert offset_text(timedelta(hours=-5)) == "-05:00"
    assert offset_text(timedelta(hours=10, minutes=30)) == "+10:30"
    assert offset_text(None) == "+00:00"
