"""Issue 28, tracking windows by time: a ping is judged by the windows in force at its own timestamp, so a batch
that arrives late (a phone offline for days) is judged as it would have been on time, whatever the worker changed
since: narrowing the windows never drops what the old ones allowed, widening them never admits what the old ones
left out, across the DST changes of America/Chicago and Europe/Berlin too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.domain.ingest_gate import MemberGateFacts
from core.domain.private_zones import PrivateZones
from core.domain.tracking import (
    MAX_SCHEDULE_VERSIONS,
    ScheduleVersion,
    TrackingScheduleUpdate,
    TrackingWindow,
    version_in_force,
    windows_allow,
    with_change,
)
from core.services import tracking
from tests.unit.test_tracking_ingest import WORKER, World, ping

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def put(w: World, at: datetime, time_zone: str, windows: list[dict[str, Any]]) -> None:
    """The worker saves windows at `at` (the clock stays there)."""
    w.clock.at = at
    tracking.put_schedule(
        principal=WORKER,
        tracking_schedules=w.gate.tracking_schedules,
        reactions=w.reactions,
        clock=w.clock,
        data=TrackingScheduleUpdate.model_validate({"timeZone": time_zone, "windows": windows}),
    )


def granted_world(since: datetime) -> World:
    w = World(at=since)
    w.consent(True)
    return w


def accepted(w: World, at: datetime, pings: list[dict[str, Any]]) -> set[str]:
    """Sends `pings` as one batch at `at`; answers the ids queued by this call."""
    w.clock.at = at
    before = {p.ping_id for p in w.queued()}
    w.ingest(pings)
    return {p.ping_id for p in w.queued()} - before


def test_a_late_batch_across_a_narrowing_keeps_what_the_old_windows_allowed() -> None:
    w = granted_world(utc(2026, 6, 1))
    put(w, utc(2026, 6, 1, 1), "America/Chicago", [{"days": WEEKDAYS, "start": "07:00", "end": "18:00"}])
    put(w, utc(2026, 6, 10, 3), "America/Chicago", [{"days": WEEKDAYS, "start": "09:00", "end": "17:00"}])
    before = ping(utc(2026, 6, 8, 12, 30))  # Monday 07:30 CDT under the old windows: inside
    after = ping(utc(2026, 6, 10, 12, 30))  # Wednesday 07:30 CDT under the new windows: outside
    after_inside = ping(utc(2026, 6, 10, 14, 30))  # Wednesday 09:30 CDT: inside the new ones
    got = accepted(w, utc(2026, 6, 12), [before, after, after_inside])
    assert got == {before["id"], after_inside["id"]}


def test_a_late_batch_across_a_widening_does_not_admit_what_the_old_windows_left_out() -> None:
    w = granted_world(utc(2026, 6, 1))
    put(w, utc(2026, 6, 1, 1), "America/Chicago", [{"days": WEEKDAYS, "start": "09:00", "end": "17:00"}])
    put(w, utc(2026, 6, 10, 3), "America/Chicago", [{"days": [*WEEKDAYS, "sat"], "start": "06:00", "end": "20:00"}])
    early = ping(utc(2026, 6, 8, 12, 0))  # Monday 07:00 CDT: outside the windows of that day
    saturday = ping(utc(2026, 6, 6, 15, 0))  # Saturday 10:00 CDT: no window on Saturdays then
    early_later = ping(utc(2026, 6, 11, 12, 0))  # Thursday 07:00 CDT: inside the widened windows
    got = accepted(w, utc(2026, 6, 12), [early, saturday, early_later])
    assert got == {early_later["id"]}
    r = w.ingest([early, saturday])  # sent again: the same answer, whatever the windows are now
    assert (r.accepted, r.dropped.outside_window) == (0, 2)


def test_a_late_batch_across_the_chicago_spring_change_and_a_window_change() -> None:
    """Old windows 07:00-18:00 until Sunday 8 March 2026 noon (CDT from 02:00 that day), then 08:00-17:00. The same
    UTC hour is inside on the Friday before (CST) and not on the Monday after (CDT, and the new windows)."""
    w = granted_world(utc(2026, 3, 1))
    put(w, utc(2026, 3, 1, 1), "America/Chicago", [{"days": WEEKDAYS, "start": "07:00", "end": "18:00"}])
    put(w, utc(2026, 3, 8, 17), "America/Chicago", [{"days": WEEKDAYS, "start": "08:00", "end": "17:00"}])
    friday_0730 = ping(utc(2026, 3, 6, 13, 30))  # 07:30 CST, old windows: inside
    friday_0630 = ping(utc(2026, 3, 6, 12, 30))  # 06:30 CST: outside
    monday_0730 = ping(utc(2026, 3, 9, 12, 30))  # 07:30 CDT, new windows: outside
    monday_0830 = ping(utc(2026, 3, 9, 13, 30))  # 08:30 CDT: inside
    friday_1730 = ping(utc(2026, 3, 6, 23, 30))  # 17:30 CST: inside the old (until 18:00)
    monday_1730 = ping(utc(2026, 3, 9, 22, 30))  # 17:30 CDT: outside the new (until 17:00)
    batch = [friday_0730, friday_0630, monday_0730, monday_0830, friday_1730, monday_1730]
    got = accepted(w, utc(2026, 3, 10, 15), batch)
    assert got == {friday_0730["id"], monday_0830["id"], friday_1730["id"]}


def test_a_late_batch_across_the_berlin_spring_change_and_a_window_change() -> None:
    """A night window Saturday 22:00 to 06:00 (crossing midnight and the change to CEST at 02:00 on Sunday 29 March
    2026), shortened to end at 04:00 at 04:30 CEST that night. Pings before the change keep the old end."""
    w = granted_world(utc(2026, 3, 20))
    put(w, utc(2026, 3, 20, 1), "Europe/Berlin", [{"days": ["sat"], "start": "22:00", "end": "06:00"}])
    put(w, utc(2026, 3, 29, 2, 30), "Europe/Berlin", [{"days": ["sat"], "start": "22:00", "end": "04:00"}])
    at_2230_cet = ping(utc(2026, 3, 28, 21, 30))  # old windows: inside
    at_0330_cest = ping(utc(2026, 3, 29, 1, 30))  # after the clocks jumped, before the change: inside
    at_0500_cest = ping(utc(2026, 3, 29, 3, 0))  # after the change: outside the new end (04:00)
    at_0415_cest = ping(utc(2026, 3, 29, 2, 15))  # 04:15 CEST, before the change (04:30): the old end (06:00)
    at_0359_cest_next = ping(utc(2026, 4, 5, 1, 59))  # a week later 03:59 CEST: inside the new windows
    batch = [at_2230_cet, at_0330_cest, at_0500_cest, at_0415_cest, at_0359_cest_next]
    got = accepted(w, utc(2026, 4, 6), batch)
    assert got == {at_2230_cet["id"], at_0330_cest["id"], at_0415_cest["id"], at_0359_cest_next["id"]}


def test_a_deleted_schedule_still_judges_the_pings_of_its_time() -> None:
    w = granted_world(utc(2026, 6, 1))
    put(w, utc(2026, 6, 1, 1), "UTC", [{"days": WEEKDAYS, "start": "09:00", "end": "17:00"}])
    w.clock.at = utc(2026, 6, 10)
    tracking.delete_schedule(principal=WORKER, tracking_schedules=w.gate.tracking_schedules, reactions=w.reactions)
    assert tracking.get_schedule(principal=WORKER, tracking_schedules=w.gate.tracking_schedules).restricted is False
    night_before = ping(utc(2026, 6, 8, 22))  # outside the windows in force then
    night_after = ping(utc(2026, 6, 10, 22))  # no schedule any more
    assert accepted(w, utc(2026, 6, 11), [night_before, night_after]) == {night_after["id"]}


def test_pings_before_the_first_schedule_were_taken_without_one() -> None:
    w = granted_world(utc(2026, 6, 1))
    put(w, utc(2026, 6, 10), "UTC", [{"days": WEEKDAYS, "start": "09:00", "end": "17:00"}])
    night_before = ping(utc(2026, 6, 8, 22))
    night_after = ping(utc(2026, 6, 10, 22))
    assert accepted(w, utc(2026, 6, 11), [night_before, night_after]) == {night_before["id"]}


def test_the_api_answers_the_current_schedule_only() -> None:
    w = granted_world(utc(2026, 6, 1))
    put(w, utc(2026, 6, 1, 1), "UTC", [{"days": WEEKDAYS, "start": "09:00", "end": "17:00"}])
    put(w, utc(2026, 6, 2, 1), "Europe/Berlin", [{"days": ["sat"], "start": "10:00", "end": "12:00"}])
    got = tracking.get_schedule(principal=WORKER, tracking_schedules=w.gate.tracking_schedules)
    assert got.model_dump(by_alias=True, mode="json") == {
        "restricted": True,
        "timeZone": "Europe/Berlin",
        "windows": [{"days": ["sat"], "start": "10:00", "end": "12:00"}],
        "updatedAt": "2026-06-02T01:00:00Z",
    }
    assert len(w.schedules.schedule_versions(account_id="a1", user_id="u1")) == 2


# ---------------------------------------------------------------- the versions themselves (pure)


def version(since: datetime | None, start: str = "09:00", end: str = "17:00") -> ScheduleVersion:
    return ScheduleVersion(since=since, time_zone="UTC", windows=[TrackingWindow(days=WEEKDAYS, start=start, end=end)])


def test_versions_replaced_before_the_longest_retention_go_and_the_oldest_kept_stands_for_before() -> None:
    v1, v2, v3 = version(utc(2020, 1, 1)), version(utc(2024, 1, 1), "06:00"), version(utc(2026, 1, 1), "10:00")
    kept = with_change([v1, v2], v3, keep_since=utc(2025, 1, 1))
    assert [v.since for v in kept] == [None, utc(2026, 1, 1)]  # v2 was in force at keep_since: it stays
    assert kept[0].windows[0].start == "06:00"
    kept = with_change([v1, v2], v3, keep_since=utc(2023, 1, 1))
    assert [v.since for v in kept] == [utc(2020, 1, 1), utc(2024, 1, 1), utc(2026, 1, 1)]  # all may judge


def test_at_most_max_versions_are_kept() -> None:
    versions: list[ScheduleVersion] = []
    start = utc(2026, 1, 1)
    for n in range(MAX_SCHEDULE_VERSIONS + 5):
        versions = with_change(versions, version(start + timedelta(hours=n)), keep_since=start - timedelta(days=1))
    assert len(versions) == MAX_SCHEDULE_VERSIONS
    assert versions[0].since is None and versions[-1].since == start + timedelta(hours=MAX_SCHEDULE_VERSIONS + 4)


def test_a_change_stamped_before_the_last_one_never_goes_into_the_past() -> None:
    """Two instances whose clocks differ: the later write is the current schedule, from the last version's time."""
    kept = with_change([version(utc(2026, 1, 2))], version(utc(2026, 1, 1), "10:00"), keep_since=utc(2025, 1, 1))
    assert [v.since for v in kept] == [utc(2026, 1, 2), utc(2026, 1, 2)]
    in_force = version_in_force(kept, utc(2026, 1, 3))
    assert in_force is not None and in_force.windows[0].start == "10:00"


def test_no_versions_or_no_schedule_allow_every_time() -> None:
    assert windows_allow([], utc(2026, 1, 1, 3))
    assert windows_allow([ScheduleVersion(since=utc(2025, 1, 1))], utc(2026, 1, 1, 3))
    assert not windows_allow([version(None)], utc(2026, 1, 1, 3))  # Thursday 03:00


def test_a_gate_written_before_versions_is_not_trusted() -> None:
    """A member gate holding the old `schedule` field (today's windows only) must not parse: the sources decide."""
    old: dict[str, Any] = {
        "location_consents": [],
        "schedule": None,
        "zones": PrivateZones(account_id="a1", user_id="u1"),
    }
    try:
        MemberGateFacts.model_validate(old)
    except ValueError:
        return
    raise AssertionError("an old gate parsed: its windows would judge every ping by today's schedule")
