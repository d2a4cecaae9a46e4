"""The Account Owner's opt-in e-mails about a member's first arrival at and departure from a site each day, queued
by the writer's job-site step (core/services/site_notices.py) with fakes: one per (member, site, kind, day) however
the pings arrive, nothing without the opt-in, nothing about a backlog older than a day."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from core.domain.accounts import Account, BillingAddress
from core.domain.email import EmailCategory, EmailPreferences
from core.domain.tracking import Ping
from core.domain.tracking_formats import decode_ping_message, encode_ping_messages
from core.services import ping_writer
from core.services.site_notices import MAX_AGE, SiteNotices
from tests.unit.fakes import FakeClock, FakeExpiryPlans
from tests.unit.fakes_email import FakeEmailProfiles, FakeOutbox
from tests.unit.fakes_tracking import FakeLatestPositions, FakePrivateZoneStore, FakeWithheldPingStore, writer_gate
from tests.unit.test_site_visits import T0, approach_stay_leave
from tests.unit.test_site_visits_writer import job_site_reactions, setup

if TYPE_CHECKING:
    pass


class World:
    def __init__(self, *, opted_in: bool = True, now_after_last_fix: timedelta = timedelta(minutes=5)) -> None:
        self.accounts, self.pings, self.sites, self.days = setup()
        self.accounts.put_account(
            Account(
                account_id="a1",
                owner_user_id="o1",
                company_name="Co",
                time_zone="UTC",
                created_at=T0,
                billing_address=BillingAddress(line1="1 Main", city="X", postal_code="1", country="US"),
            )
        )
        self.profiles = FakeEmailProfiles()
        if opted_in:
            self.profiles.put_preferences(EmailPreferences(user_id="o1", opted_in=[EmailCategory.JOB_SITE_VISITS]))
        self.outbox = FakeOutbox()
        self.track = approach_stay_leave()
        self.clock = FakeClock(self.track[-1].t + now_after_last_fix)

    def deliver(self, batch: list[Ping]) -> None:
        notices = SiteNotices(accounts=self.accounts, profiles=self.profiles, outbox=self.outbox, clock=self.clock)
        for text in encode_ping_messages("a1", "u1", batch):
            ping_writer.store_ping_message(
                message=decode_ping_message(text),
                pings=self.pings,
                latest_positions=FakeLatestPositions(),
                clock=self.clock,
                ingest_gate=writer_gate(self.accounts),
                reactions=job_site_reactions(self.accounts, self.pings, self.sites, self.days, self.clock, notices),
                private_zones=FakePrivateZoneStore(),
                withheld_pings=FakeWithheldPingStore(),
                expiry_plans=FakeExpiryPlans(),
            )


def test_first_arrival_and_departure_are_e_mailed_once_however_the_pings_arrive() -> None:
    w = World()
    track = w.track
    w.deliver(track[40:])  # the second half first: inside, then leaving
    w.deliver(track[:40])  # the first half late: the arrival is earlier than the day's first fix so far
    w.deliver(track)  # everything again (a re-send)
    w.deliver(track[10:30])  # and part of it once more
    day = w.days.get_day("a1", "u1", T0.date())
    assert day is not None and [e.kind.value for e in day.events] == ["enter", "exit"]
    kinds = sorted(e.context["kind"] for e in w.outbox.entries.values())
    assert kinds == ["enter", "exit"]  # one per (member, site, kind, day)
    assert all(e.to_user_id == "o1" and e.category is EmailCategory.JOB_SITE_VISITS for e in w.outbox.entries.values())
    assert {e.dedupe_key for e in w.outbox.entries.values()} == {
        f"site-visit:a1:u1:s1:{k}:{T0.date().isoformat()}" for k in ("enter", "exit")
    }
    assert {e.context["site_name"] for e in w.outbox.entries.values()} == {"s1"}


def test_a_redelivered_message_after_a_crash_before_the_days_write_sends_no_second_e_mail() -> None:
    w = World()
    w.deliver(w.track)
    w.days.days.clear()  # as if the first delivery queued the e-mails and died before writing the day
    w.days.versions.clear()
    w.deliver(w.track)
    assert len(w.outbox.entries) == 2  # the outbox's dedupe key answered the existing entries


def test_nothing_without_the_owners_opt_in_or_about_a_backlog() -> None:
    w = World(opted_in=False)
    w.deliver(w.track)
    assert w.outbox.entries == {} and w.days.get_day("a1", "u1", T0.date()) is not None
    late = World(now_after_last_fix=MAX_AGE + timedelta(hours=2))  # the phone uploads the day a day late
    late.deliver(late.track)
    assert late.outbox.entries == {}


def test_sites_on_and_off_again_in_a_day_make_no_second_arrival_e_mail() -> None:
    w = World()
    w.deliver(w.track)
    again = [
        p.model_copy(update={"ping_id": f"again-{p.ping_id}", "t": p.t + timedelta(hours=2)}) for p in w.track
    ]  # a second visit two hours later
    w.deliver(again)
    day = w.days.get_day("a1", "u1", T0.date())
    assert day is not None and len(day.visits) == 2
    assert sorted(e.context["kind"] for e in w.outbox.entries.values()) == ["enter", "exit"]
