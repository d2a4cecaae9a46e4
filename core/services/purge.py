"""The purge: applies the retention rules (core/services/retention.py) to every kind of personal data.

It walks accounts in id order and, in each account, the registry's kinds in order, then sweeps the platform kinds.
After every page that found items it saves where it stopped, so a large backlog finishes over several runs and a
crash resumes without losing or repeating work (deleting an item that is already gone is a no-op and is not
counted). The walk reads account ids a page at a time, and an account where nothing was found is not saved on its
own: after a crash the next run looks at it again, which is harmless.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.domain.accounts import AccountStatus
from core.domain.privacy import PurgeCursor, PurgeRun, PurgeRunList, PurgeRunPublic
from core.ports import AccountStore, Clock, CoarseHistoryStore, PersonalDataKind, PlatformKind, PrivacyStore
from core.services.account_walk import AccountWalk
from core.services.coarsening import run_coarsening
from core.services.retention import (
    RUN_RECORD_DAYS,
    Registry,
    RetentionPolicy,
    audit,
    effective_settings,
)

log = logging.getLogger(__name__)


@dataclass
class AccountPlan:
    """What may be purged in one account now: per kind, `before` (None = everything) or absent (nothing)."""

    cutoffs: dict[str, datetime | None] = field(default_factory=dict)
    held_users: set[str] = field(default_factory=set)
    held: bool = False
    closed_and_due: bool = False


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
            return plan  # inside the dispute window: nothing is purged
        plan.closed_and_due = True
        for kind in kinds:
            if kind.kept_for is None:
                plan.cutoffs[kind.name] = None
            elif not plan.held_users and now >= closure.closed_at + timedelta(days=policy.category_days(kind.kept_for)):
                # While a member's data is held, the account's own records stay so the account is still walked.
                plan.cutoffs[kind.name] = None
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
) -> PurgeRun:
    """One bounded run of the purge. `on_page` is called after each page (tests use it to crash)."""
    now = clock.now()
    run = PurgeRun(run_id=f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}", started_at=now, gaps=personal_data.gaps)
    cursor = privacy.get_cursor() or PurgeCursor()
    saved = cursor
    walk = AccountWalk(privacy)
    kinds = personal_data.kinds
    work = 0
    plan: AccountPlan | None = None
    found_at_account_start = 0
    while work < purge_max_items:
        if cursor.current_account is None:
            nxt = walk.next_after(cursor.accounts_after)
            if nxt is None:
                work += _sweep_platform(
                    personal_data.platform, run, privacy, now, purge_batch_size, purge_max_items - work
                )
                if work >= purge_max_items:
                    break  # the platform sweep has more to do: the next run walks on (the cursor stays at the end)
                run.complete_pass = True
                cursor = saved = PurgeCursor(updated_at=now)
                privacy.put_cursor(cursor)
                privacy.prune_runs(now - timedelta(days=RUN_RECORD_DAYS), 500)
                break
            cursor = PurgeCursor(accounts_after=cursor.accounts_after, current_account=nxt, updated_at=now)
            plan = None
            found_at_account_start = _found(run)
        account_id = cursor.current_account
        assert account_id is not None
        if plan is None:
            plan = plan_account(
                account_id=account_id, kinds=kinds, privacy=privacy, accounts=accounts, policy=retention_policy, now=now
            )
        if plan.held or cursor.kind_index >= len(kinds):
            if plan.held:
                run.held_accounts.append(account_id)
            elif plan.closed_and_due:
                _mark_closed_account_purged(privacy, clock, account_id, kinds, plan, now)
            run.accounts_finished.append(account_id)
            cursor = PurgeCursor(accounts_after=account_id, updated_at=now)
            if _found(run) != found_at_account_start:
                cursor = saved = cursor.model_copy()
                privacy.put_cursor(cursor)  # an account where nothing was found is saved with a later one
            plan = None
            continue
        kind = kinds[cursor.kind_index]
        if kind.name not in plan.cutoffs:
            cursor = cursor.model_copy(update={"kind_index": cursor.kind_index + 1, "kind_continuation": None})
            continue
        limit = max(1, min(purge_batch_size, purge_max_items - work))
        page = kind.expired(
            account_id=account_id, before=plan.cutoffs[kind.name], continuation=cursor.kind_continuation, limit=limit
        )
        for ref in page.items:
            if ref.user_id is not None and ref.user_id in plan.held_users:
                run.held[kind.name] = run.held.get(kind.name, 0) + 1
                continue
            if kind.delete(ref):
                run.deleted[kind.name] = run.deleted.get(kind.name, 0) + 1
        work += max(1, len(page.items))
        if page.continuation is None:
            cursor = cursor.model_copy(update={"kind_index": cursor.kind_index + 1, "kind_continuation": None})
        else:
            cursor = cursor.model_copy(update={"kind_continuation": page.continuation})
        if page.items or page.continuation is not None:
            # Progress worth keeping: the run's counts and the cursor are saved after each page that found items.
            # An empty last page changes nothing, so it is not saved on its own (two writes saved per account and
            # kind): after a crash the next run asks that kind again, which is harmless.
            run.finished_at = clock.now()
            privacy.put_run(run)
            cursor = saved = cursor.model_copy(update={"updated_at": now})
            privacy.put_cursor(cursor)
        if on_page is not None:
            on_page()
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
