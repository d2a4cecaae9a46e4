"""The pings writer's group commit (core/services/coalescer.py, core/services/ping_writer.py) with in-memory fakes:
messages that arrive together are flushed together per member, a failure reaches every waiter (and a bad message
fails alone), the wait is bounded, and an erased or removed member's queued pings are not stored."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import pytest

from core.domain.accounts import Member
from core.domain.identity import Role
from core.domain.tracking import LatestPosition, Ping, PingSource
from core.domain.tracking_formats import PingMessage, decode_ping_message, encode_ping_messages
from core.services.coalescer import Coalescer
from core.services.ping_writer import PingWriter, WriterStores, store_ping_messages
from tests.helpers import wait_for
from tests.unit.fakes import FakeAccountStore, FakeClock, FakeExpiryPlans, FakeReactions
from tests.unit.fakes_tracking import (
    FakeLatestPositions,
    FakePingStore,
    FakePrivateZoneStore,
    FakeWithheldPingStore,
    writer_gate,
)

T0 = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


def run_together(calls: Sequence[Callable[[], object]]) -> list[BaseException | None]:
    """Start the calls at once on their own threads (as the host runs one delivery); answer each one's error."""
    barrier = threading.Barrier(len(calls))
    outcome: list[BaseException | None] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            calls[i]()
        except BaseException as exc:
            outcome[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert not any(t.is_alive() for t in threads), "a submit never returned"
    return outcome


class Recorder:
    """A flush that records its groups; `fail` decides per group whether it raises."""

    def __init__(
        self,
        fail: Callable[[list[str]], bool] = lambda _items: False,
        hold: float = 0.0,
        release: threading.Event | None = None,
    ) -> None:
        self.groups: list[list[str]] = []
        self.fail, self.hold, self.release = fail, hold, release
        self.lock = threading.Lock()
        self.running: dict[str, int] = {}
        self.max_running_per_key = 0

    def __call__(self, items: Sequence[str]) -> None:
        key = items[0].split(":")[0]
        with self.lock:
            self.running[key] = self.running.get(key, 0) + 1
            self.max_running_per_key = max(self.max_running_per_key, self.running[key])
        try:
            time.sleep(self.hold)  # a store that takes this long to answer
            if self.release is not None and not self.release.wait(10):  # a store that answers when the test says
                raise TimeoutError("the test never released the flush")
            if self.fail(list(items)):
                raise ConnectionError("store unreachable")
            with self.lock:
                self.groups.append(list(items))
        finally:
            with self.lock:
                self.running[key] -= 1


def key_of(item: str) -> str:
    return item.split(":")[0]


def test_items_arriving_together_are_flushed_in_one_group_per_key() -> None:
    flush = Recorder()
    c: Coalescer[str] = Coalescer(flush, key=key_of, max_wait=5.0, full_at=8)
    items = [f"m{k}:{i}" for k in range(2) for i in range(8)]
    assert run_together([partial(c.submit, item) for item in items]) == [None] * 16
    # full at 8 per key: exactly one flush per member, none waited for the 5 s timer
    assert sorted(sorted(g) for g in flush.groups) == [sorted(items[:8]), sorted(items[8:])]
    assert c.flushes == 2


def test_a_flush_error_reaches_every_waiter() -> None:
    flush = Recorder(fail=lambda _items: True)
    c: Coalescer[str] = Coalescer(flush, key=key_of, max_wait=5.0, full_at=4)
    outcome = run_together([partial(c.submit, f"m:{i}") for i in range(4)])
    assert all(isinstance(e, ConnectionError) for e in outcome), outcome
    assert flush.groups == []  # nothing was acknowledged


def test_one_bad_message_fails_alone_and_the_others_are_written() -> None:
    flush = Recorder(fail=lambda items: "m:bad" in items)
    c: Coalescer[str] = Coalescer(flush, key=key_of, max_wait=5.0, full_at=4)
    items = ["m:0", "m:bad", "m:2", "m:3"]
    outcome = run_together([partial(c.submit, item) for item in items])
    assert [type(e) for e in outcome] == [type(None), ConnectionError, type(None), type(None)]
    assert sorted(i for g in flush.groups for i in g) == ["m:0", "m:2", "m:3"]  # each alone, after the group failed


def test_the_wait_is_bounded_when_alone_and_skipped_when_full() -> None:
    flush = Recorder()
    alone: Coalescer[str] = Coalescer(flush, key=key_of, max_wait=0.05, full_at=100)
    started = time.monotonic()
    alone.submit("m:0")
    assert 0.04 <= time.monotonic() - started < 1.0
    full: Coalescer[str] = Coalescer(flush, key=key_of, max_wait=30.0, full_at=2)
    started = time.monotonic()
    assert run_together([lambda: full.submit("n:0"), lambda: full.submit("n:1")]) == [None, None]
    assert time.monotonic() - started < 5.0  # the 30 s timer never ran out


def test_one_flush_per_member_at_a_time_and_latecomers_gather_meanwhile() -> None:
    release = threading.Event()
    flush = Recorder(release=release)
    c: Coalescer[str] = Coalescer(flush, key=key_of, max_wait=0.01, full_at=100)
    first = threading.Thread(target=c.submit, args=("m:first",))
    first.start()
    wait_for(lambda: flush.running.get("m") == 1 or None, timeout=10, what="the first flush running")
    late = threading.Thread(target=run_together, args=([partial(c.submit, f"m:late{i}") for i in range(5)],))
    late.start()  # these arrive while the first flush is held open

    def gathered() -> bool | None:  # the group gathering behind the running flush (private: this tests the class)
        group = c._open.get("m")
        return (group is not None and len(group.items) == 5) or None

    wait_for(gathered, timeout=10, what="5 late submissions gathered")
    release.set()
    late.join(timeout=10)
    first.join(timeout=10)
    assert not late.is_alive() and not first.is_alive()
    assert flush.max_running_per_key == 1
    assert flush.groups[0] == ["m:first"] and sorted(flush.groups[1]) == [f"m:late{i}" for i in range(5)]


# ---------------------------------------------------------------- the writer's flush


class CountingAccounts(FakeAccountStore):
    def __init__(self) -> None:
        super().__init__()
        self.member_reads = 0

    def get_member(self, account_id: str, user_id: str) -> Member | None:
        self.member_reads += 1
        return super().get_member(account_id, user_id)


class CountingPositions(FakeLatestPositions):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def advance(self, position: LatestPosition) -> bool:
        self.calls += 1
        return super().advance(position)


def pings(n: int, start: datetime) -> list[Ping]:
    return [
        Ping(
            ping_id=str(uuid.uuid4()),
            t=start + timedelta(seconds=10 * i),
            lat=45 + i * 1e-4,
            lon=-93,
            acc=5,
            src=PingSource.GPS,
        )
        for i in range(n)
    ]


def member(user_id: str, erased_at: datetime | None = None) -> Member:
    return Member(
        account_id="a1",
        user_id=user_id,
        role=Role.MEMBER,
        full_name="W",
        email="w@example.com",
        time_zone="UTC",
        joined_at=T0 - timedelta(days=9),
        updated_at=T0,
        erased_at=erased_at,
    )


def writer_stores(store: FakePingStore, positions: FakeLatestPositions, accounts: FakeAccountStore) -> WriterStores:
    return WriterStores(
        pings=store,
        positions=positions,
        clock=FakeClock(),
        gate=writer_gate(accounts),
        reactions=FakeReactions(),
        zones=FakePrivateZoneStore(),
        withheld=FakeWithheldPingStore(),
        expiry=FakeExpiryPlans(),
    )


def message(user_id: str, batch: list[Ping]) -> PingMessage:
    [text] = encode_ping_messages("a1", user_id, batch)
    return decode_ping_message(text)


def test_a_members_messages_of_one_flush_cost_one_member_read_one_batch_per_day_and_one_position_move() -> None:
    accounts, store, positions = CountingAccounts(), FakePingStore(), CountingPositions()
    for u in ("u1", "u2"):
        accounts.put_member(member(u))
    stores = writer_stores(store, positions, accounts)
    newer, older = pings(30, T0 + timedelta(hours=1)), pings(30, T0)
    msgs = [message("u1", older), message("u1", newer), message("u1", older), message("u2", pings(30, T0))]
    assert store_ping_messages(messages=msgs, stores=stores) == 90  # the replayed message counted once
    assert accounts.member_reads == 2 and positions.calls == 2 and store.write_calls == 2
    assert len(store.all()) == 90
    assert positions.positions[("a1", "u1")].ping_id == newer[-1].ping_id  # the newest of the flush


def test_a_writer_of_one_process_coalesces_concurrent_deliveries() -> None:
    accounts, store, positions = CountingAccounts(), FakePingStore(), CountingPositions()
    accounts.put_member(member("u1"))
    writer = PingWriter(
        writer_stores(store, positions, accounts),
        max_wait=5.0,
        full_at=4 * 20,
    )
    batches = [pings(20, T0 + timedelta(minutes=i)) for i in range(4)]
    assert run_together([partial(writer.write, message("u1", b)) for b in batches]) == [None] * 4
    assert writer.coalescer.flushes == 1 and store.write_calls == 1 and accounts.member_reads == 1
    assert len(store.all()) == 80


def test_pings_taken_before_the_members_erasure_are_not_stored() -> None:
    accounts, store, positions = CountingAccounts(), FakePingStore(), CountingPositions()
    erased_at = T0 + timedelta(minutes=5)
    accounts.put_member(member("u1", erased_at=erased_at))
    stores = writer_stores(store, positions, accounts)
    before, after = pings(10, T0), pings(3, erased_at + timedelta(seconds=1))
    assert store_ping_messages(messages=[message("u1", before + after)], stores=stores) == 3
    assert {p.ping_id for p in store.all()} == {p.ping_id for p in after}
    assert positions.positions[("a1", "u1")].ping_id == after[-1].ping_id


def test_a_removed_member_record_stores_nothing() -> None:
    accounts, store, positions = CountingAccounts(), FakePingStore(), CountingPositions()
    stores = writer_stores(store, positions, accounts)
    assert store_ping_messages(messages=[message("gone", pings(5, T0))], stores=stores) == 0
    assert store.all() == [] and positions.positions == {}


def test_nonsense_bounds_are_refused() -> None:
    cases: list[dict[str, Any]] = [{"max_wait": -1.0}, {"full_at": 0}]
    for kwargs in cases:
        with pytest.raises(ValueError):
            Coalescer(Recorder(), key=key_of, **kwargs)


class StampingPings(FakePingStore):
    """Reads the expiry plan at each day written, as the Cosmos DB adapter stamps each batch's ttl."""

    def __init__(self, plans: FakeExpiryPlans) -> None:
        super().__init__()
        self.plans = plans

    def write_day(self, *, account_id: str, user_id: str, day: date, pings: list[Ping]) -> None:
        self.plans.for_account(account_id)
        super().write_day(account_id=account_id, user_id=user_id, day=day, pings=pings)


class StampingPositions(CountingPositions):
    def __init__(self, plans: FakeExpiryPlans) -> None:
        super().__init__()
        self.plans = plans

    def advance(self, position: LatestPosition) -> bool:
        self.plans.for_account(position.account_id)
        return super().advance(position)


def test_the_expiry_plan_is_read_once_per_member_and_flush_not_per_document() -> None:
    plans, accounts = FakeExpiryPlans(), CountingAccounts()
    store, positions = StampingPings(plans), StampingPositions(plans)
    for u in ("u1", "u2"):
        accounts.put_member(member(u))
    stores = WriterStores(
        pings=store,
        positions=positions,
        clock=FakeClock(),
        gate=writer_gate(accounts),
        reactions=FakeReactions(),
        zones=FakePrivateZoneStore(),
        withheld=FakeWithheldPingStore(),
        expiry=plans,
    )
    two_days = pings(30, T0 - timedelta(days=1)) + pings(30, T0)
    msgs = [message("u1", two_days), message("u2", pings(30, T0))]
    assert store_ping_messages(messages=msgs, stores=stores) == 90
    # u1: two day partitions and a position, u2: one and a position; one read per member (one scope each)
    assert (plans.scopes, plans.reads) == (2, 2)
    store_ping_messages(messages=[message("u2", pings(30, T0 + timedelta(hours=2)))], stores=stores)
    assert (plans.scopes, plans.reads) == (3, 3)  # the next flush reads again: a hold placed meanwhile applies
