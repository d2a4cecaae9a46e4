"""The writer's job-site step with fakes: redelivery changes nothing, a late ping that changes how a day ends
re-evaluates the next day, one sites query per message. The step is the reaction to the writer's PingsStored
(core/services/reactions.py), run here by the real table on a root of these fakes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, cast

from core.bootstrap import root_with
from core.domain.accounts import Member
from core.domain.identity import Role
from core.domain.job_sites import JobSite, cells_covering, geohash
from core.domain.site_visits import SiteDay
from core.domain.tracking import Ping
from core.domain.tracking_formats import decode_ping_message, encode_ping_messages
from core.services import ping_writer
from core.services.site_notices import SiteNotices
from core.settings import Settings
from tests.unit.fakes import FakeAccountStore, FakeClock, FakeExpiryPlans
from tests.unit.fakes_email import FakeEmailProfiles, FakeOutbox
from tests.unit.fakes_job_sites import read_open_part, written
from tests.unit.fakes_tracking import (
    FakeLatestPositions,
    FakePingStore,
    FakePrivateZoneStore,
    FakeWithheldPingStore,
    writer_gate,
)
from tests.unit.test_site_visits import circle_site, track

if TYPE_CHECKING:
    from core.ports import JobSiteStore, Reactions, SiteDayStore


class FakeSites:
    def __init__(self, sites: list[JobSite]) -> None:
        self.sites = {s.site_id: (s, cells_covering(s.geometry())) for s in sites}
        self.queries = 0

    def sites_in_cells(self, account_id: str, cells: list[str]) -> tuple[list[JobSite], dict[str, list[str]]]:
        self.queries += 1
        hit = {i: [c for c in sc if c in cells] for i, (s, sc) in self.sites.items()}
        return [self.sites[i][0] for i, c in hit.items() if c], {i: c for i, c in hit.items() if c}


class FakeDays:
    def __init__(self) -> None:
        self.days: dict[tuple[str, date], SiteDay] = {}
        self.versions: dict[tuple[str, date], int] = {}
        self.writes = 0
        self.interfere: SiteDay | None = None

    def get_day(self, account_id: str, user_id: str, day: date) -> SiteDay | None:
        return self.days.get((user_id, day))

    def read_day(self, account_id: str, user_id: str, day: date) -> tuple[SiteDay | None, str | None]:
        found = self.days.get((user_id, day))
        return found, (None if found is None else str(self.versions[(user_id, day)]))

    def read_open(self, account_id: str, user_id: str, day: date) -> tuple[SiteDay | None, str | None]:
        found, version = self.read_day(account_id, user_id, day)
        return read_open_part(found), version

    def put_day(self, site_day: SiteDay, *, version: str | None, settled: bool) -> bool:
        key = (site_day.user_id, site_day.day)
        current = None if key not in self.days else str(self.versions[key])
        if self.interfere is not None:  # another writer's result lands between our read and our write
            other, self.interfere = self.interfere, None
            self.days[key], self.versions[key] = other, self.versions.get(key, 0) + 1
            return False
        if version != current:
            return False
        self.writes += 1
        whole = written(self.days.get(key), site_day, settled=settled)
        self.days[key], self.versions[key] = whole, self.versions.get(key, 0) + 1
        return True


def setup() -> tuple[FakeAccountStore, FakePingStore, FakeSites, FakeDays]:
    accounts = FakeAccountStore()
    now = datetime(2026, 3, 1, tzinfo=UTC)
    accounts.put_member(
        Member(
            account_id="a1",
            user_id="u1",
            role=Role.MEMBER,
            full_name="W",
            email="w@example.com",
            time_zone="UTC",
            joined_at=now,
            updated_at=now,
        )
    )
    return accounts, FakePingStore(), FakeSites([circle_site()]), FakeDays()


def job_site_reactions(
    accounts: FakeAccountStore,
    store: FakePingStore,
    sites: FakeSites,
    days: FakeDays,
    clock: FakeClock,
    notices: SiteNotices | None = None,
) -> Reactions:
    """The reactions table on a root of these fakes (partial fakes: the job-site step's calls only). Without
    `notices`, the owner's e-mails go to an outbox nobody reads (the account has no owner opted in)."""
    return root_with(
        Settings(),
        accounts=accounts,
        pings=store,
        job_sites=cast("JobSiteStore", sites),
        site_days=cast("SiteDayStore", days),
        clock=clock,
        site_notices=notices
        or SiteNotices(accounts=accounts, profiles=FakeEmailProfiles(), outbox=FakeOutbox(), clock=clock),
    ).reactions


def deliver(
    batch: list[Ping], accounts: FakeAccountStore, store: FakePingStore, sites: FakeSites, days: FakeDays
) -> None:
    clock = FakeClock()
    for text in encode_ping_messages("a1", "u1", batch):
        ping_writer.store_ping_message(
            message=decode_ping_message(text),
            pings=store,
            latest_positions=FakeLatestPositions(),
            clock=clock,
            ingest_gate=writer_gate(accounts),
            reactions=job_site_reactions(accounts, store, sites, days, clock),
            private_zones=FakePrivateZoneStore(),
            withheld_pings=FakeWithheldPingStore(),
            expiry_plans=FakeExpiryPlans(),
        )


def test_redelivery_writes_nothing_and_costs_one_sites_query() -> None:
    accounts, store, sites, days = setup()
    day = track([(0, 0, 0)] * 20)
    deliver(day, accounts, store, sites, days)
    assert sites.queries == 1 and days.writes == 1
    stored = days.get_day("a1", "u1", date(2026, 3, 2))
    assert stored is not None and len(stored.visits) == 1
    deliver(day, accounts, store, sites, days)  # the host delivers the message again
    assert days.writes == 1 and days.get_day("a1", "u1", date(2026, 3, 2)) == stored


def test_a_late_ping_that_changes_the_end_of_a_day_re_evaluates_the_next_day() -> None:
    accounts, store, sites, days = setup()
    evening = datetime(2026, 3, 2, 23, 40, tzinfo=UTC)
    monday_late = track([(0, 0, 0)] * 30, start=evening)  # on site from 23:40 to the end of the day
    tuesday = track([(0, 0, 0)] * 20 + [(3000, 0, 0)] * 10, start=evening + timedelta(minutes=20))
    tuesday = [p for p in tuesday if p.t.date() == date(2026, 3, 3)]
    deliver(tuesday, accounts, store, sites, days)
    first = days.get_day("a1", "u1", date(2026, 3, 3))
    assert first is not None and not first.visits[0].carried_in  # Tuesday alone: entered after midnight
    assert geohash(tuesday[0].lat, tuesday[0].lon) in sites.sites[circle_site().site_id][1]
    deliver(monday_late[:20], accounts, store, sites, days)  # Monday evening arrives late
    monday = days.get_day("a1", "u1", date(2026, 3, 2))
    assert monday is not None and monday.inside_at_end == ["s1"]
    again = days.get_day("a1", "u1", date(2026, 3, 3))
    assert again is not None and again.visits[0].carried_in
    assert again.visits[0].start == datetime(2026, 3, 3, tzinfo=UTC)


def test_a_concurrent_writer_never_leaves_the_older_result_last() -> None:
    """Our evaluation read the day, then another writer wrote a result of fewer pings: our write is refused and
    the day is evaluated again, so the result of all stored pings is what stays."""
    accounts, store, sites, days = setup()
    day = track([(0, 0, 0)] * 20 + [(3000, 0, 0)] * 10)
    deliver(day[:10], accounts, store, sites, days)
    stale = days.get_day("a1", "u1", date(2026, 3, 2))
    assert stale is not None and stale.ping_count == 10 and stale.visits[0].end is None  # still on site
    days.interfere = stale
    deliver(day[10:], accounts, store, sites, days)
    final = days.get_day("a1", "u1", date(2026, 3, 2))
    assert final is not None and final.ping_count == 30 and final.visits[0].end is not None
