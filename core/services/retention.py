"""Retention: per-account settings, legal holds, the personal-data registry and the purge that applies them.

The registry holds one entry per kind of personal data (see `core.ports.PersonalDataKind`). The purge walks
accounts in id order and, in each account, the registry's kinds in order; after every page of deletions it saves
where it stopped, so a large backlog finishes over several runs and a crash resumes without losing or repeating
work (deleting an item that is already gone is a no-op and is not counted).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.domain.accounts import AccountStatus
from core.domain.errors import ErrorList, NotFound
from core.domain.identity import Identity, Principal
from core.domain.privacy import (
    AuditEntry,
    KeptCategory,
    LegalHold,
    LegalHoldCreate,
    LegalHoldList,
    LegalHoldPublic,
    PurgeCursor,
    PurgeRun,
    PurgeRunList,
    PurgeRunPublic,
    RetentionLimits,
    RetentionPublic,
    RetentionSettings,
    RetentionUpdate,
)
from core.ports import AccountStore, Clock, PersonalDataKind, PlatformKind, PrivacyStore

log = logging.getLogger(__name__)

RUN_RECORD_DAYS = 90  # purge-run records are kept this long (they hold counts only, nothing personal)

# Every kind of personal data the product stores. A kind whose area has not landed is reported as a gap.
EXPECTED_KINDS: tuple[str, ...] = (
    "sign-in-records",
    "profiles",
    "invitations",
    "unanswered-invitations",
    "account-events",
    "billing-records",
    "billing-history",
    "stripe-events",
    "data-exports",
    "privacy-requests",
    "privacy-audit",
    "closure-record",
    "pings",
    "latest-positions",
    "tracking-schedules",
    "consents",
    "access-log",
    "site-visits",  # job sites (docs/job-sites.md)
    "job-sites",
    "job-site-cells",
    "photos",
    "notes",
    "policy-acknowledgements",
    "email-preferences",
    "email-status",
    "outbox",
    "devices",
    "page-views",  # optional analytics (docs/privacy-signals.md)
    "coarse-days",  # coarsened history (docs/coarsened-history.md)
    "coarse-watermarks",
    "private-zones",  # docs/private-zones.md
    "withheld-pings",
    "ingest-gates",  # copies read by each location upload (docs/tracking.md, "The ingest gate")
    "ingest-gate-account",
)


@dataclass(frozen=True)
class RetentionPolicy:
    """Platform defaults and bounds (from settings), and the legal categories kept after closure."""

    location_days: int = 365
    location_min_days: int = 30
    location_max_days: int = 1095
    access_log_days: int = 365
    access_log_min_days: int = 90
    access_log_max_days: int = 1095
    media_min_days: int = 30
    media_max_days: int = 3650
    closed_account_days: int = 90
    billing_records_days: int = 2555
    closure_record_days: int = 2555
    audit_days: int = 1095
    invitations_days: int = 30
    outbox_days: int = 90
    coarsen_min_days: int = 30
    coarsen_max_days: int = 365

    @classmethod
    def from_settings(cls, s: Any) -> RetentionPolicy:
        return cls(**{f: getattr(s, f"retention_{f}") for f in cls.__dataclass_fields__})

    def kept_after_closure(self) -> list[KeptCategory]:
        return [
            KeptCategory(category="billing-records", days=self.billing_records_days,
                         reason="Tax and accounting law: invoices, payments and the billing address of the account."),
            KeptCategory(category="closure-record", days=self.closure_record_days,
                         reason="Proof that the account was closed on request, when and by whom."),
            KeptCategory(category="privacy-requests-and-audit", days=self.audit_days,
                         reason="Proof that data-subject requests were answered in time (who asked, when, outcome)."),
        ]

    def category_days(self, category: str) -> int:
        for kept in self.kept_after_closure():
            if kept.category == category:
                return kept.days
        raise KeyError(category)


@dataclass
class Registry:
    kinds: list[PersonalDataKind]
    expected: Sequence[str] = EXPECTED_KINDS
    platform: list[PlatformKind] = field(default_factory=list)

    @property
    def gaps(self) -> list[str]:
        present = {k.name for k in self.kinds} | {k.name for k in self.platform}
        return [name for name in self.expected if name not in present]


# ---------------------------------------------------------------- audit


def audit(
    privacy: PrivacyStore,
    clock: Clock,
    *,
    account_id: str,
    actor: str,
    action: str,
    outcome: str,
    subject_user_id: str | None = None,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    privacy.audit(
        AuditEntry(
            entry_id=str(uuid.uuid4()),
            account_id=account_id,
            at=clock.now(),
            actor=actor,
            action=action,
            subject_user_id=subject_user_id,
            target=target,
            outcome=outcome,
            details=details or {},
        )
    )


# ---------------------------------------------------------------- settings


def effective_settings(account_id: str, privacy: PrivacyStore, policy: RetentionPolicy) -> RetentionSettings:
    return privacy.get_retention(account_id) or RetentionSettings(
        account_id=account_id, location_days=policy.location_days, media_days=None,
        access_log_days=policy.access_log_days,
    )


def _public(settings: RetentionSettings, policy: RetentionPolicy) -> RetentionPublic:
    return RetentionPublic(
        account_id=settings.account_id,
        location_days=settings.location_days,
        media_days=settings.media_days,
        access_log_days=settings.access_log_days,
        coarsen_after_days=settings.coarsen_after_days,
        updated_at=settings.updated_at,
        limits=RetentionLimits(
            location_min_days=policy.location_min_days, location_max_days=policy.location_max_days,
            media_min_days=policy.media_min_days, media_max_days=policy.media_max_days,
            access_log_min_days=policy.access_log_min_days, access_log_max_days=policy.access_log_max_days,
            coarsen_min_days=policy.coarsen_min_days, coarsen_max_days=policy.coarsen_max_days,
        ),
    )


def get_retention(
    *, principal: Principal, account_id: str, privacy: PrivacyStore, policy: RetentionPolicy
) -> RetentionPublic:
    principal.require_account(account_id)
    return _public(effective_settings(account_id, privacy, policy), policy)


def update_retention(
    *,
    principal: Principal,
    account_id: str,
    changes: RetentionUpdate,
    privacy: PrivacyStore,
    policy: RetentionPolicy,
    clock: Clock,
) -> RetentionPublic:
    principal.require_owner_of(account_id)
    current = effective_settings(account_id, privacy, policy)
    update = changes.model_dump(exclude_unset=True)
    errors = ErrorList()
    bounds = {
        "location_days": ("locationDays", policy.location_min_days, policy.location_max_days),
        "media_days": ("mediaDays", policy.media_min_days, policy.media_max_days),
        "access_log_days": ("accessLogDays", policy.access_log_min_days, policy.access_log_max_days),
        "coarsen_after_days": ("coarsenAfterDays", policy.coarsen_min_days, policy.coarsen_max_days),
    }
    for key, value in update.items():
        alias, low, high = bounds[key]
        if value is None and key not in ("media_days", "coarsen_after_days"):
            errors.add(alias, "must not be null")
        elif value is not None and not low <= value <= high:
            errors.add(alias, f"must be between {low} and {high} days")
    errors.raise_if_any()
    _check_coarsening(current, update, errors)
    updated = current.model_copy(update={**update, "updated_at": clock.now(), "updated_by": principal.user_id})
    privacy.put_retention(updated)
    audit(privacy, clock, account_id=account_id, actor=principal.user_id, action="retention.updated",
          outcome="saved", details={k: v for k, v in update.items()})
    return _public(updated, policy)


def _check_coarsening(current: RetentionSettings, update: dict[str, Any], errors: ErrorList) -> None:
    """Coarsening must start before the pings are purged, or it would mean nothing."""
    coarsen = update.get("coarsen_after_days", current.coarsen_after_days)
    location = update.get("location_days", current.location_days)
    if coarsen is not None and location is not None and coarsen >= location:
        if "coarsen_after_days" in update:
            errors.add("coarsenAfterDays", f"must be less than locationDays ({location})")
        else:
            errors.add("locationDays", f"must be more than coarsenAfterDays ({coarsen}); turn coarsening off first")
    errors.raise_if_any()


# ---------------------------------------------------------------- legal holds (platform administrators)


def place_hold(
    *, identity: Identity, data: LegalHoldCreate, privacy: PrivacyStore, accounts: AccountStore, clock: Clock
) -> LegalHoldPublic:
    if accounts.get_account(data.account_id) is None:
        raise NotFound()
    hold = LegalHold(hold_id=str(uuid.uuid4()), account_id=data.account_id, user_id=data.user_id,
                     reason=data.reason, placed_by=identity.user_id, placed_at=clock.now())
    privacy.put_hold(hold)
    audit(privacy, clock, account_id=data.account_id, actor=identity.user_id, action="legal-hold.placed",
          outcome="active", subject_user_id=data.user_id, target=hold.hold_id)
    return hold.to_public()


def lift_hold(
    *, identity: Identity, account_id: str, hold_id: str, privacy: PrivacyStore, clock: Clock
) -> LegalHoldPublic:
    hold = privacy.get_hold(account_id, hold_id)
    if hold is None:
        raise NotFound()
    if hold.active:
        hold = hold.model_copy(update={"lifted_by": identity.user_id, "lifted_at": clock.now()})
        privacy.put_hold(hold)
        audit(privacy, clock, account_id=account_id, actor=identity.user_id, action="legal-hold.lifted",
              outcome="lifted", subject_user_id=hold.user_id, target=hold_id)
    return hold.to_public()


def list_holds(*, account_id: str, privacy: PrivacyStore) -> LegalHoldList:
    return LegalHoldList(items=[h.to_public() for h in sorted(privacy.list_holds(account_id),
                                                              key=lambda h: h.placed_at)])


# ---------------------------------------------------------------- the purge


@dataclass
class AccountPlan:
    """What may be purged in one account now: per kind, `before` (None = everything) or absent (nothing)."""

    cutoffs: dict[str, datetime | None] = field(default_factory=dict)
    held_users: set[str] = field(default_factory=set)
    held: bool = False
    closed_and_due: bool = False


def plan_account(
    *, account_id: str, kinds: Sequence[PersonalDataKind], privacy: PrivacyStore, accounts: AccountStore,
    policy: RetentionPolicy, now: datetime,
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
            elif not plan.held_users and now >= closure.closed_at + timedelta(
                days=policy.category_days(kind.kept_for)
            ):
                # While a member's data is held, the account's own records stay so the account is still walked.
                plan.cutoffs[kind.name] = None
        return plan
    settings = effective_settings(account_id, privacy, policy)
    days = {"location": settings.location_days, "media": settings.media_days,
            "access-log": settings.access_log_days, "export-link": 0, "invitation": policy.invitations_days}
    for kind in kinds:
        keep = days.get(kind.retention)
        if keep is not None:
            plan.cutoffs[kind.name] = now - timedelta(days=keep)
    return plan


def run_purge(
    *,
    registry: Registry,
    privacy: PrivacyStore,
    accounts: AccountStore,
    clock: Clock,
    policy: RetentionPolicy,
    batch_size: int,
    max_items: int,
    on_page: Callable[[], None] | None = None,
) -> PurgeRun:
    """One bounded run of the purge. `on_page` is called after each page (tests use it to crash)."""
    now = clock.now()
    run = PurgeRun(run_id=f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}", started_at=now, gaps=registry.gaps)
    cursor = privacy.get_cursor() or PurgeCursor()
    kinds = registry.kinds
    work = 0
    plan: AccountPlan | None = None
    while work < max_items:
        if cursor.current_account is None:
            nxt = privacy.accounts_after(cursor.accounts_after, 1)
            if not nxt:
                work += _sweep_platform(registry.platform, run, privacy, now, batch_size, max_items - work)
                if work >= max_items:
                    break  # the platform sweep has more to do: the next run walks on (the cursor stays at the end)
                run.complete_pass = True
                cursor = PurgeCursor(updated_at=now)
                privacy.put_cursor(cursor)
                privacy.prune_runs(now - timedelta(days=RUN_RECORD_DAYS), 500)
                break
            cursor = PurgeCursor(accounts_after=cursor.accounts_after, current_account=nxt[0], updated_at=now)
            plan = None
        account_id = cursor.current_account
        assert account_id is not None
        if plan is None:
            plan = plan_account(account_id=account_id, kinds=kinds, privacy=privacy, accounts=accounts,
                                policy=policy, now=now)
        if plan.held or cursor.kind_index >= len(kinds):
            if plan.held:
                run.held_accounts.append(account_id)
            elif plan.closed_and_due:
                _mark_closed_account_purged(privacy, clock, account_id, kinds, plan, now)
            run.accounts_finished.append(account_id)
            cursor = PurgeCursor(accounts_after=account_id, updated_at=now)
            privacy.put_cursor(cursor)
            plan = None
            continue
        kind = kinds[cursor.kind_index]
        if kind.name not in plan.cutoffs:
            cursor = cursor.model_copy(update={"kind_index": cursor.kind_index + 1, "kind_continuation": None})
            continue
        limit = max(1, min(batch_size, max_items - work))
        page = kind.expired(account_id=account_id, before=plan.cutoffs[kind.name],
                            continuation=cursor.kind_continuation, limit=limit)
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
            cursor = cursor.model_copy(update={"updated_at": now})
            privacy.put_cursor(cursor)
        if on_page is not None:
            on_page()
    run.finished_at = clock.now()
    privacy.put_run(run)
    log.info("purge run %s: deleted %s, held %s, held accounts %d, complete pass %s", run.run_id, run.deleted,
             run.held, len(run.held_accounts), run.complete_pass)
    return run


def _sweep_platform(kinds: Sequence[PlatformKind], run: PurgeRun, privacy: PrivacyStore, now: datetime,
                    batch_size: int, budget: int) -> int:
    work = 0
    for kind in kinds:
        while work < budget:
            refs = kind.expired_page(before=now - timedelta(days=kind.retention_days),
                                     limit=max(1, min(batch_size, budget - work)))
            deleted = sum(1 for ref in refs if kind.delete(ref))
            if deleted:
                run.deleted[kind.name] = run.deleted.get(kind.name, 0) + deleted
                privacy.put_run(run)
            work += max(1, len(refs))
            if len(refs) < batch_size or not deleted:
                break
    return work


def _mark_closed_account_purged(
    privacy: PrivacyStore, clock: Clock, account_id: str, kinds: Sequence[PersonalDataKind], plan: AccountPlan,
    now: datetime,
) -> None:
    closure = privacy.get_closure(account_id)
    personal = [k.name for k in kinds if k.kept_for is None]
    if closure is None or closure.personal_data_purged_at is not None or plan.held_users:
        return
    if all(name in plan.cutoffs for name in personal):
        privacy.put_closure(closure.model_copy(update={"personal_data_purged_at": now}))
        audit(privacy, clock, account_id=account_id, actor="purge", action="account.personal-data-purged",
              outcome="purged", details={"kinds": personal})


def list_runs(*, privacy: PrivacyStore, limit: int = 20) -> PurgeRunList:
    return PurgeRunList(items=[PurgeRunPublic.model_validate(r.model_dump()) for r in privacy.list_runs(limit)])
