"""Location tracking, write side: tracking schedules and the ingest call.

The queue-triggered pings writer: core/services/ping_writer.py. Read side (tracks, latest positions):
core/services/tracks.py. See docs/tracking.md.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from core.domain.accounts import Account, AccountStatus
from core.domain.consent import Capability, state_in
from core.domain.errors import Forbidden
from core.domain.events import TrackingScheduleChanged
from core.domain.identity import Principal
from core.domain.tracking import (
    DroppedCounts,
    IngestResult,
    Ping,
    PingBatch,
    PingIn,
    PingRejection,
    TrackingSchedule,
    TrackingSchedulePublic,
    TrackingScheduleUpdate,
)
from core.domain.tracking_formats import encode_ping_messages
from core.ports import Clock, PingQueue, Reactions, TrackingScheduleStore
from core.services.retention import RetentionPolicy
from core.services.suspension import Addition, suspended_error

if TYPE_CHECKING:
    from core.services.ingest_gate import IngestFacts, IngestGateKeeper

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- tracking schedule


def _schedule_public(schedule: TrackingSchedule | None) -> TrackingSchedulePublic:
    if schedule is None:
        return TrackingSchedulePublic(restricted=False)
    return TrackingSchedulePublic(
        restricted=True, time_zone=schedule.time_zone, windows=schedule.windows, updated_at=schedule.updated_at
    )


def put_schedule(
    *,
    principal: Principal,
    data: TrackingScheduleUpdate,
    tracking_schedules: TrackingScheduleStore,
    reactions: Reactions,
    clock: Clock,
) -> TrackingSchedulePublic:
    """The worker's own windows, in force from now: pings taken from now on are judged by them, pings taken earlier
    (even when they arrive later) by the windows in force when they were taken. Pings already stored stay."""
    schedule = TrackingSchedule(
        account_id=principal.account_id,
        user_id=principal.user_id,
        time_zone=data.time_zone,
        windows=data.windows,
        updated_at=clock.now(),
    )
    with reactions.changing(TrackingScheduleChanged(account_id=principal.account_id, user_id=principal.user_id)):
        tracking_schedules.put_schedule(schedule)
    return _schedule_public(schedule)


def get_schedule(*, principal: Principal, tracking_schedules: TrackingScheduleStore) -> TrackingSchedulePublic:
    return _schedule_public(tracking_schedules.get_schedule(account_id=principal.account_id, user_id=principal.user_id))


def delete_schedule(*, principal: Principal, tracking_schedules: TrackingScheduleStore, reactions: Reactions) -> None:
    """Back to "whenever location access is granted", from now (earlier pings keep the windows of their time)."""
    with reactions.changing(TrackingScheduleChanged(account_id=principal.account_id, user_id=principal.user_id)):
        tracking_schedules.delete_schedule(account_id=principal.account_id, user_id=principal.user_id)


# ---------------------------------------------------------------- ingest


def _ensure_active(account: Account | None) -> None:
    if account is None or account.status is not AccountStatus.ACTIVE:
        raise Forbidden("This account is not active; location pings are not accepted.")


def ensure_may_ingest(*, principal: Principal, ingest_gate: IngestGateKeeper) -> IngestFacts:
    """What an ingest call decides with, read through the ingest gate (one request in the common case; the sources
    when the gate cannot be trusted: core/services/ingest_gate.py). Refuses (403) an account that is not active, and
    (`account-suspended`) one that billing suspended (the rule: core/services/suspension.py)."""
    facts = ingest_gate.facts_for_ingest(account_id=principal.account_id, user_id=principal.user_id)
    _ensure_active(facts.account)
    if facts.account_facts.suspended:
        raise suspended_error(Addition.PINGS)
    return facts


def _raw_id(raw: Any) -> str | None:
    value = raw.get("id") if isinstance(raw, dict) else None
    return value[:64] if isinstance(value, str) else None


def _rejection(index: int, raw: Any, exc: ValidationError) -> PingRejection:
    first = exc.errors(include_url=False, include_input=False, include_context=False)[0]
    field = ".".join(str(part) for part in first["loc"]) or "ping"
    return PingRejection(index=index, ping_id=_raw_id(raw), field=field, reason=first["msg"])


def _to_millis(t: datetime) -> datetime:
    t = t.astimezone(UTC)
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


@dataclass(frozen=True)
class Screened:
    """What one ingest call decided, with what the device counters need beyond the public answer: the pings queued
    for storage, how many were refused as older than retention or in the future, and the facts decided with."""

    result: IngestResult
    kept: list[Ping]
    too_old: int
    in_future: int
    facts: IngestFacts


def ingest_pings(
    *,
    principal: Principal,
    batch: PingBatch,
    ingest_gate: IngestGateKeeper,
    retention_policy: RetentionPolicy,
    ping_queue: PingQueue,
    clock: Clock,
    future_skew: timedelta,
) -> IngestResult:
    """`POST /api/me/locations`: see `screen_pings`."""
    return screen_pings(
        principal=principal,
        batch=batch,
        ingest_gate=ingest_gate,
        retention_policy=retention_policy,
        ping_queue=ping_queue,
        clock=clock,
        future_skew=future_skew,
    ).result


def screen_pings(
    *,
    principal: Principal,
    batch: PingBatch,
    ingest_gate: IngestGateKeeper,
    retention_policy: RetentionPolicy,
    ping_queue: PingQueue,
    clock: Clock,
    future_skew: timedelta,
) -> Screened:
    """Check each ping, keep only those taken while location access was granted and inside the worker's windows,
    and queue them for the writer. Nothing is stored here; the answer counts what happened to each ping. Pings
    inside the worker's private zones in force at their time are withheld (docs/private-zones.md): only their ids
    and times reach the queue. Everything the call decides with comes through the ingest gate, one request in the
    common case (docs/tracking.md); `retention_policy` is the app's default retention, for an account that never
    saved its own. Duplicates are the repeats within the call; a ping sent again in another call is queued again
    and the writer's idempotent write stores it once."""
    facts = ensure_may_ingest(principal=principal, ingest_gate=ingest_gate)
    stored_days = facts.account_facts.location_days
    retention_days = stored_days if stored_days is not None else retention_policy.location_days
    member = facts.member_facts
    now = clock.now()
    oldest, newest = now - timedelta(days=retention_days), now + future_skew

    rejected: list[PingRejection] = []
    valid: list[Ping] = []
    too_old = in_future = 0
    for index, raw in enumerate(batch.pings):
        try:
            ping_in = PingIn.model_validate(raw)
        except ValidationError as exc:
            rejected.append(_rejection(index, raw, exc))
            continue
        t = _to_millis(ping_in.timestamp)
        if t > newest:
            in_future += 1
            reason = f"is in the future (more than {int(future_skew.total_seconds())} s ahead of the server clock)"
            rejected.append(PingRejection(index=index, ping_id=str(ping_in.id), field="timestamp", reason=reason))
        elif t < oldest:
            too_old += 1
            reason = f"is older than the account's location retention ({retention_days} days)"
            rejected.append(PingRejection(index=index, ping_id=str(ping_in.id), field="timestamp", reason=reason))
        else:
            valid.append(Ping.from_in(ping_in, t))

    duplicates = 0
    unique: dict[str, Ping] = {}
    for p in valid:
        if p.ping_id in unique:
            duplicates += 1
        else:
            unique[p.ping_id] = p

    no_consent = outside_window = 0
    allowed: list[Ping] = []
    for p in unique.values():
        if not state_in(member.location_consents, capability=Capability.LOCATION, at=p.t):
            no_consent += 1
        elif not member.windows_allow(p.t):  # the windows in force at the ping's own time
            outside_window += 1
        else:
            allowed.append(p)
    kept, withheld = member.zones.split(allowed)  # decided again by the writer: docs/tracking.md, "Private zones"

    kept.sort(key=lambda p: p.t)
    withheld.sort(key=lambda p: p.t)  # only their ids and times reach the queue: the writer records the gap
    for text in encode_ping_messages(principal.account_id, principal.user_id, kept, withheld=withheld):
        ping_queue.send(text)
    result = IngestResult(
        received=len(batch.pings),
        accepted=len(kept),
        duplicates=duplicates,
        dropped=DroppedCounts(no_consent=no_consent, outside_window=outside_window, private_zone=len(withheld)),
        rejected_count=len(rejected),
        rejected=rejected,
    )
    return Screened(result=result, kept=kept, too_old=too_old, in_future=in_future, facts=facts)
