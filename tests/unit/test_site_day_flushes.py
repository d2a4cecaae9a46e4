"""The writer's job-site step carries each day's open state (docs/job-sites.md, "The open day"): a flush of later
pings reads none of the day's stored pings back and gives what evaluating the whole day gives; a late ping, a
changed site or a lost race evaluates the day whole; a flush that changes nothing writes nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from core.domain.job_sites import JobSite, cells_covering
from core.domain.site_visits import SiteDay
from core.domain.tracking import Ping
from core.services.site_visits import evaluate_days
from tests.unit.fakes import FakeClock
from tests.unit.fakes_tracking import FakePingStore
from tests.unit.test_site_visits import T0, circle_site, track
from tests.unit.test_site_visits_writer import FakeDays, FakeSites, deliver, setup

DAY = date(2026, 3, 2)


class CountingPings(FakePingStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def read_day(self, **kwargs: Any) -> Any:
        self.reads += 1
        return super().read_day(**kwargs)


def a_day() -> list[Ping]:
    """Arrive on site, stay an hour, drive 6 km, stay, drive back: fixes every 30 s."""
    pts = [(-1000 + 50 * i, 0, 0) for i in range(20)] + [(0, 0, 0)] * 120
    pts += [(300 * i, 0, 0) for i in range(1, 21)] + [(6000, 0, 0)] * 40 + [(6000 - 300 * i, 0, 0) for i in range(20)]
    return track(pts)


def whole(pings: list[Ping], sites: FakeSites) -> SiteDay:
    """The day evaluated from all of its stored pings, in a store of its own."""
    store, days = FakePingStore(), FakeDays()
    store.write_day(account_id="a1", user_id="u1", day=DAY, pings=pings)
    evaluate_days(
        account_id="a1",
        user_id="u1",
        touched={DAY},
        tz="UTC",
        pings=store,
        sites=sites,  # type: ignore[arg-type]  # the sites query is all the step asks of the store
        days=days,  # type: ignore[arg-type]  # read_day, get_day and put_day are all the step asks
        clock=FakeClock(),
    )
    day = days.get_day("a1", "u1", DAY)
    assert day is not None
    return day


def same(a: SiteDay | None, b: SiteDay) -> None:
    assert a is not None
    assert a.model_dump(exclude={"evaluated_at"}) == b.model_dump(exclude={"evaluated_at"})


def test_flushes_of_later_pings_read_no_pings_back_and_give_the_whole_day() -> None:
    accounts, _, sites, days = setup()
    store = CountingPings()
    pings = a_day()
    for k in range(0, len(pings), 3):
        deliver(pings[k : k + 3], accounts, store, sites, days)
    assert store.reads == 1  # the first flush of the day (nothing stored yet) only
    stored = days.get_day("a1", "u1", DAY)
    same(stored, whole(pings, sites))
    assert stored is not None and len(stored.stops) == 2 and len(stored.trips) == 3 and len(stored.visits) == 1


def test_a_late_ping_evaluates_the_day_whole() -> None:
    accounts, _, sites, days = setup()
    store = CountingPings()
    pings = a_day()
    late = pings[100]
    rest = pings[:100] + pings[101:]
    for k in range(0, len(rest), 10):
        deliver(rest[k : k + 10], accounts, store, sites, days)
    reads = store.reads
    deliver([late], accounts, store, sites, days)
    assert store.reads > reads
    same(days.get_day("a1", "u1", DAY), whole(pings, sites))


def test_a_changed_site_evaluates_the_day_whole() -> None:
    accounts, _, sites, days = setup()
    store = CountingPings()
    pings = a_day()
    deliver(pings[:150], accounts, store, sites, days)
    bigger = circle_site(radius=400).model_copy(update={"updated_at": T0 + timedelta(hours=1)})
    sites.sites["s1"] = (bigger, cells_covering(bigger.geometry()))
    reads = store.reads
    deliver(pings[150:], accounts, store, sites, days)
    assert store.reads > reads
    same(days.get_day("a1", "u1", DAY), whole(pings, sites))


def test_a_new_site_where_the_member_was_earlier_evaluates_the_day_whole() -> None:
    accounts, _, sites, days = setup()
    pings = a_day()
    deliver(pings[:200], accounts, CountingPings(), sites, days)
    there: JobSite = circle_site("s2", dx=6000)
    sites.sites["s2"] = (there, cells_covering(there.geometry()))
    store = CountingPings()
    store.write_day(account_id="a1", user_id="u1", day=DAY, pings=pings[:200])
    deliver(pings[200:], accounts, store, sites, days)
    assert store.reads == 1
    stored = days.get_day("a1", "u1", DAY)
    same(stored, whole(pings, sites))
    assert stored is not None and {v.site_id for v in stored.visits} == {"s1", "s2"}


def test_a_flush_that_changes_nothing_writes_nothing() -> None:
    accounts, store, sites, days = setup()
    pings = a_day()
    deliver(pings[:50], accounts, store, sites, days)
    writes = days.writes
    deliver(pings[49:50], accounts, store, sites, days)  # the last ping again: nothing new
    deliver(pings[:50], accounts, store, sites, days)  # the whole flush again (evaluated whole: the same)
    assert days.writes == writes
    evening = [p.model_copy(update={"t": datetime(2026, 3, 3, 1, tzinfo=T0.tzinfo)}) for p in pings[50:51]]
    deliver(evening, accounts, store, sites, days)  # another day: this one is not written again
    assert days.writes == writes + 1


def test_the_site_days_arrays_are_not_indexed_and_no_query_needs_them() -> None:
    """Every list (and the open state) of a stored day is excluded from the accounts container's indexing (infra
    and the provisioned local containers share core/schema.py), and no query of the code filters on one."""
    from pathlib import Path

    from core.schema import ACCOUNTS

    arrays = {name for name, info in SiteDay.model_fields.items() if "list[" in str(info.annotation)} | {"open"}
    assert arrays == {"events", "visits", "stops", "trips", "inside_at_end", "open"}
    assert {f"/{a}/*" for a in arrays} <= set(ACCOUNTS.excluded_paths)
    assert ACCOUNTS.indexing_policy()["excludedPaths"] == [{"path": p} for p in ACCOUNTS.excluded_paths]
    root = Path(__file__).resolve().parents[2]
    for source in [*root.joinpath("core").rglob("*.py"), *root.joinpath("functions").rglob("*.py")]:
        text = source.read_text()
        assert not any(f"c.{a}" in text for a in arrays), source
