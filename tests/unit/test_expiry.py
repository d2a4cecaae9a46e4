"""Expiry by the store (core/domain/expiry.py, core/services/expiry.py): the ttl each writer stamps, the plan read
from the retention settings and holds, and the re-stamp job's steps on the data-requests queue."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.clock import FileTestClock
from core.domain.expiry import NEVER, ExpiryPlan, TtlRestampMessage, platform_ttl
from core.domain.privacy import LegalHold, LegalHoldCreate, RetentionSettings
from core.domain.test_clock import TestClockSet
from core.services import expiry, retention, test_clock
from core.services.retention import RetentionPolicy
from tests.unit.fakes import FakeAccountStore, FakeClock, FakeUserStore
from tests.unit.fakes_privacy import FakeDataRequestQueue, FakePrivacyStore, FakeStoreClock, FakeTtlRestamper
from tests.unit.test_retention_service import ADMIN, make_account

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
DAY_END = datetime(2027, 3, 2, tzinfo=UTC)


def plan(**overrides: object) -> ExpiryPlan:
    base: dict[str, object] = {"account_id": "acc", "location_days": 30, "access_log_days": 90, "margin_days": 1}
    return ExpiryPlan(**{**base, **overrides})  # type: ignore[arg-type]  # the overrides of one test, typed by the plan's own validation


def test_a_ping_day_expires_retention_plus_margin_after_its_end_counted_from_the_write() -> None:
    ttl = plan().location_ttl(user_id="u1", start=DAY_END, now=NOW)
    assert NOW + timedelta(seconds=ttl) == DAY_END + timedelta(days=31)
    later = NOW + timedelta(days=10)  # written later (a replay): the same end
    assert later + timedelta(seconds=plan().location_ttl(user_id="u1", start=DAY_END, now=later)) == NOW + timedelta(
        seconds=ttl
    )


def test_an_item_past_its_end_goes_at_once_and_a_held_one_never() -> None:
    assert plan().location_ttl(user_id="u1", start=DAY_END, now=DAY_END + timedelta(days=40)) == 1
    assert plan(held_users=frozenset({"u1"})).location_ttl(user_id="u1", start=DAY_END, now=NOW) == NEVER
    assert plan(held_users=frozenset({"u1"})).location_ttl(user_id="u2", start=DAY_END, now=NOW) > 0
    assert plan(account_held=True).location_ttl(user_id="u2", start=DAY_END, now=NOW) == NEVER


def test_an_access_log_entry_is_held_when_any_worker_it_names_is() -> None:
    held = plan(held_users=frozenset({"u2"}))
    assert held.access_log_ttl(subject_user_ids=["u1", "u2"], at=NOW, now=NOW) == NEVER
    assert held.access_log_ttl(subject_user_ids=["u1"], at=NOW, now=NOW) == 91 * 86400


def test_platform_kinds_have_no_margin() -> None:
    assert platform_ttl(start=DAY_END, days=90, now=NOW) == int((DAY_END + timedelta(days=90) - NOW).total_seconds())


def test_the_plan_reads_the_settings_and_only_active_holds() -> None:
    privacy = FakePrivacyStore(FakeAccountStore())
    policy = RetentionPolicy()
    plans = expiry.RetentionExpiry(privacy=privacy, policy=policy, margin_days=2)
    assert plans.for_account("acc").location_days == policy.location_days
    privacy.put_retention(RetentionSettings(account_id="acc", location_days=30, media_days=None, access_log_days=120))
    hold = LegalHold(hold_id="h1", account_id="acc", user_id="u1", reason="r", placed_by="a", placed_at=NOW)
    privacy.put_hold(hold)
    privacy.put_hold(hold.model_copy(update={"hold_id": "h2", "user_id": "u2", "lifted_at": NOW, "lifted_by": "a"}))
    got = plans.for_account("acc")
    assert (got.location_days, got.access_log_days, got.margin_days) == (30, 120, 2)
    assert got.held_users == frozenset({"u1"}) and not got.account_held


def test_a_hold_placed_and_lifted_each_start_a_restamp_of_its_scope() -> None:
    accounts, users = FakeAccountStore(), FakeUserStore()
    privacy, queue, clock = FakePrivacyStore(accounts), FakeDataRequestQueue(), FakeClock(NOW)
    make_account(accounts, users, "acc", NOW, members=("u1",))
    hold = retention.place_hold(
        identity=ADMIN,
        data=LegalHoldCreate(account_id="acc", user_id="u1", reason="dispute"),
        privacy=privacy,
        accounts=accounts,
        clock=clock,
        enqueue_data_request=queue.send,
    )
    retention.lift_hold(
        identity=ADMIN,
        account_id="acc",
        hold_id=hold.hold_id,
        privacy=privacy,
        clock=clock,
        enqueue_data_request=queue.send,
    )
    steps = [TtlRestampMessage.model_validate_json(m) for m in queue.messages]
    assert [(s.account_id, s.user_id, s.reason, s.kind) for s in steps] == [
        ("acc", "u1", "hold", 0),
        ("acc", "u1", "hold-lifted", 0),
    ]


def test_the_restamp_job_walks_every_kind_page_by_page_and_ends() -> None:
    restamper = FakeTtlRestamper(kinds=("pings", "withheld-pings"), pages={"pings": 3})
    queue, privacy = FakeDataRequestQueue(), FakePrivacyStore(FakeAccountStore())
    plans = expiry.RetentionExpiry(privacy=privacy, policy=RetentionPolicy(), margin_days=1)
    message = TtlRestampMessage(account_id="acc", user_id="u1", reason="hold")
    steps = 0
    while True:
        expiry.restamp_step(
            message=message,
            ttl_restamper=restamper,
            expiry_plans=plans,
            enqueue_data_request=queue.send,
            clock=FakeClock(NOW),
        )
        steps += 1
        if not queue.messages:
            break
        message = TtlRestampMessage.model_validate_json(queue.messages.pop())
    assert steps == 4  # three pages of pings, one of withheld pings
    assert [(k, u, c) for k, _, u, c in restamper.calls] == [
        ("pings", "u1", None),
        ("pings", "u1", "1"),
        ("pings", "u1", "2"),
        ("withheld-pings", "u1", None),
    ]


def test_moving_the_test_clock_moves_the_stores_clock(tmp_path: Path) -> None:
    clock = FileTestClock(tmp_path / "clock.json", system=lambda: NOW)
    store = FakeStoreClock()
    admin = ADMIN
    test_clock.set_test_clock(
        identity=admin, data=TestClockSet(now=NOW + timedelta(days=32), frozen=False), clock=clock, store_clock=store
    )
    test_clock.reset_test_clock(identity=admin, clock=clock, store_clock=store)
    assert store.offsets == [32 * 86400, 0]


class CountingPrivacy(FakePrivacyStore):
    def __init__(self) -> None:
        super().__init__(FakeAccountStore())
        self.hold_reads = 0

    def list_holds(self, account_id: str) -> list[LegalHold]:
        self.hold_reads += 1
        return super().list_holds(account_id)


def test_inside_a_scope_the_plan_is_read_once_per_account_and_a_hold_placed_before_the_scope_applies() -> None:
    privacy = CountingPrivacy()
    plans = expiry.RetentionExpiry(privacy=privacy, policy=RetentionPolicy(), margin_days=1)
    hold = LegalHold(hold_id="h1", account_id="acc", user_id="u1", reason="r", placed_by="a", placed_at=NOW)
    privacy.put_hold(hold)  # placed before the writer's scope: applies to everything the scope writes
    with plans.once():
        first = plans.for_account("acc")
        with plans.once():  # nested: the outer scope's reads stand
            again = [plans.for_account("acc") for _ in range(3)]
        plans.for_account("other")
        privacy.put_hold(hold.model_copy(update={"hold_id": "h2", "user_id": "u2"}))  # placed during the scope
        during = plans.for_account("acc")
    assert privacy.hold_reads == 2  # one per account of the scope
    assert first.held_users == frozenset({"u1"}) and all(p is first for p in again) and during is first
    with plans.once():  # the next scope (the next flush) reads the holds of now
        assert plans.for_account("acc").held_users == frozenset({"u1", "u2"})
    assert privacy.hold_reads == 3
    plans.for_account("acc"), plans.for_account("acc")  # outside a scope: every call reads
    assert privacy.hold_reads == 5


def test_a_scope_is_its_threads_own() -> None:
    privacy = CountingPrivacy()
    plans = expiry.RetentionExpiry(privacy=privacy, policy=RetentionPolicy(), margin_days=1)
    with plans.once():
        plans.for_account("acc")
        other = threading.Thread(target=lambda: [plans.for_account("acc") for _ in range(2)])
        other.start()
        other.join()
        plans.for_account("acc")
    assert privacy.hold_reads == 3  # once in this scope, twice on the thread without one


class PlanReads(FakePrivacyStore):
    """Counts the requests a plan costs: `retention_and_holds` is one, each separate read another."""

    def __init__(self) -> None:
        super().__init__(FakeAccountStore())
        self.reads: list[str] = []

    def retention_and_holds(self, account_id: str) -> tuple[RetentionSettings | None, list[LegalHold]]:
        self.reads.append("retention and holds")
        return self.retention.get(account_id), [h for (a, _), h in self.holds.items() if a == account_id]

    def get_retention(self, account_id: str) -> RetentionSettings | None:
        self.reads.append("retention")
        return super().get_retention(account_id)

    def list_holds(self, account_id: str) -> list[LegalHold]:
        self.reads.append("holds")
        return super().list_holds(account_id)


def test_a_plan_is_one_request_for_the_retention_and_the_holds_together() -> None:
    privacy = PlanReads()
    plans = expiry.RetentionExpiry(privacy=privacy, policy=RetentionPolicy(), margin_days=1)
    default = plans.for_account("acc")  # nothing stored: the platform's defaults
    assert default.location_days == RetentionPolicy().location_days and not default.held_users
    privacy.put_retention(RetentionSettings(account_id="acc", location_days=30, access_log_days=90))
    privacy.put_hold(LegalHold(hold_id="h1", account_id="acc", user_id="u1", reason="r", placed_by="a", placed_at=NOW))
    lifted = LegalHold(hold_id="h2", account_id="acc", user_id=None, reason="r", placed_by="a", placed_at=NOW)
    privacy.put_hold(lifted.model_copy(update={"lifted_at": NOW}))
    plan = plans.for_account("acc")
    assert (plan.location_days, plan.access_log_days) == (30, 90)
    assert plan.held_users == frozenset({"u1"}) and not plan.account_held  # a lifted hold holds nothing
    assert privacy.reads == ["retention and holds"] * 2
