"""Tracking windows: local wall-clock times in an IANA zone, windows crossing midnight, DST changes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from core.domain.tracking import TrackingSchedule, TrackingScheduleUpdate, TrackingWindow


def schedule(zone: str, *windows: Mapping[str, object]) -> TrackingSchedule:
    return TrackingSchedule(
        account_id="a",
        user_id="u",
        time_zone=zone,
        windows=[TrackingWindow.model_validate(w) for w in windows],
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


WEEKDAYS_7_TO_18 = {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "07:00", "end": "18:00"}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_weekday_window_in_the_workers_zone() -> None:
    s = schedule("America/Chicago", WEEKDAYS_7_TO_18)
    assert s.allows(utc(2026, 6, 1, 12, 0))  # Monday 07:00 CDT: start is inside
    assert not s.allows(utc(2026, 6, 1, 11, 59))  # Monday 06:59 CDT
    assert not s.allows(utc(2026, 6, 1, 23, 0))  # Monday 18:00 CDT: end is outside
    assert not s.allows(utc(2026, 6, 6, 15, 0))  # Saturday


def test_the_same_utc_instant_is_inside_or_outside_across_the_dst_change() -> None:
    s = schedule("America/Chicago", WEEKDAYS_7_TO_18)
    # 12:30 UTC is 06:30 CST on Friday 6 March 2026, but 07:30 CDT on Monday 9 March (DST began on the 8th).
    assert not s.allows(utc(2026, 3, 6, 12, 30))
    assert s.allows(utc(2026, 3, 9, 12, 30))
    # Autumn: 12:30 UTC is 07:30 CDT on Friday 30 October, 06:30 CST on Monday 2 November 2026.
    assert s.allows(utc(2026, 10, 30, 12, 30))
    assert not s.allows(utc(2026, 11, 2, 12, 30))


def test_window_crossing_midnight_belongs_to_its_start_day() -> None:
    night = {"days": ["fri"], "start": "22:00", "end": "06:00"}
    s = schedule("Europe/Berlin", night)
    assert s.allows(utc(2026, 6, 5, 20, 30))  # Friday 22:30 CEST
    assert s.allows(utc(2026, 6, 6, 3, 59))  # Saturday 05:59 CEST: still Friday's window
    assert not s.allows(utc(2026, 6, 6, 4, 0))  # Saturday 06:00
    assert not s.allows(utc(2026, 6, 6, 20, 30))  # Saturday 22:30: no window starts on Saturday
    assert not s.allows(utc(2026, 6, 4, 22, 30))  # Friday 00:30: Thursday has no window


def test_night_window_over_the_dst_night() -> None:
    # Saturday 28 March 2026 22:00 to Sunday 06:00 in Berlin; clocks jump from 02:00 to 03:00 that night.
    s = schedule("Europe/Berlin", {"days": ["sat"], "start": "22:00", "end": "06:00"})
    assert s.allows(utc(2026, 3, 28, 21, 0))  # 22:00 CET
    assert s.allows(utc(2026, 3, 29, 3, 59))  # 05:59 CEST
    assert not s.allows(utc(2026, 3, 29, 4, 0))  # 06:00 CEST (only 7 real hours after the start)
    assert not s.allows(utc(2026, 3, 28, 20, 59))


def test_whole_day_and_validation() -> None:
    s = schedule("UTC", {"days": ["sun"], "start": "00:00", "end": "24:00"})
    assert s.allows(utc(2026, 6, 7, 0, 0)) and s.allows(utc(2026, 6, 7, 23, 59, 59))
    assert not s.allows(utc(2026, 6, 8, 0, 0))
    for bad in (
        {"days": ["mon"], "start": "07:00", "end": "07:00"},
        {"days": ["mon"], "start": "24:00", "end": "01:00"},
        {"days": ["mon", "mon"], "start": "07:00", "end": "08:00"},
        {"days": [], "start": "07:00", "end": "08:00"},
        {"days": ["mon"], "start": "7:00", "end": "08:00"},
        {"days": ["monday"], "start": "07:00", "end": "08:00"},
    ):
        with pytest.raises(ValidationError):
            TrackingWindow.model_validate(bad)
    with pytest.raises(ValidationError) as err:
        TrackingScheduleUpdate.model_validate({"timeZone": "Mars/Olympus", "windows": [WEEKDAYS_7_TO_18]})
    assert err.value.errors()[0]["loc"] == ("timeZone",)
