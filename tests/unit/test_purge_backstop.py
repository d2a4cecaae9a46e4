"""The purge as a bounded backstop (issue 27): the work index, fair turns, the time budget and batch deletes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from core.domain.privacy import ItemRef, PurgeRun
from core.services.purge import run_purge
from core.services.purge_index import PURGE
from core.services.retention import Registry, RetentionPolicy
from tests.unit.fakes import FakeAccountStore, FakeClock, FakeUserStore
from tests.unit.fakes_privacy import FakeKind, FakePrivacyStore, Item
from tests.unit.test_retention_service import make_account

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=400)


class BatchingKind(FakeKind):
    """Counts delete requests: a batch of up to 100 items on one partition is one request."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.requests = 0

    def delete_many(self, refs: Sequence[ItemRef]) -> int:
        by_pk: dict[str, list[ItemRef]] = {}
        for ref in refs:
            by_pk.setdefault(ref.partition_key, []).append(ref)
        done = 0
        for group in by_pk.values():
            for start in range(0, len(group), 100):
                self.requests += 1
                done += sum(1 for r in group[start : start + 100] if self.items.pop(r.doc_id, None) is not None)
        return done


def purge(
    privacy: FakePrivacyStore, accounts: FakeAccountStore, clock: FakeClock, kind: FakeKind, **kw: object
) -> PurgeRun:
    return run_purge(
        personal_data=Registry(kinds=[kind], expected=(kind.name,)),
        privacy=privacy,
        accounts=accounts,
        clock=clock,
        retention_policy=RetentionPolicy(),
        purge_batch_size=100,
        purge_max_items=int(kw.get("max_items", 1_000)),  # type: ignore[call-overload]  # the test's keyword arguments, of mixed types
        **{k: v for k, v in kw.items() if k != "max_items"},  # type: ignore[arg-type]  # the test's keyword arguments, of mixed types
    )


def world(*names: str) -> tuple[FakeClock, FakeAccountStore, FakePrivacyStore]:
    clock, accounts, users = FakeClock(NOW), FakeAccountStore(), FakeUserStore()
    for name in names:
        make_account(accounts, users, name, NOW - timedelta(days=900))
    return clock, accounts, FakePrivacyStore(accounts)


def test_a_huge_account_does_not_starve_a_small_one_both_progress_in_the_first_run() -> None:
    clock, accounts, privacy = world("acc-a-huge", "acc-b-small")
    kind = FakeKind("pings")
    for i in range(5_000):
        kind.add(f"h{i:05d}", Item("acc-a-huge", "acc-a-huge-m1", OLD))
    for i in range(30):
        kind.add(f"s{i:02d}", Item("acc-b-small", "acc-b-small-m1", OLD))
    run = purge(privacy, accounts, clock, kind, max_items=600)
    assert not any(i.startswith("s") for i in kind.items)  # the small account is done after the first turn
    assert run.deleted["pings"] == 600 and sum(1 for i in kind.items if i.startswith("h")) == 5_000 - 570
    entry = privacy.get_due(PURGE, "acc-a-huge")
    assert entry is not None and entry.due_at <= NOW and entry.kind_continuation is not None  # its progress
    small = privacy.get_due(PURGE, "acc-b-small")
    assert small is not None and small.due_at == NOW + timedelta(days=1)  # due again tomorrow


def test_a_run_stops_at_its_time_budget_and_the_next_walks_on() -> None:
    clock, accounts, privacy = world(*(f"acc-{i:02d}" for i in range(20)))
    kind = FakeKind("pings")
    for i in range(20):
        kind.add(f"x{i:02d}", Item(f"acc-{i:02d}", f"acc-{i:02d}-m1", OLD))
    ticks = {"t": 0.0}

    def elapsed() -> float:  # each call is one tick of a second
        ticks["t"] += 1.0
        return ticks["t"]

    first = purge(privacy, accounts, clock, kind, max_items=100_000, time_budget_s=10.0, elapsed=elapsed)
    assert not first.complete_pass and 0 < len(first.accounts_finished) < 20
    runs = [first]
    while not runs[-1].complete_pass:
        runs.append(purge(privacy, accounts, clock, kind, max_items=100_000, time_budget_s=10.0, elapsed=elapsed))
        assert len(runs) < 30
    walked = [a for r in runs for a in r.accounts_finished]
    assert not kind.items and sorted(walked) == sorted(accounts.accounts)  # each one finished once, none lost


def test_deletes_go_in_batches_of_one_partition() -> None:
    clock, accounts, privacy = world("acc-a")
    kind = BatchingKind("pings")
    for i in range(950):
        kind.add(f"p{i:04d}", Item("acc-a", "acc-a-m1", OLD))
    run = purge(privacy, accounts, clock, kind, max_items=10_000)
    assert run.complete_pass and run.deleted == {"pings": 950} and not kind.items
    assert kind.requests == 10  # 950 items: pages of 100, one batch each, not 950 requests


def test_the_index_is_written_where_the_facts_change_and_only_due_accounts_are_visited() -> None:
    from core.domain.identity import Identity
    from core.domain.privacy import LegalHoldCreate
    from core.services import retention

    clock, accounts, privacy = world("acc-a", "acc-b")
    kind = FakeKind("pings")
    kind.expires_by_ttl = True  # type: ignore[attr-defined]  # the store expires it: no enrolment sweep
    kind.add("a1", Item("acc-a", "acc-a-m1", OLD))
    kind.add("b1", Item("acc-b", "acc-b-m1", OLD))
    admin = Identity(user_id="admin", email="admin@example.com", is_platform_admin=True)
    hold = retention.place_hold(
        enqueue_data_request=lambda message: None,
        identity=admin,
        privacy=privacy,
        accounts=accounts,
        clock=clock,
        data=LegalHoldCreate(account_id="acc-a", reason="dispute"),
    )
    first = purge(privacy, accounts, clock, kind)
    assert first.complete_pass and first.accounts_finished == [] and set(kind.items) == {"a1", "b1"}
    retention.lift_hold(
        enqueue_data_request=lambda message: None,
        identity=admin,
        account_id="acc-a",
        hold_id=hold.hold_id,
        privacy=privacy,
        clock=clock,
    )
    entry = privacy.get_due(PURGE, "acc-a")
    assert entry is not None and entry.reasons == ["hold-lifted"]
    second = purge(privacy, accounts, clock, kind)
    assert second.accounts_finished == ["acc-a"] and set(kind.items) == {"b1"}  # acc-b is left to the TTL
    assert privacy.get_due(PURGE, "acc-a") is None  # nothing left for the purge: it leaves the index
