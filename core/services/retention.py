"""Retention: the platform's retention policy, per-account settings, legal holds, the personal-data registry and
the privacy audit trail. The purge that applies them is core/services/purge.py.

The registry holds one entry per kind of personal data (see `core.ports.PersonalDataKind`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from core.domain.errors import ErrorList, NotFound
from core.domain.events import RetentionChanged
from core.domain.expiry import TtlRestampMessage
from core.domain.identity import Identity, Principal
from core.domain.privacy import (
    AuditEntry,
    KeptCategory,
    LegalHold,
    LegalHoldCreate,
    LegalHoldList,
    LegalHoldPublic,
    RetentionLimits,
    RetentionPublic,
    RetentionSettings,
    RetentionUpdate,
)
from core.ports import AccountStore, Clock, PersonalDataKind, PlatformKind, PrivacyStore, Reactions
from core.services.purge_index import COARSENING, mark_due

log = logging.getLogger(__name__)

RUN_RECORD_DAYS = 90  # purge-run records are kept this long (they hold counts only, nothing personal)

# Every kind of personal data the product stores. A kind missing from the registry is reported as a gap by every
# purge run, and the purge tests fail on it.
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
    "site-visits-open",
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
    "live-map-version",  # the live map's change counter, no personal data (docs/tracking.md)
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
            KeptCategory(
                category="billing-records",
                days=self.billing_records_days,
                reason="Tax and accounting law: invoices, payments and the billing address of the account.",
            ),
            KeptCategory(
                category="closure-record",
                days=self.closure_record_days,
                reason="Proof that the account was closed on request, when and by whom.",
            ),
            KeptCategory(
                category="privacy-requests-and-audit",
                days=self.audit_days,
                reason="Proof that data-subject requests were answered in time (who asked, when, outcome).",
            ),
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


# ---------------------------------------------------------------- expiry by the store


def start_restamp(*, account_id: str, user_id: str | None, reason: str, enqueue: Callable[[str], None] | None) -> None:
    """Queue the first step of a job that rewrites the `ttl` of the scope's stored items to the plan of now
    (core/services/expiry.py, `restamp_step`). New writes see the change at once (the writers read the plan)."""
    if enqueue is None:
        return
    enqueue(TtlRestampMessage(account_id=account_id, user_id=user_id, reason=reason).model_dump_json(by_alias=True))
    log.info("ttl re-stamp queued (%s)", reason)


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


def default_settings(account_id: str, policy: RetentionPolicy) -> RetentionSettings:
    """The platform's defaults, for an account that never saved its own."""
    return RetentionSettings(
        account_id=account_id,
        location_days=policy.location_days,
        media_days=None,
        access_log_days=policy.access_log_days,
    )


def effective_settings(account_id: str, privacy: PrivacyStore, policy: RetentionPolicy) -> RetentionSettings:
    return privacy.get_retention(account_id) or default_settings(account_id, policy)


def _public(settings: RetentionSettings, policy: RetentionPolicy) -> RetentionPublic:
    return RetentionPublic(
        account_id=settings.account_id,
        location_days=settings.location_days,
        media_days=settings.media_days,
        access_log_days=settings.access_log_days,
        coarsen_after_days=settings.coarsen_after_days,
        updated_at=settings.updated_at,
        limits=RetentionLimits(
            location_min_days=policy.location_min_days,
            location_max_days=policy.location_max_days,
            media_min_days=policy.media_min_days,
            media_max_days=policy.media_max_days,
            access_log_min_days=policy.access_log_min_days,
            access_log_max_days=policy.access_log_max_days,
            coarsen_min_days=policy.coarsen_min_days,
            coarsen_max_days=policy.coarsen_max_days,
        ),
    )


def get_retention(
    *, principal: Principal, account_id: str, privacy: PrivacyStore, retention_policy: RetentionPolicy
) -> RetentionPublic:
    principal.require_account(account_id)
    return _public(effective_settings(account_id, privacy, retention_policy), retention_policy)


