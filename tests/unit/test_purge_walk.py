"""The purge's walk over accounts: account ids are read a page at a time and an account where nothing was found
is not saved on its own, while a bounded or crashed run still resumes where it stopped and no account is missed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.domain.coarse_history import CoarseningCursor
from core.domain.privacy import Page, PurgeCursor, PurgeRun
from core.services.account_walk import ACCOUNT_PAGE
from core.services.purge import run_purge
from core.services.retention import Registry, RetentionPolicy
from tests.unit.fakes import FakeAccountStore, FakeClock, FakeUserStore
from tests.unit.fakes_privacy import FakeKind, FakePrivacyStore, Item
from tests.unit.test_retention_service import make_account


class CountingPrivacyStore(FakePrivacyStore):
    def __init__(self, accounts: FakeAccountStore) -> None:
        super().__init__(accounts)
        self.walk_queries = 0
        self.cursor_writes: list[PurgeCursor] = []

    def accounts_after(self, after: str | None, limit: int) -> list[str]:
        self.walk_queries += 1
        return super().accounts_after(after, limit)

    def put_cursor(self, cursor: PurgeCursor) -> None:
        self.cursor_writes.append(cursor)
        super().put_cursor(cursor)


NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def world(count: int) -> tuple[FakeClock, FakeAccountStore, CountingPrivacyStore, FakeKind]:
    clock, accounts, users = FakeClock(NOW), FakeAccountStore(), FakeUserStore()
    for i in range(count):
        make_account(accounts, users, f"acc-{i:04d}", NOW - timedelta(days=900))
    return clock, accounts, CountingPrivacyStore(accounts), FakeKind("pings")


def purge(
    clock: FakeClock,
    accounts: FakeAccountStore,
    privacy: CountingPrivacyStore,
    kind: FakeKind,
    max_items: int = 100_000,
) -> PurgeRun:
    return run_purge(
        personal_data=Registry(kinds=[kind], expected=("pings",)),
        privacy=privacy,
        accounts=accounts,
        clock=clock,
        retention_policy=RetentionPolicy(),
        purge_batch_size=100,
        purge_max_items=max_items,
    )


def test_a_pass_over_quiet_accounts_reads_ids_by_page_and_saves_the_cursor_once() -> None:
    clock, accounts, privacy, kind = world(250)
    run = purge(clock, accounts, privacy, kind)
    assert run.complete_pass and len(run.accounts_finished) == 250
    assert privacy.walk_queries == 250 // ACCOUNT_PAGE + 2  # three pages, then the empty answer that ends it
    assert privacy.cursor_writes == [PurgeCursor(updated_at=NOW)]  # the end of the pass only


def test_an_account_where_items_were_found_is_saved_at_once() -> None:
    clock, accounts, privacy, kind = world(5)
    kind.add("old", Item("acc-0002", "acc-0002-m1", NOW - timedelta(days=400)))
    run = purge(clock, accounts, privacy, kind)
    assert run.deleted == {"pings": 1} and not kind.items
    saved_after = [c.accounts_after for c in privacy.cursor_writes if c.current_account is None]
    assert saved_after == ["acc-0002", None]  # the account that had items, then the end of the pass


def test_a_bounded_run_over_quiet_accounts_saves_where_it_stopped_and_the_next_one_walks_on() -> None:
    clock, accounts, privacy, kind = world(30)
    first = purge(clock, accounts, privacy, kind, max_items=10)  # one unit of work per quiet account
    assert not first.complete_pass and first.accounts_finished[-1] == "acc-0009"
    cursor = privacy.get_cursor()  # saved once, at the end of the run: after the last account whose turn ended
    assert cursor is not None and (cursor.accounts_after, cursor.current_account, cursor.enrolled) == (
        "acc-0009",
        None,
        True,
    )
    assert len(privacy.cursor_writes) == 1
    second = purge(clock, accounts, privacy, kind, max_items=10)
    assert second.accounts_finished[0] == "acc-0010"  # progress, not the same accounts again
    runs = [first, second]
    while not runs[-1].complete_pass:
        runs.append(purge(clock, accounts, privacy, kind, max_items=10))
    walked = [a for r in runs for a in r.accounts_finished]
    assert walked == sorted(accounts.accounts)


def test_a_crash_repeats_only_the_quiet_accounts_since_the_last_save() -> None:
    clock, accounts, privacy, kind = world(8)
    for i in (1, 6):
        kind.add(f"old-{i}", Item(f"acc-{i:04d}", f"acc-{i:04d}-m1", NOW - timedelta(days=400)))
    pages = {"n": 0}

    def crash_on_fourth_page() -> None:  # one page per account here: the crash comes in acc-0003
        pages["n"] += 1
        if pages["n"] == 4:
            raise RuntimeError("crash")

    with pytest.raises(RuntimeError):
        run_purge(
            personal_data=Registry(kinds=[kind], expected=("pings",)),
            privacy=privacy,
            accounts=accounts,
            clock=clock,
            retention_policy=RetentionPolicy(),
            purge_batch_size=100,
            purge_max_items=100_000,
            on_page=crash_on_fourth_page,
        )
    assert set(kind.items) == {"old-6"}
    cursor = privacy.get_cursor()  # saved when acc-0001 (items found) was done; the quiet acc-0002 was not
    assert cursor is not None and (cursor.accounts_after, cursor.current_account) == ("acc-0001", None)
    resumed = purge(clock, accounts, privacy, kind)
    assert resumed.complete_pass and not kind.items and resumed.deleted == {"pings": 1}
    # From where it was saved, none skipped; the quiet acc-0002 is not repeated either: its turn ended before the
    # crash, and its index entry already says it is due again tomorrow.
    assert resumed.accounts_finished == sorted(accounts.accounts)[3:]


def test_an_account_made_during_the_walk_is_enrolled_and_reached_by_the_next_pass() -> None:
    clock, accounts, privacy, _ = world(3)
    users = FakeUserStore()

    class Late(FakeKind):
        def expired(self, *, account_id: str, before: datetime | None, continuation: str | None, limit: int) -> Page:
            if account_id == "acc-0002" and "acc-0009" not in accounts.accounts:
                make_account(accounts, users, "acc-0009", NOW - timedelta(days=900))
            return super().expired(account_id=account_id, before=before, continuation=continuation, limit=limit)

    late = Late("pings")
    late.add("old", Item("acc-0009", "acc-0009-m1", NOW - timedelta(days=400)))
    run = purge(clock, accounts, privacy, late)
    assert run.accounts_finished == ["acc-0000", "acc-0001", "acc-0002"] and run.complete_pass
    clock.advance(minutes=1)
    nxt = purge(clock, accounts, privacy, late)  # the pass's enrolment sweep finds it; it is due at once
    assert nxt.accounts_finished == ["acc-0009"] and not late.items


def test_the_coarsening_walk_visits_only_accounts_with_coarsening_on() -> None:
    """The timer's second walk (coarsened history) reads its own index: over 250 accounts that do not coarsen it
    reads no account id and visits none, and writes the cursor once, at the end of the pass."""
    from core.services.coarsening import run_coarsening
    from tests.unit.fakes_tracking import FakeCoarseHistory

    class Counting(FakeCoarseHistory):
        def __init__(self) -> None:
            super().__init__()
            self.writes: list[CoarseningCursor] = []

        def put_cursor(self, cursor: CoarseningCursor) -> None:
            self.writes.append(cursor)
            super().put_cursor(cursor)

    clock, accounts, privacy, _ = world(250)
    store = Counting()
    run = run_coarsening(
        store=store, privacy=privacy, accounts=accounts, clock=clock, policy=RetentionPolicy(), max_pings=1_000_000
    )
    assert run.complete_pass and privacy.walk_queries == 0 and privacy.due_queries == 1 and len(store.writes) == 1
