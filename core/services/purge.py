"""The purge: applies the retention rules (core/services/retention.py) to every kind of personal data.

It walks accounts in id order and, in each account, the registry's kinds in order, then sweeps the platform kinds.
After every page that found items it saves where it stopped, so a large backlog finishes over several runs and a
crash resumes without losing or repeating work (deleting an item that is already gone is a no-op and is not
counted). The walk reads account ids a page at a time, and an account where nothing was found is not saved on its
own: after a crash the next run looks at it again, which is harmless.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.domain.accounts import AccountStatus
from core.domain.privacy import ItemRef, PurgeCursor, PurgeDue, PurgeRun, PurgeRunList, PurgeRunPublic
from core.ports import AccountStore, Clock, CoarseHistoryStore, PersonalDataKind, PlatformKind, PrivacyStore
from core.services.account_walk import ACCOUNT_PAGE, DueWalk
from core.services.coarsening import run_coarsening
from core.services.purge_index import PURGE, enrol, needs_purge_while_active
from core.services.retention import (
    RUN_RECORD_DAYS,
    Registry,
    RetentionPolicy,
    audit,
    effective_settings,
)

log = logging.getLogger(__name__)

# A run stops starting new pages after this long, well inside the Functions timeout (host.json functionTimeout,
# 10 minutes), the coarsening walk that follows it included.
DEFAULT_TIME_BUDGET_S = 240.0


@dataclass
class AccountPlan:
    """What may be purged in one account now: per kind, `before` (None = everything) or absent (nothing)."""

    cutoffs: dict[str, datetime | None] = field(default_factory=dict)
    held_users: set[str] = field(default_factory=set)
    held: bool = False
    closed_and_due: bool = False
    closed_until: datetime | None = None  # a closed account inside its window: when the window ends
    category_ends: datetime | None = None  # a closed account's first legal category still kept: when it ends


def plan_account(
    *,
    account_id: str,
    kinds: Sequence[PersonalDataKind],
    privacy: PrivacyStore,
    accounts: AccountStore,
    policy: RetentionPolicy,
    now: datetime,
) -> AccountPlan:
    plan = AccountPlan()
    holds = [h for h in privacy.list_holds(account_id) if h.active]
    if any(h.user_id is None for h in holds):
        plan.held = True
        return plan
    plan.held_users = {h.user_id for h in holds if h.user_id}
    account = accounts.get_account(account_id)
    closure = privacy.get_closure(account_id)
    if closure is not None or (account is not None and account.status is AccountStatus.CLOSED):
        if closure is None or now < closure.retention_deadline:
            plan.closed_until = closure.retention_deadline if closure is not None else now + timedelta(days=1)
            return plan  # inside the dispute window: nothing is purged
        plan.closed_and_due = True
        for kind in kinds:
            if kind.kept_for is None:
                plan.cutoffs[kind.name] = None
                continue
            ends = closure.closed_at + timedelta(days=policy.category_days(kind.kept_for))
            if not plan.held_users and now >= ends:
                # While a member's data is held, the account's own records stay so the account is still walked.
                plan.cutoffs[kind.name] = None
            elif plan.category_ends is None or ends < plan.category_ends:
                plan.category_ends = ends
        return plan
    settings = effective_settings(account_id, privacy, policy)
    days = {
        "location": settings.location_days,
        "media": settings.media_days,
        "access-log": settings.access_log_days,
        "export-link": 0,
        "invitation": policy.invitations_days,
    }
    for kind in kinds:
        keep = days.get(kind.retention)
        if keep is not None:
            plan.cutoffs[kind.name] = now - timedelta(days=keep)
    return plan


def _found(run: PurgeRun) -> int:
    """How much the run has found so far (deleted or held items, held accounts): a change means progress."""
    return sum(run.deleted.values()) + sum(run.held.values()) + len(run.held_accounts)


def delete_refs(kind: PersonalDataKind, refs: Sequence[ItemRef]) -> int:
    """Delete a page of one kind's items: in batches where the kind can (`BatchDeletes`), else one by one.
    Answers how many were there (an item already gone is not counted)."""
    if not refs:
        return 0
    many = getattr(kind, "delete_many", None)
    if many is not None:
        return int(many(refs))
    return sum(1 for ref in refs if kind.delete(ref))


@dataclass
class _Budget:
    """What a run may still spend: items (and empty pages) and time, measured by `elapsed` (seconds)."""

    max_items: int
    seconds: float
    elapsed: Callable[[], float]
    started: float = 0.0
    work: int = 0

    def __post_init__(self) -> None:
        self.started = self.elapsed()

    def left(self) -> int:
        return self.max_items - self.work

    def spent(self) -> bool:
        return self.work >= self.max_items or self.elapsed() - self.started >= self.seconds


def _next_due(
    entry: PurgeDue, plan: AccountPlan, kinds: Sequence[PersonalDataKind], accounts: AccountStore, now: datetime
) -> datetime | None:
    """When the account has purge work again after a finished turn, or None to leave the index."""
    if plan.held:
        return None  # lifting the hold puts the account back (core/services/retention.py, lift_hold)
    if plan.closed_and_due:
        if plan.held_users:
            return None  # idem: the member's hold
        return plan.category_ends  # None: everything, the legal categories included, is gone
    if not plan.cutoffs and plan.closed_until is not None:
        return plan.closed_until  # a closed account inside its window: back when the window ends
    if accounts.get_account(entry.account_id) is None and not plan.cutoffs:
        return None
    if needs_purge_while_active(kinds):
        return now + timedelta(days=1)  # kinds the store cannot expire: aged again tomorrow
    return None


def run_purge(
    *,
    personal_data: Registry,
    privacy: PrivacyStore,
    accounts: AccountStore,
    clock: Clock,
    retention_policy: RetentionPolicy,
    purge_batch_size: int,
    purge_max_items: int,
    on_page: Callable[[], None] | None = None,
    time_budget_s: float = DEFAULT_TIME_BUDGET_S,
    elapsed: Callable[[], float] = time.monotonic,
) -> PurgeRun:
    """One bounded run of the purge over the accounts its index says are due, round-robin: each account gets one
    turn of at most `purge_batch_size` items, then the walk moves on, and comes back to unfinished accounts once
    every due account had its turn. The run ends when `purge_max_items` items are spent or `time_budget_s` seconds
    have passed. `on_page` is called after each page (tests use it to crash)."""
    now = clock.now()
    run = PurgeRun(run_id=f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}", started_at=now, gaps=personal_data.gaps)
    cursor = privacy.get_cursor() or PurgeCursor()
    cursor = cursor.model_copy(update={"current_account": None, "kind_index": 0, "kind_continuation": None})
    saved = cursor
    budget = _Budget(max_items=purge_max_items, seconds=time_budget_s, elapsed=elapsed)
    walk = DueWalk(privacy, PURGE, now)
    kinds = personal_data.kinds
    while not budget.spent():
        entry = walk.next_after(cursor.accounts_after)
        if entry is None:
            if cursor.accounts_after is not None:
                cursor = cursor.model_copy(update={"accounts_after": None})  # the next round of the due accounts
                continue
            if not cursor.enrolled:
                cursor = _enrol_sweep(privacy, kinds, cursor, budget, now)
                if not cursor.enrolled:
                    break  # out of budget: the next run sweeps on from `enrol_after`
                continue  # accounts enrolled now are due now
            budget.work += _sweep_platform(personal_data.platform, run, privacy, now, purge_batch_size, budget.left())
            if budget.work >= purge_max_items:
                break  # the platform sweep has more to do: the next run comes back here
            run.complete_pass = True
            cursor = saved = PurgeCursor(updated_at=now)
            privacy.put_cursor(cursor)
            privacy.prune_runs(now - timedelta(days=RUN_RECORD_DAYS), 500)
            break
        found_before = _found(run)
        finished = _turn(
            entry=entry,
            kinds=kinds,
            run=run,
            privacy=privacy,
            accounts=accounts,
            clock=clock,
            policy=retention_policy,
            batch=purge_batch_size,
            budget=budget,
            now=now,
            on_page=on_page,
        )
        if finished:
            run.accounts_finished.append(entry.account_id)
        cursor = cursor.model_copy(update={"accounts_after": entry.account_id, "updated_at": now})
        if _found(run) != found_before:
            saved = cursor
            privacy.put_cursor(cursor)  # a turn where nothing was found is saved with a later one
    if cursor != saved:
        privacy.put_cursor(cursor)  # where this run stopped, so the next one walks on from there
    run.finished_at = clock.now()
    privacy.put_run(run)
    log.info(
        "purge run %s: deleted %s, held %s, held accounts %d, complete pass %s",
        run.run_id,
        run.deleted,
        run.held,
        len(run.held_accounts),
        run.complete_pass,
    )
    return run


def _enrol_sweep(
    privacy: PrivacyStore, kinds: Sequence[PersonalDataKind], cursor: PurgeCursor, budget: _Budget, now: datetime
) -> PurgeCursor:
    """Once per pass, while a registered kind cannot expire by the store: index the accounts not in it yet (one
    query per page of account ids, one on the index). It deletes nothing, so only the time budget bounds it.
    Answers the cursor, `enrolled` once the sweep is done."""
    if not needs_purge_while_active(kinds):
        return cursor.model_copy(update={"enrolled": True, "enrol_after": None})
    after = cursor.enrol_after
    while not budget.spent():
        ids = privacy.accounts_after(after, ACCOUNT_PAGE)
        if not ids:
            return cursor.model_copy(update={"enrolled": True, "enrol_after": None})
        enrol(privacy, ids, now)
        after = ids[-1]
    return cursor.model_copy(update={"enrol_after": after})


def _turn(
    *,
    entry: PurgeDue,
    kinds: Sequence[PersonalDataKind],
    run: PurgeRun,
    privacy: PrivacyStore,
    accounts: AccountStore,
    clock: Clock,
    policy: RetentionPolicy,
    batch: int,
    budget: _Budget,
    now: datetime,
    on_page: Callable[[], None] | None,
) -> bool:
    """One account's turn: at most `batch` items (an empty page counts one), from the kind and continuation its
    entry keeps. Saves the entry (its progress, or when it is due again, or its removal). True when finished."""
    account_id = entry.account_id
    plan = plan_account(account_id=account_id, kinds=kinds, privacy=privacy, accounts=accounts, policy=policy, now=now)
    index, continuation = entry.kind_index, entry.kind_continuation
    used = 0
    while not plan.held and index < len(kinds) and used < batch and not budget.spent():
        kind = kinds[index]
        if kind.name not in plan.cutoffs:
            index, continuation = index + 1, None
            continue
        limit = max(1, min(batch - used, budget.left()))
        page = kind.expired(
            account_id=account_id, before=plan.cutoffs[kind.name], continuation=continuation, limit=limit
        )
        refs = []
        for ref in page.items:
            if ref.user_id is not None and ref.user_id in plan.held_users:
                run.held[kind.name] = run.held.get(kind.name, 0) + 1
            else:
                refs.append(ref)
        deleted = delete_refs(kind, refs)
        if deleted:
            run.deleted[kind.name] = run.deleted.get(kind.name, 0) + deleted
        if page.items:
            run.finished_at = clock.now()
            privacy.put_run(run)  # the counts after each page that found items: a crash loses only the page in flight
        spent = max(1, len(page.items))
        used += spent
        budget.work += spent
        if page.continuation is None:
            done = getattr(kind, "purged", None)  # every expired item of the kind is deleted now: bookmarks move on
            if done is not None and plan.cutoffs[kind.name] is not None:
                done(account_id=account_id, before=plan.cutoffs[kind.name])
            index, continuation = index + 1, None
        else:
            continuation = page.continuation
        if on_page is not None:
            on_page()
    if plan.held:
        run.held_accounts.append(account_id)
    finished = plan.held or index >= len(kinds)
    if not finished:
        privacy.put_due(
            entry.model_copy(update={"kind_index": index, "kind_continuation": continuation, "updated_at": now})
        )
        return False
    if plan.closed_and_due:
        _mark_closed_account_purged(privacy, clock, account_id, kinds, plan, now)
    due = _next_due(entry, plan, kinds, accounts, now)
    if due is None:
        privacy.delete_due(PURGE, account_id)
    else:
        reasons = ["retention"] if not plan.closed_and_due and plan.closed_until is None else ["account-closed"]
        privacy.put_due(
            entry.model_copy(
                update={
                    "due_at": due,
                    "reasons": reasons,
                    "kind_index": 0,
                    "kind_continuation": None,
                    "updated_at": now,
                }
            )
        )
    return True


def _sweep_platform(
    kinds: Sequence[PlatformKind], run: PurgeRun, privacy: PrivacyStore, now: datetime, batch_size: int, budget: int
) -> int:
    work = 0
    for kind in kinds:
        while work < budget:
            refs = kind.expired_page(
                before=now - timedelta(days=kind.retention_days), limit=max(1, min(batch_size, budget - work))
            )
            deleted = sum(1 for ref in refs if kind.delete(ref))
            if deleted:
                run.deleted[kind.name] = run.deleted.get(kind.name, 0) + deleted
                privacy.put_run(run)
            work += max(1, len(refs))
            if len(refs) < batch_size or not deleted:
                break
    return work


def _mark_closed_account_purged(
    privacy: PrivacyStore,
    clock: Clock,
    account_id: str,
    kinds: Sequence[PersonalDataKind],
    plan: AccountPlan,
    now: datetime,
) -> None:
    closure = privacy.get_closure(account_id)
    personal = [k.name for k in kinds if k.kept_for is None]
    if closure is None or closure.personal_data_purged_at is not None or plan.held_users:
        return
    if all(name in plan.cutoffs for name in personal):
        privacy.put_closure(closure.model_copy(update={"personal_data_purged_at": now}))
        audit(
            privacy,
            clock,
            account_id=account_id,
            actor="purge",
            action="account.personal-data-purged",
            outcome="purged",
            details={"kinds": personal},
        )


def list_runs(*, privacy: PrivacyStore, limit: int = 20) -> PurgeRunList:
    return PurgeRunList(items=[PurgeRunPublic.model_validate(r.model_dump()) for r in privacy.list_runs(limit)])


def daily_purge(
    *,
    personal_data: Registry,
    privacy: PrivacyStore,
    accounts: AccountStore,
    coarse_history: CoarseHistoryStore,
    clock: Clock,
    retention_policy: RetentionPolicy,
    purge_batch_size: int,
    purge_max_items: int,
) -> PurgeRun:
    """The daily timer's work: one bounded purge run, then one bounded run of the coarsened history
    (docs/coarsened-history.md) with the same budget."""
    run = run_purge(
        personal_data=personal_data,
        privacy=privacy,
        accounts=accounts,
        clock=clock,
        retention_policy=retention_policy,
        purge_batch_size=purge_batch_size,
        purge_max_items=purge_max_items,
    )
    log.info("purge run %s finished: complete pass %s", run.run_id, run.complete_pass)
    coarse = run_coarsening(
        store=coarse_history,
        privacy=privacy,
        accounts=accounts,
        clock=clock,
        policy=retention_policy,
        max_pings=purge_max_items,
    )
    log.info("coarsening run %s finished: complete pass %s", coarse.run_id, coarse.complete_pass)
    return run