def update_retention(
    *,
    principal: Principal,
    account_id: str,
    changes: RetentionUpdate,
    privacy: PrivacyStore,
    reactions: Reactions,
    retention_policy: RetentionPolicy,
    clock: Clock,
    enqueue_data_request: Callable[[str], None] | None,
) -> RetentionPublic:
    principal.require_owner_of(account_id)
    current = effective_settings(account_id, privacy, retention_policy)
    update = changes.model_dump(exclude_unset=True)
    errors = ErrorList()
    bounds = {
        "location_days": ("locationDays", retention_policy.location_min_days, retention_policy.location_max_days),
        "media_days": ("mediaDays", retention_policy.media_min_days, retention_policy.media_max_days),
        "access_log_days": (
            "accessLogDays",
            retention_policy.access_log_min_days,
            retention_policy.access_log_max_days,
        ),
        "coarsen_after_days": (
            "coarsenAfterDays",
            retention_policy.coarsen_min_days,
            retention_policy.coarsen_max_days,
        ),
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
    with reactions.changing(RetentionChanged(account_id=updated.account_id)):
        privacy.put_retention(updated)
    _index_work(privacy, current, updated)
    audit(
        privacy,
        clock,
        account_id=account_id,
        actor=principal.user_id,
        action="retention.updated",
        outcome="saved",
        details={k: v for k, v in update.items()},
    )
    if updated.location_days != current.location_days or updated.access_log_days != current.access_log_days:
        # shorter: stored items go within a day of the change; longer: they are kept to the new end
        start_restamp(account_id=account_id, user_id=None, reason="retention", enqueue=enqueue_data_request)
    return _public(updated, retention_policy)


def _index_work(privacy: PrivacyStore, before: RetentionSettings, after: RetentionSettings) -> None:
    """Data already stored under a longer setting is the purge's work from now on; coarsening turned on is the
    coarsening walk's (core/services/purge_index.py)."""
    at = after.updated_at or datetime.now(UTC)
    for field_name in ("location_days", "media_days", "access_log_days"):
        old, new = getattr(before, field_name), getattr(after, field_name)
        if new is not None and (old is None or new < old):
            mark_due(privacy, account_id=after.account_id, at=at, reason="retention-shortened")
            break
    if after.coarsen_after_days is not None and after.coarsen_after_days != before.coarsen_after_days:
        mark_due(privacy, account_id=after.account_id, at=at, reason="coarsening", queue=COARSENING)


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
    *,
    identity: Identity,
    data: LegalHoldCreate,
    privacy: PrivacyStore,
    accounts: AccountStore,
    clock: Clock,
    enqueue_data_request: Callable[[str], None] | None,
) -> LegalHoldPublic:
    if accounts.get_account(data.account_id) is None:
        raise NotFound()
    hold = LegalHold(
        hold_id=str(uuid.uuid4()),
        account_id=data.account_id,
        user_id=data.user_id,
        reason=data.reason,
        placed_by=identity.user_id,
        placed_at=clock.now(),
    )
    privacy.put_hold(hold)
    audit(
        privacy,
        clock,
        account_id=data.account_id,
        actor=identity.user_id,
        action="legal-hold.placed",
        outcome="active",
        subject_user_id=data.user_id,
        target=hold.hold_id,
    )
    start_restamp(account_id=data.account_id, user_id=data.user_id, reason="hold", enqueue=enqueue_data_request)
    return hold.to_public()


def lift_hold(
    *,
    identity: Identity,
    account_id: str,
    hold_id: str,
    privacy: PrivacyStore,
    clock: Clock,
    enqueue_data_request: Callable[[str], None] | None,
) -> LegalHoldPublic:
    hold = privacy.get_hold(account_id, hold_id)
    if hold is None:
        raise NotFound()
    if hold.active:
        hold = hold.model_copy(update={"lifted_by": identity.user_id, "lifted_at": clock.now()})
        privacy.put_hold(hold)
        # What the hold kept is the purge's work now (at once, not on its own schedule); coarsening resumes too.
        mark_due(privacy, account_id=account_id, at=clock.now(), reason="hold-lifted")
        mark_due(privacy, account_id=account_id, at=clock.now(), reason="hold-lifted", queue=COARSENING)
        audit(
            privacy,
            clock,
            account_id=account_id,
            actor=identity.user_id,
            action="legal-hold.lifted",
            outcome="lifted",
            subject_user_id=hold.user_id,
            target=hold_id,
        )
        # the items get their normal ttl back; those whose end has passed go at once (docs)
        start_restamp(account_id=account_id, user_id=hold.user_id, reason="hold-lifted", enqueue=enqueue_data_request)
    return hold.to_public()


def list_holds(*, account_id: str, privacy: PrivacyStore) -> LegalHoldList:
    return LegalHoldList(
        items=[h.to_public() for h in sorted(privacy.list_holds(account_id), key=lambda h: h.placed_at)]
    )
