"""Coalesced access log (core/services/access_log.py, AccessLogWindows): one stored entry per viewer, worker, kind
(and item) and window, with first and last read and a count; a write per window instead of per read."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from core.domain.identity import Principal, Role
from core.domain.tracking import AccessedData, AccessLogEntry
from core.services.access_log import AccessLogWindows, new_entry, window_start
from tests.unit.fakes_tracking import FakeAccessLog

OWNER = Principal(user_id="o1", email="o@example.com", account_id="a1", role=Role.OWNER)
START = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=10)


def read(
    log: AccessLogWindows, at: datetime, subjects: list[str], data: AccessedData, resource_id: str | None = None
) -> None:
    entry = new_entry(principal=OWNER, subject_user_ids=subjects, data=data, at=at, resource_id=resource_id)
    assert entry is not None
    log.append(entry)


def test_an_hour_of_the_live_map_is_six_entries_per_worker_with_every_read_counted() -> None:
    store = FakeAccessLog()
    log = AccessLogWindows(store, window=WINDOW)
    polls = [START + timedelta(seconds=15 * i) for i in range(240)]  # every 15 s for an hour
    for at in polls:
        read(log, at, ["u1", "u2"], AccessedData.LATEST_POSITIONS)
    assert len(store.entries) == 12  # 2 workers x 6 windows, where each poll wrote one entry before
    assert store.writes <= 2 * 12  # one create and at most one update per window
    read(log, START + timedelta(hours=2), ["u3"], AccessedData.LATEST_POSITIONS)  # a later read closes the last ones
    mine = [e for e in store.entries if e.subject_user_ids == ["u1"]]
    assert [e.count for e in mine] == [40] * 6 and sum(e.count for e in mine) == len(polls)
    first = min(mine, key=lambda e: e.at)
    assert (first.at, first.last_at, first.window_start) == (START, START + timedelta(seconds=585), START)
    page = store.for_subject(account_id="a1", user_id="u2", continuation=None, limit=50)
    assert len(page.entries) == 6 and all(e.viewer_user_id == "o1" for e in page.entries)


def test_kinds_items_and_viewers_are_entries_of_their_own() -> None:
    store = FakeAccessLog()
    log = AccessLogWindows(store, window=WINDOW)
    read(log, START, ["u1"], AccessedData.PHOTO, resource_id="p1")
    read(log, START, ["u1"], AccessedData.PHOTO, resource_id="p2")
    read(log, START, ["u1"], AccessedData.PHOTO, resource_id="p1")
    read(log, START, ["u1"], AccessedData.LOCATION_TRACK)
    assert sorted((e.data.value, e.resource_id) for e in store.entries) == [
        ("location-track", None),
        ("photo", "p1"),
        ("photo", "p2"),
    ]
    assert all(e.subject_user_ids == ["u1"] for e in store.entries)


def test_two_processes_share_one_entry_per_window() -> None:
    store = FakeAccessLog()
    one, two = AccessLogWindows(store, window=WINDOW), AccessLogWindows(store, window=WINDOW)
    read(one, START + timedelta(minutes=1), ["u1"], AccessedData.LATEST_POSITIONS)
    read(two, START + timedelta(minutes=2), ["u1"], AccessedData.LATEST_POSITIONS)  # conflicts: already logged
    read(two, START + timedelta(minutes=3), ["u1"], AccessedData.LATEST_POSITIONS)
    assert len(store.entries) == 1
    read(two, START + timedelta(minutes=12), ["u1"], AccessedData.LATEST_POSITIONS)  # the next window closes it
    first = next(e for e in store.entries if e.window_start == START)
    assert first.count == 3 and first.last_at == START + timedelta(minutes=3)


def test_a_failed_create_fails_the_read_and_the_next_read_logs_it() -> None:
    class Broken(FakeAccessLog):
        fail = True

        def create_many(self, entries: Sequence[AccessLogEntry]) -> list[bool]:
            if self.fail:
                raise RuntimeError("store down")
            return super().create_many(entries)

    store = Broken()
    log = AccessLogWindows(store, window=WINDOW)
    with pytest.raises(RuntimeError):
        read(log, START, ["u1"], AccessedData.LATEST_POSITIONS)
    store.fail = False
    read(log, START + timedelta(seconds=15), ["u1"], AccessedData.LATEST_POSITIONS)
    assert [e.count for e in store.entries] == [1]


def test_windows_are_aligned_and_an_entry_of_before_reads_as_one() -> None:
    assert window_start(START + timedelta(minutes=19, seconds=59), WINDOW) == START + timedelta(minutes=10)
    old = AccessLogEntry(
        entry_id="x", account_id="a1", viewer_user_id="o1", viewer_role="owner", subject_user_ids=["u1"],
        data=AccessedData.NOTE, at=START,
    )  # fmt: skip
    assert (old.count, old.last_at, old.window_start) == (1, None, None)


def test_the_workers_page_counts_the_reads_not_saved_yet() -> None:
    store = FakeAccessLog()
    log = AccessLogWindows(store, window=WINDOW)
    for minute in (1, 2, 3):
        read(log, START + timedelta(minutes=minute), ["u1"], AccessedData.NOTE)
    assert [e.count for e in store.entries] == [1]  # stored: the window's first read only
    [shown] = log.for_subject(account_id="a1", user_id="u1", continuation=None, limit=10).entries
    assert (shown.count, shown.last_at) == (3, START + timedelta(minutes=3))


def test_the_ended_windows_a_read_closes_are_saved_at_the_same_time() -> None:
    class Together(FakeAccessLog):
        """Each update waits (5 s at most) for another one to be under way: one after the other, they fail."""

        meet = threading.Barrier(2, timeout=5)

        def add_reads(
            self,
            *,
            account_id: str,
            entry_id: str,
            reads: int,
            last_at: datetime,
            range_from: datetime | None,
            range_to: datetime | None,
        ) -> bool:
            self.meet.wait()
            return super().add_reads(
                account_id=account_id,
                entry_id=entry_id,
                reads=reads,
                last_at=last_at,
                range_from=range_from,
                range_to=range_to,
            )

    store = Together()
    log = AccessLogWindows(store, window=WINDOW)
    for seconds in (0, 15):
        read(log, START + timedelta(seconds=seconds), ["u1", "u2"], AccessedData.LATEST_POSITIONS)
    read(log, START + WINDOW, ["u1", "u2"], AccessedData.LATEST_POSITIONS)  # ends both workers' first windows
    assert sorted(e.count for e in store.entries if e.window_start == START) == [2, 2]
