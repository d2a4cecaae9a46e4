"""The benchmarks' shared arithmetic (bench/lib/measure.py, bench/lib/people.py): percentiles, paced sending, the
host's counters sorted by function, and pings along a route. Pure: no emulator, no host."""

from __future__ import annotations

import itertools
import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bench.lib.measure import Phase, call_counts, cosmos_reads, paced, pct
from bench.lib.people import Route, iso, route_pings


def test_pct_is_the_nearest_rank_percentile() -> None:
    values = [float(v) for v in range(1, 101)]
    random.Random(3).shuffle(values)
    assert pct(values, 50) == 50.0
    assert pct(values, 99) == 99.0
    assert pct(values, 100) == 100.0
    assert pct([7.0], 1) == 7.0
    assert pct([], 50) != pct([], 50)  # NaN


def test_paced_spaces_the_calls_and_stops_at_the_deadline() -> None:
    started = time.monotonic()
    due = [time.monotonic() - started for _ in paced(0.05, started + 0.22, most=100)]
    assert 2 <= len(due) <= 5  # due at 0, 0.05, 0.10, 0.15, 0.20 s (a busy machine may run the last ones late)
    assert due[0] < 0.05
    assert due[-1] < 0.22
    assert due[1] >= 0.05  # the second call waits for its turn


def test_paced_stops_after_most_calls() -> None:
    assert list(paced(0.0, time.monotonic() + 60, most=3)) == [0, 1, 2]


def test_a_late_call_moves_the_schedule_on_instead_of_bursting() -> None:
    calls = []
    started = time.monotonic()
    for n in paced(0.05, started + 0.5, most=100):
        calls.append(time.monotonic())
        if n == 0:
            time.sleep(0.3)  # six intervals late
    resumed = calls[1]
    burst = [t for t in calls[1:] if t - resumed < 0.03]
    # the call due when the late one ended may follow at once; the five others missed meanwhile are not made up
    assert len(burst) <= 2, "the missed calls are not made up at once"
    assert len(calls) <= 2 + 1 + 4


COUNTS = Counter(
    {
        "ingest_locations cosmos.request.users.read": 4,
        "ingest_locations queue.pings-q.send": 2,
        "write_pings cosmos.request.pings.create": 6,
        "write_pings cosmos.meta.pings": 1,
        "write_pings cosmos.returned.pings": 30,
        "write_pings cosmos.written.pings": 6,
        "host queue.pings-q.receive": 2,
        "host queue.pings-q.receive-empty": 40,
        "get_latest_positions cosmos.request.latest.query": 3,
        "get_latest_positions cosmos.returned.latest": 120,
    }
)


def test_cosmos_reads_counts_requests_and_items_of_the_functions_named() -> None:
    assert cosmos_reads(COUNTS, ("get_latest_positions",)) == (3, 120)
    assert cosmos_reads(COUNTS, ("write_pings",)) == (7, 30)
    assert cosmos_reads(COUNTS, ("nobody",)) == (0, 0)


def test_call_counts_are_per_1000_pings_and_leave_empty_receives_out() -> None:
    phase = Phase(pings=500, http=10, counts=COUNTS)
    counts = call_counts(phase, "pings-q", ("ingest_locations", "write_pings"))
    assert counts == pytest.approx({"http": 20.0, "queue": 8.0, "cosmos": 22.0, "total": 50.0})


def test_route_pings_end_now_in_order_with_every_field_the_app_reads() -> None:
    before = datetime.now(UTC)
    pings = route_pings(Route(random.Random(1)), "dev-1", 5, apart_ms=20)
    stamps = [datetime.fromisoformat(p["timestamp"].replace("Z", "+00:00")) for p in pings]
    assert stamps == sorted(stamps)
    assert (stamps[1] - stamps[0]).total_seconds() == pytest.approx(0.02, abs=0.002)
    assert stamps[-1] <= datetime.now(UTC)
    assert (before - stamps[0]).total_seconds() < 1
    assert len({p["id"] for p in pings}) == 5
    assert {p["deviceId"] for p in pings} == {"dev-1"}
    assert {"latitude", "longitude", "horizontalAccuracy", "source"} <= set(pings[0])


def test_route_pings_of_calls_closer_than_their_span_never_go_back_in_time() -> None:
    route = Route(random.Random(2))
    stamps: list[datetime] = []
    for _ in range(4):  # back to back: each call's usual span (30 x 10 ms) reaches into the previous one's
        pings = route_pings(route, "dev-1", 30, apart_ms=10)
        stamps += [datetime.fromisoformat(p["timestamp"].replace("Z", "+00:00")) for p in pings]
    assert all(a < b for a, b in itertools.pairwise(stamps))  # strictly later, call after call
    assert stamps[-1] - datetime.now(UTC) < timedelta(seconds=1)  # at most a few ms ahead of the clock


def test_iso_is_utc_with_milliseconds_and_a_z() -> None:
    assert iso(datetime(2026, 1, 2, 3, 4, 5, 678_900, tzinfo=UTC)) == "2026-01-02T03:04:05.678Z"
