"""The cross-area reactions table (core/services/reactions.py): it lists every domain event, each reaction takes its
event and ports of the root, each reaction does what the table says (one test per reaction, run through the table
on a root of fakes), the dispatcher's order and failure semantics, and the places that raise PingsStored and
AccountEventRecorded."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from core.bootstrap import root_with
from core.domain import events
from core.domain.accounts import AccountEvent, AccountEventType
from core.domain.consent import Capability, ConsentEntry
from core.domain.events import (
    AccountEventRecorded,
    BillingStatusChanged,
    Change,
    ConsentChanged,
    Fact,
    PingsStored,
    PrivateZonesChanged,
    RetentionChanged,
    TrackingScheduleChanged,
)
from core.domain.privacy import RetentionSettings
from core.domain.tracking_formats import decode_ping_message, encode_ping_messages
from core.services import members, ping_writer
from core.services.reactions import REACTIONS, Dispatcher
from core.services.site_notices import SiteNotices
from core.services.wiring import Ports
from core.settings import Settings
from tests.unit.fakes import FakeAccountStore, FakeClock, FakeExpiryPlans, FakePublisher, FakeReactions
from tests.unit.fakes_tracking import (
    FakeLatestPositions,
    FakePingStore,
    FakePrivateZoneStore,
    FakeWithheldPingStore,
    writer_gate,
)
from tests.unit.test_ingest_gate import GateWorld, granted_world
from tests.unit.test_site_notices import World as NoticeWorld
from tests.unit.test_site_visits import track
from tests.unit.test_site_visits_writer import job_site_reactions, setup
from tests.unit.test_tracking_ingest import ping


def _subclasses(base: type) -> set[type]:
    found: set[type] = set()
    sub: type
    for sub in base.__subclasses__():
        found |= {sub} | _subclasses(sub)
    return found


# ---------------------------------------------------------------- the table


def test_the_table_lists_every_event_each_with_a_reaction() -> None:
    declared = {
        c
        for c in vars(events).values()
        if isinstance(c, type) and issubclass(c, Change | Fact) and c not in (Change, Fact)
    }
    assert declared  # the module's events ...
    assert set(REACTIONS) == declared | _subclasses(Change) | _subclasses(Fact)  # ... and any other are all listed
    assert all(REACTIONS[event] for event in REACTIONS)


@pytest.mark.parametrize(
    ("event", "reaction"),
    [(event, reaction) for event, reactions in REACTIONS.items() for reaction in reactions],
    ids=lambda x: x.__name__,
)
def test_a_reaction_takes_its_event_then_ports_of_the_roots_types(event: type, reaction: Any) -> None:
    first, *rest = inspect.signature(reaction).parameters.values()
    assert event.__name__ in str(first.annotation)
    roots = {name: getattr(t, "__forward_arg__", t) for name, t in Ports.__annotations__.items()}  # as spelled
    assert rest and all(p.name in roots and p.annotation == roots[p.name] for p in rest), [p.name for p in rest]
    if issubclass(event, Change):  # entered before the write, left after it
        assert "ContextManager" in str(inspect.signature(reaction).return_annotation)


# ---------------------------------------------------------------- one test per reaction


def _revoke_in_the_ledger(w: GateWorld) -> None:
    w.ledger.append(
        ConsentEntry(
            entry_id="consent-revoked",
            account_id="a1",
            user_id="u1",
            capability=Capability.LOCATION,
            granted=False,
            recorded_at=w.clock.now(),
            device_id="d1",
            app_version="1.0",
            policy_version="2023-06-15",
        )
    )


@pytest.mark.parametrize("change", [ConsentChanged, TrackingScheduleChanged, PrivateZonesChanged])
def test_keep_member_gate_current_marks_the_members_gate_before_the_write_and_rebuilds_it_after(
    change: type[ConsentChanged | TrackingScheduleChanged | PrivateZonesChanged],
) -> None:
    w = granted_world()
    during = []
    with w.reactions.changing(change(account_id="a1", user_id="u1")):
        gate = w.gates.get(account_id="a1", user_id="u1")
        during.append(gate is not None and len(gate.pending) == 1 and not gate.usable)
        _revoke_in_the_ledger(w)
    after = w.gates.get(account_id="a1", user_id="u1")
    assert during == [True]
    assert after is not None and after.usable and after.facts is not None
    assert after.facts["location_consents"][-1]["granted"] is False  # rebuilt from the source as written


def test_keep_member_gate_current_rebuilds_the_gate_when_the_write_fails() -> None:
    w = granted_world()
    with pytest.raises(ConnectionError), w.reactions.changing(ConsentChanged(account_id="a1", user_id="u1")):
        raise ConnectionError("the source was not written")
    gate = w.gates.get(account_id="a1", user_id="u1")
    assert gate is not None and gate.usable  # not left pending: nothing changed, the rebuild says so


@pytest.mark.parametrize("change", [BillingStatusChanged, RetentionChanged])
def test_keep_account_gate_current_marks_the_accounts_gate_before_the_write_and_rebuilds_it_after(
    change: type[BillingStatusChanged | RetentionChanged],
) -> None:
    w = granted_world()
    w.ingest([ping(w.clock.now() - timedelta(minutes=1))])  # builds the account's gate
    during = []
    with w.reactions.changing(change(account_id="a1")):
        gate = w.gates.get(account_id="a1", user_id=None)
        during.append(gate is not None and len(gate.pending) == 1 and not gate.usable)
        w.privacy.put_retention(RetentionSettings(account_id="a1", location_days=30, access_log_days=365))
    after = w.gates.get(account_id="a1", user_id=None)
    assert during == [True]
    assert after is not None and after.usable and after.facts is not None and after.facts["location_days"] == 30
    member = w.gates.get(account_id="a1", user_id="u1")
    assert member is not None and member.usable  # the member's gate is not touched


def test_evaluate_stored_days_evaluates_the_days_of_the_stored_pings_and_e_mails_the_owner() -> None:
    w = NoticeWorld()
    stored_reactions = FakeReactions()  # records PingsStored without reacting to it
    for text in encode_ping_messages("a1", "u1", w.track):
        ping_writer.store_ping_message(
            message=decode_ping_message(text),
            pings=w.pings,
            latest_positions=FakeLatestPositions(),
            clock=w.clock,
            ingest_gate=writer_gate(w.accounts),
            reactions=stored_reactions,
            private_zones=FakePrivateZoneStore(),
            withheld_pings=FakeWithheldPingStore(),
            expiry_plans=FakeExpiryPlans(),
        )
    assert w.days.writes == 0
    notices = SiteNotices(accounts=w.accounts, profiles=w.profiles, outbox=w.outbox, clock=w.clock)
    reactions = job_site_reactions(w.accounts, w.pings, w.sites, w.days, w.clock, notices)
    reactions.happened(
        PingsStored(
            account_id="a1",
            user_id="u1",
            times=tuple(p.t for p in w.track),
            time_zone="UTC",
            member_name="Pat",
        )
    )
    day = w.days.get_day("a1", "u1", w.track[0].t.date())
    assert day is not None and [e.kind.value for e in day.events] == ["enter", "exit"]
    assert sorted(e.context["kind"] for e in w.outbox.entries.values()) == ["enter", "exit"]
    assert {e.context["member_name"] for e in w.outbox.entries.values()} == {"Pat"}  # the name the event carried


def test_evaluate_stored_days_uses_the_members_time_zone_the_event_carries() -> None:
    accounts, store, sites, days = setup()
    evening = track([(0, 0, 0)] * 20, start=datetime(2026, 3, 2, 23, 50, tzinfo=UTC))
    for text in encode_ping_messages("a1", "u1", evening):
        ping_writer.store_ping_message(
            message=decode_ping_message(text),
            pings=store,
            latest_positions=FakeLatestPositions(),
            clock=FakeClock(),
            ingest_gate=writer_gate(accounts),
            reactions=FakeReactions(),  # records PingsStored without reacting to it
            private_zones=FakePrivateZoneStore(),
            withheld_pings=FakeWithheldPingStore(),
            expiry_plans=FakeExpiryPlans(),
        )
    job_site_reactions(accounts, store, sites, days, FakeClock()).happened(
        PingsStored(
            account_id="a1", user_id="u1", times=tuple(p.t for p in evening), time_zone="Asia/Tokyo", member_name=""
        )
    )
    # 23:50 UTC on 2 March is the morning of 3 March in Tokyo: one local day, the 3rd.
    assert [d for (_, d) in days.days] == [date(2026, 3, 3)]


def test_queue_billing_sync_forwards_the_event_to_billings_queue_and_a_failure_reaches_the_caller() -> None:
    publisher = FakePublisher(fail_times=1)
    reactions = root_with(Settings(), billing_events=publisher).reactions
    event = AccountEvent(
        event_id="e1", type=AccountEventType.MEMBER_JOINED, account_id="a1", user_id="u2", occurred_at=FakeClock().now()
    )
    with pytest.raises(ConnectionError):  # the account-events message is retried
        reactions.happened(AccountEventRecorded(event=event))
    reactions.happened(AccountEventRecorded(event=event))
    assert publisher.published == [event]


# ---------------------------------------------------------------- the dispatcher


class Steps:
    def __init__(self) -> None:
        self.done: list[str] = []

    def around(self, name: str) -> Any:
        steps = self

        @contextmanager
        def reaction(event: Change, clock: FakeClock) -> Iterator[None]:
            steps.done.append(f"{name} before")
            try:
                yield
            finally:
                steps.done.append(f"{name} after")

        reaction.__qualname__ = name
        return reaction

    def after(self, name: str, fail: bool = False) -> Any:
        steps = self

        def reaction(event: Fact, clock: FakeClock) -> None:
            steps.done.append(name)
            if fail:
                raise RuntimeError(name)

        reaction.__qualname__ = name
        return reaction


def _dispatcher(table: dict[type[Change] | type[Fact], tuple[Any, ...]]) -> Dispatcher:
    return Dispatcher(root_with(Settings(), clock=FakeClock()), table)


def test_a_changes_reactions_are_entered_in_order_before_the_write_and_left_after_it_also_when_it_fails() -> None:
    steps = Steps()
    reactions = _dispatcher({ConsentChanged: (steps.around("first"), steps.around("second"))})
    with reactions.changing(ConsentChanged(account_id="a1", user_id="u1")):
        steps.done.append("write")
    assert steps.done == ["first before", "second before", "write", "second after", "first after"]
    steps.done.clear()
    with pytest.raises(ConnectionError), reactions.changing(ConsentChanged(account_id="a1", user_id="u1")):
        raise ConnectionError("write failed")
    assert steps.done == ["first before", "second before", "second after", "first after"]


def test_a_facts_reactions_run_in_order_and_an_error_stops_them_and_reaches_the_caller() -> None:
    steps = Steps()
    reactions = _dispatcher({PingsStored: (steps.after("first", fail=True), steps.after("second"))})
    stored = PingsStored(account_id="a1", user_id="u1", times=(), time_zone="UTC", member_name="")
    with pytest.raises(RuntimeError, match="first"):
        reactions.happened(stored)
    assert steps.done == ["first"]


def test_an_event_missing_from_the_table_is_refused() -> None:
    with pytest.raises(LookupError, match="RetentionChanged"), _dispatcher({}).changing(RetentionChanged("a1")):
        pass


def test_a_reaction_taking_anything_but_its_event_and_ports_is_refused_when_the_table_is_built() -> None:
    def reaction(event: Fact, clock: FakeClock, extra: int) -> None: ...

    with pytest.raises(TypeError, match="ports of the root only"):
        _dispatcher({PingsStored: (reaction,)})


# ---------------------------------------------------------------- where the facts are raised


def _member_world() -> tuple[FakeAccountStore, FakePingStore]:
    accounts, store, _, _ = setup()  # member u1 of a1, time zone UTC, named "W"
    return accounts, store


def test_the_writer_raises_pings_stored_once_per_member_per_flush_with_the_member_it_read() -> None:
    accounts, store = _member_world()
    member = accounts.get_member("a1", "u1")
    assert member is not None
    accounts.put_member(member.model_copy(update={"time_zone": "America/Chicago", "full_name": "Pat"}))
    day = track([(0, 0, 0)] * 6)
    texts = encode_ping_messages("a1", "u1", day[:3]) + encode_ping_messages("a1", "u1", day[3:])
    messages = [decode_ping_message(t) for t in texts]  # two messages of one member, flushed together
    reactions = FakeReactions()
    stores = ping_writer.WriterStores(
        pings=store,
        positions=FakeLatestPositions(),
        clock=FakeClock(),
        gate=writer_gate(accounts),
        reactions=reactions,
        zones=FakePrivateZoneStore(),
        withheld=FakeWithheldPingStore(),
        expiry=FakeExpiryPlans(),
    )
    assert ping_writer.store_ping_messages(messages=messages, stores=stores) == 6
    [raised] = reactions.raised
    assert raised == PingsStored(
        account_id="a1", user_id="u1", times=tuple(p.t for p in day), time_zone="America/Chicago", member_name="Pat"
    )
    assert len(store.all()) == 6  # raised after the pings were stored


def test_the_writer_raises_nothing_when_it_stored_nothing() -> None:
    accounts, store = _member_world()
    member = accounts.get_member("a1", "u1")
    assert member is not None
    day = track([(0, 0, 0)] * 3)
    accounts.put_member(member.model_copy(update={"erased_at": day[-1].t + timedelta(minutes=1)}))
    reactions = FakeReactions()
    [text] = encode_ping_messages("a1", "u1", day)
    ping_writer.store_ping_message(
        message=decode_ping_message(text),
        pings=store,
        latest_positions=FakeLatestPositions(),
        clock=FakeClock(),
        ingest_gate=writer_gate(accounts),
        reactions=reactions,
        private_zones=FakePrivateZoneStore(),
        withheld_pings=FakeWithheldPingStore(),
        expiry_plans=FakeExpiryPlans(),
    )
    assert reactions.raised == []


class FailingReactions(FakeReactions):
    def happened(self, event: Fact) -> None:
        super().happened(event)
        raise RuntimeError("a day kept changing under the job-site evaluation")


def test_an_error_of_the_job_site_step_fails_the_write_so_the_message_is_retried() -> None:
    accounts, store = _member_world()
    writer = ping_writer.PingWriter(
        ping_writer.WriterStores(
            pings=store,
            positions=FakeLatestPositions(),
            clock=FakeClock(),
            gate=writer_gate(accounts),
            reactions=FailingReactions(),
            zones=FakePrivateZoneStore(),
            withheld=FakeWithheldPingStore(),
            expiry=FakeExpiryPlans(),
        ),
        max_wait=0,
    )
    [text] = encode_ping_messages("a1", "u1", track([(0, 0, 0)] * 3))
    with pytest.raises(RuntimeError, match="job-site"):
        writer.write(decode_ping_message(text))


def test_a_recorded_account_event_reaches_billings_queue_each_time_it_is_delivered() -> None:
    accounts, publisher = FakeAccountStore(), FakePublisher()
    reactions = root_with(Settings(), accounts=accounts, billing_events=publisher).reactions
    event = AccountEvent(
        event_id="e1",
        type=AccountEventType.ACCOUNT_REGISTERED,
        account_id="a1",
        user_id="o1",
        occurred_at=FakeClock().now(),
    )
    assert members.record_account_event(event=event, accounts=accounts, reactions=reactions) is True
    assert members.record_account_event(event=event, accounts=accounts, reactions=reactions) is False  # redelivered
    assert accounts.list_events("a1") == [event] and publisher.published == [event, event]
