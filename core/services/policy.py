"""Privacy policy versions: posting (immutable, effective no sooner than 30 days later), reading which version is
in force (computed from the clock), acknowledgements, and the daily notice run (one notice per user and version).

The first version is seeded from policy/privacy-policy-2023-06-15.md, lazily and idempotently: every read that
finds no seed creates it with create-if-absent, so no provisioning step is needed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.domain.email import EmailCategory
from core.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from core.domain.identity import Identity, Principal
from core.domain.policy import (
    NOTICE_PERIOD,
    PolicyAcknowledgement,
    PolicyAcknowledgementCreate,
    PolicyAcknowledgementPublic,
    PolicyNow,
    PolicyVersion,
    PolicyVersionCreate,
    PolicyVersionList,
    PolicyVersionPublic,
    PolicyVersionState,
    PolicyVersionSummary,
)
from core.ports import Clock, EmailProfiles, Outbox, PolicyStore
from core.services.outbox import Links, enqueue_email_once

log = logging.getLogger(__name__)

SEED_VERSION_ID = "2023-06-15"
SEED_FILE = Path(__file__).resolve().parents[2] / "policy" / "privacy-policy-2023-06-15.md"
SEED_EFFECTIVE_AT = datetime(2023, 6, 15, tzinfo=UTC)
SEED_SUMMARY = "First published version of the IndusTrack privacy policy."
NOTICE_WINDOW = timedelta(days=30)  # notices keep going out (to late verifiers) until 30 days after a version applies
MAX_VERSIONS_PER_DAY = 99


def seed_version() -> PolicyVersion:
    """The version that ships with the project. Its posting date is taken as 30 days before the date the text
    gives as its last update, so that the 30-day rule holds for it like for every other version."""
    return PolicyVersion(
        version_id=SEED_VERSION_ID,
        text=SEED_FILE.read_text(encoding="utf-8"),
        summary=SEED_SUMMARY,
        posted_at=SEED_EFFECTIVE_AT - NOTICE_PERIOD,
        effective_at=SEED_EFFECTIVE_AT,
        posted_by="seed",
        notify=False,
    )


def ensure_seeded(*, store: PolicyStore) -> bool:
    """Create the seed version if it is missing; answer whether this call created it. Safe to run any time."""
    if store.get_version(SEED_VERSION_ID) is not None:
        return False
    return store.create_version(seed_version())


def _versions(store: PolicyStore) -> list[PolicyVersion]:
    versions = store.list_versions()
    if not any(v.version_id == SEED_VERSION_ID for v in versions):
        ensure_seeded(store=store)
        versions = store.list_versions()
    return sorted(versions, key=lambda v: (v.effective_at, v.posted_at))


def _current(versions: Iterable[PolicyVersion], now: datetime) -> PolicyVersion | None:
    in_force = [v for v in versions if v.effective_at <= now]
    return max(in_force, key=lambda v: (v.effective_at, v.posted_at)) if in_force else None


def _state(version: PolicyVersion, current: PolicyVersion | None, now: datetime) -> PolicyVersionState:
    if version.effective_at > now:
        return PolicyVersionState.UPCOMING
    if current is not None and version.version_id == current.version_id:
        return PolicyVersionState.CURRENT
    return PolicyVersionState.SUPERSEDED


def _public(version: PolicyVersion, state: PolicyVersionState) -> PolicyVersionPublic:
    return PolicyVersionPublic(
        version_id=version.version_id,
        summary=version.summary,
        posted_at=version.posted_at,
        effective_at=version.effective_at,
        state=state,
        text=version.text,
    )


def current_policy_version(*, policy: PolicyStore, clock: Clock) -> str:
    """The id of the version in force now (for consent records and the like)."""
    current = _current(_versions(policy), clock.now())
    return current.version_id if current is not None else SEED_VERSION_ID


def policy_now(*, policy: PolicyStore, clock: Clock) -> PolicyNow:
    now = clock.now()
    versions = _versions(policy)
    current = _current(versions, now)
    upcoming = [v for v in versions if v.effective_at > now]
    return PolicyNow(
        current=_public(current, PolicyVersionState.CURRENT) if current else None,
        upcoming=_public(upcoming[0], PolicyVersionState.UPCOMING) if upcoming else None,
    )


def list_versions(*, policy: PolicyStore, clock: Clock) -> PolicyVersionList:
    now = clock.now()
    versions = _versions(policy)
    current = _current(versions, now)
    items = [
        PolicyVersionSummary(
            version_id=v.version_id,
            summary=v.summary,
            posted_at=v.posted_at,
            effective_at=v.effective_at,
            state=_state(v, current, now),
        )
        for v in sorted(versions, key=lambda v: (v.effective_at, v.posted_at), reverse=True)
    ]
    return PolicyVersionList(items=items)


def get_version(*, version_id: str, policy: PolicyStore, clock: Clock) -> PolicyVersionPublic:
    now = clock.now()
    versions = _versions(policy)
    found = next((v for v in versions if v.version_id == version_id), None)
    if found is None:
        raise NotFound()
    return _public(found, _state(found, _current(versions, now), now))


def post_version(
    *, identity: Identity, data: PolicyVersionCreate, policy: PolicyStore, clock: Clock
) -> PolicyVersionPublic:
    """Platform admin: post a new version. It applies `NOTICE_PERIOD` after now, or later if asked; it can never
    apply sooner, never before a version posted earlier, and it is never edited afterwards."""
    now = clock.now()
    earliest = now + NOTICE_PERIOD
    effective_at = data.effective_at or earliest
    if effective_at.tzinfo is None:
        raise ValidationFailed(errors=[FieldError("effectiveAt", "must include a time zone offset")])
    if effective_at < earliest:
        raise ValidationFailed(errors=[FieldError("effectiveAt", "must be at least 30 days after posting")])
    versions = _versions(policy)
    latest = max((v.effective_at for v in versions), default=None)
    if latest is not None and effective_at < latest:
        raise Conflict("A version posted earlier takes effect later; the new one must not take effect before it.")
    day = now.date().isoformat()
    taken = {v.version_id for v in versions}
    for n in range(1, MAX_VERSIONS_PER_DAY + 1):
        version_id = day if n == 1 else f"{day}.{n}"
        if version_id in taken:
            continue
        version = PolicyVersion(
            version_id=version_id,
            text=data.text,
            summary=data.summary,
            posted_at=now,
            effective_at=effective_at,
            posted_by=identity.user_id,
        )
        if policy.create_version(version):
            log.info("policy version %s posted; effective %s", version_id, effective_at.isoformat())
            return _public(version, PolicyVersionState.UPCOMING)
    raise Conflict("Too many versions posted today.")


def acknowledge(
    *, principal: Principal, data: PolicyAcknowledgementCreate, policy: PolicyStore, clock: Clock
) -> PolicyAcknowledgementPublic:
    """Record that the caller saw a version in an app (the latest time per version and app is kept)."""
    if not any(v.version_id == data.version_id for v in _versions(policy)):
        raise ValidationFailed(errors=[FieldError("versionId", "no such policy version")])
    ack = PolicyAcknowledgement(
        user_id=principal.user_id,
        account_id=principal.account_id,
        version_id=data.version_id,
        app=data.app,
        at=clock.now(),
    )
    policy.put_acknowledgement(ack)
    return PolicyAcknowledgementPublic(version_id=ack.version_id, app=ack.app, at=ack.at)


def notice_id(version_id: str, user_id: str) -> str:
    return f"notice-{version_id}-{user_id}"


def notice_window_end(version: PolicyVersion, *, outbox_keep_days: int) -> datetime:
    """Until when notices for a version go out: 30 days after it applies, but never once its first notices may
    have been purged from the outbox (RETENTION_OUTBOX_DAYS), so a purge can never cause a second notice."""
    return min(version.effective_at + NOTICE_WINDOW, version.posted_at + timedelta(days=outbox_keep_days - 1))


def send_policy_notices(
    *,
    policy: PolicyStore,
    email_profiles: EmailProfiles,
    outbox: Outbox,
    email_links: Links,
    clock: Clock,
    outbox_keep_days: int,
    workers: int = 8,
) -> int:
    """Timer work: queue one notice per (user, version) to every user with a verified address (or their last
    verified one) for each version that needs notices. The outbox id is `notice-{version}-{user}`, created with
    create-if-absent, so a second or overlapping run, or a redelivered message, never sends a second notice.
    Notices that exist already are skipped from one listing per version; the rest are written `workers` at a time.
    Answer how many notices this run wrote (existing ones are not counted)."""
    now = clock.now()
    due = [
        v
        for v in _versions(policy)
        if v.notify and v.posted_at <= now < notice_window_end(v, outbox_keep_days=outbox_keep_days)
    ]
    if not due:
        return 0
    done = {v.version_id: outbox.ids_with_prefix(f"notice-{v.version_id}-") for v in due}

    def notify(version: PolicyVersion, user_id: str) -> bool:
        _, created = enqueue_email_once(
            outbox=outbox,
            category=EmailCategory.LEGAL,
            template="policy-notice",
            to_user_id=user_id,
            context={
                "version_id": version.version_id,
                "summary": version.summary,
                "effective_date": version.effective_at.date().isoformat(),
                "policy_url": email_links.api(f"policy/versions/{version.version_id}"),
            },
            dedupe_key=notice_id(version.version_id, user_id),
            clock=clock,
        )
        return created

    written = 0
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="notices") as pool:
        pending: list[Future[bool]] = []
        for status in email_profiles.verified_recipients():
            for version in due:
                if status.created_at >= version.effective_at:
                    continue  # the user arrived when this version already applied: it is not a change for them
                if notice_id(version.version_id, status.user_id) in done[version.version_id]:
                    continue
                pending.append(pool.submit(notify, version, status.user_id))
            if len(pending) >= 4 * workers:
                written += sum(f.result() for f in pending)
                pending = []
        written += sum(f.result() for f in pending)
    log.info("policy notices: %d new for %d version(s)", written, len(due))
    return written
