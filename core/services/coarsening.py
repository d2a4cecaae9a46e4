"""Coarsened history (docs/coarsened-history.md): the retention timer's second step reduces each member's stored
pings older than the account's `coarsenAfterDays` to one coarse point per 15 minutes (core/domain/coarse_history.py).

The run walks the accounts of the coarsening index (core/services/purge_index.py: accounts with coarsening on) in
id order, members in id order, and each member's UTC days from a per-member watermark
up to the last day wholly older than N days, in bounded runs (`max_pings` pings read, an empty day counts one).
Each day is idempotent, in three steps: (1) write the coarse points of the buckets that have none (deterministic
ids), (2) delete the precise pings, (3) write the day's marker. A bucket's precise pings are deleted only after its
coarse point is stored, and a bucket that has its coarse point is never recomputed, so a crash between any two
steps is completed by the next run: nothing is coarsened twice and no day is lost. The watermark moves past a day
only after its marker is written; the cursor (account, last member finished) after each member.

Not coarsened: accounts without the setting, closed accounts, accounts under a legal hold, and members under one
(their watermark stays). A member's latest position older than N days (a copy of a ping) is snapped to its cell.
Time-on-site and trips are stored documents (job sites' site days), untouched here.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta

from core.domain.accounts import AccountStatus
from core.domain.coarse_history import (
    CoarseDay,
    CoarseningCursor,
    CoarseningRun,
    coarsen,
    day_start,
    is_coarse,
    last_day_to_coarsen,
)
from core.domain.privacy import AuditEntry, LegalHold, PurgeDue
from core.ports import AccountStore, Clock, CoarseHistoryStore, PrivacyStore
from core.services.account_walk import DueWalk
from core.services.purge_index import COARSENING
from core.services.retention import RUN_RECORD_DAYS, RetentionPolicy, effective_settings

log = logging.getLogger(__name__)


def coarsen_day(
    *, store: CoarseHistoryStore, run: CoarseningRun, account_id: str, user_id: str, day: date, now: datetime
) -> int:
    """One member's day; answers the pings read (at least 1). Safe to repeat at any point."""
    pings = store.day_pings(account_id=account_id, user_id=user_id, day=day)
    if not pings:
        return 1
    new, precise = coarsen(pings)
    if not new and not precise and store.get_marker(account_id=account_id, user_id=user_id, day=day) is not None:
        return len(pings)  # finished earlier; only the watermark lagged behind (a crash after the marker)
    store.put_points(account_id=account_id, user_id=user_id, day=day, points=new)
    removed = store.delete_pings(account_id=account_id, user_id=user_id, day=day, ping_ids=precise)
    points = len({p.ping_id for p in pings if is_coarse(p)} | {p.ping_id for p in new})
    store.put_marker(
        CoarseDay(
            account_id=account_id,
            user_id=user_id,
            day=day,
            day_start_utc=day_start(day).isoformat().replace("+00:00", "Z"),
            coarsened_at=now,
            precise_removed=removed,
            coarse_points=points,
        )
    )
    run.record(account_id, day, removed, points)
    return len(pings)


def _member(
    *,
    store: CoarseHistoryStore,
    run: CoarseningRun,
    account_id: str,
    user_id: str,
    first: date,
    last: date,
    budget: int,
    now: datetime,
) -> tuple[bool, int]:
    """Days from the member's watermark to `last`; answers (finished, pings read)."""
    mark = store.get_watermark(account_id=account_id, user_id=user_id)
    day = max(first, mark) if mark else first
    used = 0
    moved = False
    while day <= last:
        if used >= budget:
            break
        read = coarsen_day(store=store, run=run, account_id=account_id, user_id=user_id, day=day, now=now)
        used += read
        run.days_checked += 1
        run.pings_read += read
        day += timedelta(days=1)
        moved = True
        if read > 1:  # a day with pings: its marker is written, the watermark may pass it
            store.put_watermark(account_id=account_id, user_id=user_id, day=day)
            moved = False
    if moved:
        store.put_watermark(account_id=account_id, user_id=user_id, day=day)
    if day > last:
        store.coarsen_latest(account_id=account_id, user_id=user_id, before=day_start(last + timedelta(days=1)))
    return day > last, used


