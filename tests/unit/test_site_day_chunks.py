"""The open day (docs/job-sites.md, "The open day"): a day fed in random chunks, some of them late, gives exactly
what the evaluation of the whole day gave before the writer carried the open day (the frozen oracle in
tests/unit/site_day_reference.py), and the same open state whatever the chunks."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.domain.job_sites import ActiveHours
from core.domain.site_visits import (
    DayEvaluation,
    SiteIndex,
    continue_day,
    continues,
    evaluate_day,
    joined,
    open_day,
    open_part,
    settled_part,
    settles,
)
from core.domain.tracking import Ping
from tests.unit.site_day_reference import reference_evaluate_day
from tests.unit.test_site_visits import T0, circle_site, index, ping

DAY = date(2026, 3, 2)


def sites() -> SiteIndex:
    hours = circle_site("s4", radius=200, dx=-2500)
    hours.active_hours = ActiveHours.model_validate(
        {"timeZone": "UTC", "windows": [{"days": ["mon"], "start": "07:00", "end": "09:30"}]}
    )
    return index(
        circle_site("s1"),
        circle_site("s2", radius=400, dx=3000),
        circle_site("s3", radius=120, dx=3150, assigned=["u2"]),  # someone else's site beside s2
        hours,
    )


def random_day(rnd: random.Random) -> list[Ping]:
    """Stays at the sites and elsewhere, drives between them, walks along edges, inaccurate fixes, gaps, fixes
    sharing a time, from 1 s to 2 min apart."""
    places = [(0.0, 0.0), (3000.0, 0.0), (3150.0, 30.0), (-2500.0, 0.0), (800.0, 900.0), (140.0, 0.0)]
    out: list[Ping] = []
    t = T0 - timedelta(hours=rnd.choice([1, 5]))
    x, y = rnd.choice(places)
    n = 0
    for _ in range(rnd.randint(3, 9)):
        kind = rnd.random()
        if kind < 0.4:  # stay, with GPS noise
            for _ in range(rnd.randint(2, 60)):
                n += 1
                acc = rnd.choice([5.0, 10.0, 30.0, 250.0, 500.0])
                out.append(ping(n, t, x + rnd.uniform(-25, 25), y + rnd.uniform(-25, 25), acc))
                t += timedelta(seconds=rnd.choice([0, 1, 10, 30, 30, 60, 120]))
        elif kind < 0.85:  # drive or walk to another place
            tx, ty = rnd.choice(places)
            steps = rnd.randint(2, 40)
            for k in range(1, steps + 1):
                n += 1
                out.append(ping(n, t, x + (tx - x) * k / steps, y + (ty - y) * k / steps, rnd.choice([5.0, 20.0])))
                t += timedelta(seconds=rnd.choice([5, 10, 30]))
            x, y = tx, ty
        else:  # phone off
            t += timedelta(minutes=rnd.choice([5, 16, 90]))
    return out


def whole(pings: list[Ping], carried: tuple[str, ...]) -> DayEvaluation:
    return reference_evaluate_day(
        pings=pings, index=sites(), user_id="u1", day=DAY, time_zone="UTC", carried_in=carried
    )


def in_chunks(pings: list[Ping], rnd: random.Random, carried: tuple[str, ...], late: float) -> DayEvaluation:
    """What the writer does: continue the open day with each flush, or evaluate the whole day again when a flush
    holds a fix older than the last one evaluated (a late ping)."""
    idx = sites()
    order = sorted(pings, key=lambda p: (p.t, p.ping_id))
    chunks: list[list[Ping]] = []
    i = 0
    while i < len(order):
        size = rnd.choice([1, 1, 2, 5, 30, 100])
        chunks.append(order[i : i + size])
        i += size
    for k in range(len(chunks) - 1):  # some flushes come late (after the next one)
        if rnd.random() < late:
            chunks[k], chunks[k + 1] = chunks[k + 1], chunks[k]
    day = open_day(index=idx, user_id="u1", day=DAY, time_zone="UTC", carried_in=carried, carried_cell=None)
    seen: list[Ping] = []
    for chunk in chunks:
        if rnd.random() < 0.1:
            chunk = chunk + seen[-3:]  # a redelivered message among the new ones
        seen += chunk
        if continues(day, chunk):
            day = continue_day(day, chunk, index=idx, user_id="u1")
        else:
            day = evaluate_day(pings=seen, index=idx, user_id="u1", day=DAY, time_zone="UTC", carried_in=carried)
    return day


def same(a: DayEvaluation, b: DayEvaluation) -> None:
    assert a.model_dump(exclude={"open"}) == b.model_dump(exclude={"open"})


@pytest.mark.parametrize("seed", range(60))
def test_a_day_in_random_chunks_is_the_whole_day(seed: int) -> None:
    rnd = random.Random(seed)
    pings = random_day(rnd)
    carried = ("s1",) if seed % 3 == 0 else ()
    expected = whole(pings, carried)
    chunked = in_chunks(pings, rnd, carried, late=0.15 if seed % 2 else 0.0)
    same(chunked, expected)
    once = evaluate_day(pings=pings, index=sites(), user_id="u1", day=DAY, time_zone="UTC", carried_in=carried)
    assert chunked == once  # the open state too: a recomputation that finds nothing new writes nothing


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), late=st.sampled_from([0.0, 0.3]))
def test_any_chunking_gives_the_whole_day(seed: int, late: float) -> None:
    rnd = random.Random(seed)
    pings = random_day(rnd)
    same(in_chunks(pings, rnd, (), late), whole(pings, ()))


def test_continuing_takes_only_later_fixes() -> None:
    idx = sites()
    first = [ping(1, T0, 0, 0), ping(2, T0 + timedelta(seconds=30), 0, 0)]
    day = evaluate_day(pings=first, index=idx, user_id="u1", day=DAY, time_zone="UTC")
    assert continues(day, [first[1], ping(3, T0 + timedelta(minutes=1), 0, 0)])  # the last one again is fine
    assert not continues(day, [ping(0, T0 + timedelta(seconds=10), 0, 0)])  # a late one is not
    assert continue_day(day, first, index=idx, user_id="u1") == day


def test_the_open_state_stays_small_through_a_long_day() -> None:
    """A whole day of fixes every 10 s (a stay, a drive, a stay) leaves a state of a few fixes."""
    idx = sites()
    start = datetime(2026, 3, 2, 6, 0, tzinfo=T0.tzinfo)
    pings = [ping(i, start + timedelta(seconds=10 * i), (i % 7) * 3.0, 0) for i in range(2000)]
    pings += [ping(2000 + i, start + timedelta(seconds=20_000 + 10 * i), 50.0 * i, 0) for i in range(60)]
    pings += [ping(3000 + i, start + timedelta(seconds=21_000 + 10 * i), 3000, (i % 5) * 2.0) for i in range(2000)]
    day = open_day(index=idx, user_id="u1", day=DAY, time_zone="UTC")
    for k in range(0, len(pings), 30):
        day = continue_day(day, pings[k : k + 30], index=idx, user_id="u1")
        assert day.open is not None and len(day.open.stop_tail) + len(day.open.trip_pending) <= 70
    same(day, whole(pings, ()))


def in_two_parts(pings: list[Ping], rnd: random.Random, carried: tuple[str, ...]) -> tuple[DayEvaluation, int]:
    """What the writer does with the day stored in two parts: each flush continues the open part alone; only a
    flush that settles something (`settles`) touches the settled part. Answers the day and how many flushes
    rewrote the settled part."""
    idx = sites()
    order = sorted(pings, key=lambda p: (p.t, p.ping_id))
    day = open_day(index=idx, user_id="u1", day=DAY, time_zone="UTC", carried_in=carried, carried_cell=None)
    settled, stored_open, rewrites = settled_part(day), open_part(day), 0
    i = 0
    while i < len(order):
        size = rnd.choice([1, 1, 1, 2, 5, 30])
        after = continue_day(stored_open, order[i : i + size], index=idx, user_id="u1")
        i += size
        if settles(after):
            whole_day = joined(settled, after)
            settled, stored_open, rewrites = settled_part(whole_day), open_part(whole_day), rewrites + 1
        else:
            assert open_part(after) == after  # nothing to move to the settled part
            stored_open = after
    return joined(settled, stored_open), rewrites


@pytest.mark.parametrize("seed", range(40))
def test_the_open_part_continued_and_joined_to_the_settled_part_is_the_whole_day(seed: int) -> None:
    rnd = random.Random(seed)
    pings = random_day(rnd)
    carried = ("s1",) if seed % 3 == 0 else ()
    day, _ = in_two_parts(pings, rnd, carried)
    once = evaluate_day(pings=pings, index=sites(), user_id="u1", day=DAY, time_zone="UTC", carried_in=carried)
    assert day == once  # open state included
    same(day, whole(pings, carried))
    assert joined(settled_part(once), open_part(once)) == once


def test_the_settled_part_is_rewritten_only_when_something_settles() -> None:
    """A stay of 2,000 fixes, a drive, a stay: a handful of rewrites of the settled part, not one per flush."""
    start = datetime(2026, 3, 2, 6, 0, tzinfo=T0.tzinfo)
    pings = [ping(i, start + timedelta(seconds=10 * i), (i % 7) * 3.0, 0) for i in range(2000)]
    pings += [ping(2000 + i, start + timedelta(seconds=20_000 + 10 * i), 50.0 * i, 0) for i in range(60)]
    pings += [ping(3000 + i, start + timedelta(seconds=21_000 + 10 * i), 3000, (i % 5) * 2.0) for i in range(2000)]
    day, rewrites = in_two_parts(pings, random.Random(1), ())
    assert day == evaluate_day(pings=pings, index=sites(), user_id="u1", day=DAY, time_zone="UTC")
    assert len(pings) > 3000 and rewrites <= 8