def _plan(
    *,
    account_id: str,
    privacy: PrivacyStore,
    accounts: AccountStore,
    policy: RetentionPolicy,
    run: CoarseningRun,
    now: datetime,
) -> tuple[list[str], date, date] | None:
    """The members to coarsen, and the first and last day, or None when the account is not coarsened now."""
    settings = effective_settings(account_id, privacy, policy)
    account = accounts.get_account(account_id)
    if settings.coarsen_after_days is None or account is None or account.status is AccountStatus.CLOSED:
        return None
    if privacy.get_closure(account_id) is not None:
        return None
    holds = [h for h in privacy.list_holds(account_id) if h.active]
    if holds:
        _record_kept(privacy, run, account_id, holds, now)
    if any(h.user_id is None for h in holds):
        run.held_accounts.append(account_id)
        return None
    held = {h.user_id for h in holds}
    first = max(account.created_at.date(), (now - timedelta(days=settings.location_days)).date())
    last = last_day_to_coarsen(now, settings.coarsen_after_days)
    users = sorted({m.user_id for m in accounts.list_members(account_id)} - held)
    return users, first, last


def _record_kept(
    privacy: PrivacyStore, run: CoarseningRun, account_id: str, holds: list[LegalHold], now: datetime
) -> None:
    """Say what a legal hold kept precise, and why: on the run record and in the privacy audit log (once per hold
    and run)."""
    run.kept[account_id] = [f"legal-hold {h.hold_id}" for h in holds]
    for hold in holds:
        privacy.audit(
            AuditEntry(
                entry_id=str(uuid.uuid4()),
                account_id=account_id,
                at=now,
                actor="coarsening",
                action="coarsening.kept",
                subject_user_id=hold.user_id,
                target=run.run_id,
                outcome="held",
                details={"kind": "pings", "reason": f"legal-hold {hold.hold_id}"},
            )
        )


def run_coarsening(
    *,
    store: CoarseHistoryStore,
    privacy: PrivacyStore,
    accounts: AccountStore,
    clock: Clock,
    policy: RetentionPolicy,
    max_pings: int,
    time_budget_s: float = 240.0,
    elapsed: Callable[[], float] = time.monotonic,
) -> CoarseningRun:
    """One bounded run over the accounts the coarsening index says are due (pings read and time); the next run
    resumes where this one stopped."""
    now = clock.now()
    run = CoarseningRun(run_id=f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}", started_at=now)
    cursor = saved = store.get_cursor() or CoarseningCursor()
    walk = DueWalk(privacy, COARSENING, now)
    started = elapsed()
    used = 0
    while used < max_pings and elapsed() - started < time_budget_s:
        if cursor.current_account is None:
            entry = walk.next_after(cursor.accounts_after)
            nxt = entry.account_id if entry is not None else None
            if nxt is None:
                run.complete_pass = True
                cursor = saved = CoarseningCursor(updated_at=now)
                store.put_cursor(cursor)
                store.prune_runs(now - timedelta(days=RUN_RECORD_DAYS), 500)
                break
            cursor = CoarseningCursor(accounts_after=cursor.accounts_after, current_account=nxt, updated_at=now)
        account_id = cursor.current_account
        assert account_id is not None
        plan = _plan(account_id=account_id, privacy=privacy, accounts=accounts, policy=policy, run=run, now=now)
        if plan is None:
            privacy.delete_due(COARSENING, account_id)  # coarsening off, closed or held: it leaves the index
        users, first, last = plan if plan is not None else ([], now.date(), now.date())
        stopped = False
        for user_id in (u for u in users if cursor.users_after is None or u > cursor.users_after):
            finished, read = _member(
                store=store,
                run=run,
                account_id=account_id,
                user_id=user_id,
                first=first,
                last=last,
                budget=max_pings - used,
                now=now,
            )
            used += read
            if not finished:
                stopped = True
                break
            cursor = saved = cursor.model_copy(update={"users_after": user_id, "updated_at": now})
            store.put_cursor(cursor)
            if used >= max_pings:
                break
        else:
            if plan is not None:  # done for today: the next day to coarsen is due tomorrow
                privacy.put_due(
                    PurgeDue(
                        account_id=account_id,
                        queue=COARSENING,
                        due_at=now + timedelta(days=1),
                        reasons=["coarsening"],
                        updated_at=now,
                    )
                )
            cursor = saved = CoarseningCursor(accounts_after=account_id, updated_at=now)
            store.put_cursor(cursor)  # every account of the index has work, so each one is saved
        if stopped:
            saved = cursor
            store.put_cursor(cursor)
            break
    if cursor != saved:
        store.put_cursor(cursor)  # where this run stopped, so the next one walks on from there
    run.finished_at = clock.now()
    store.put_run(run)
    log.info(
        "coarsening run %s: %d day(s) coarsened, %d day(s) checked, %d ping(s) read, complete pass %s",
        run.run_id,
        len(run.receipts),
        run.days_checked,
        run.pings_read,
        run.complete_pass,
    )
    return run
