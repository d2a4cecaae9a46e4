"""Consent: recording the worker's grants and revocations, and answering "was it granted at that instant?".

The ledger is append-only. Each entry records the policy version in force when it was made (from the policy
versions, core.services.policy.current_policy_version; see docs/tracking.md).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from core.domain.consent import (
    Capability,
    ConsentEntry,
    ConsentsPublic,
    ConsentStatePublic,
    ConsentUpdate,
)
from core.domain.errors import FieldError, ValidationFailed
from core.domain.events import ConsentChanged
from core.domain.identity import Principal
from core.ports import Clock, ConsentLedger, PolicyStore, Reactions
from core.services.policy import current_policy_version


def parse_capability(value: str) -> Capability:
    try:
        return Capability(value)
    except ValueError:
        allowed = ", ".join(c.value for c in Capability)
        raise ValidationFailed(errors=[FieldError("capability", f"must be one of: {allowed}")]) from None


def consent_granted_at(
    *, ledger: ConsentLedger, account_id: str, user_id: str, capability: Capability, at: datetime
) -> bool:
    """Whether the user had granted the capability at that instant (for checks by other areas, e.g. photos)."""
    return ledger.state_at(account_id=account_id, user_id=user_id, capability=capability, at=at)


def _current(entries: list[ConsentEntry], capability: Capability) -> ConsentEntry | None:
    mine = [e for e in entries if e.capability is capability]
    return max(mine, key=lambda e: (e.recorded_at, e.entry_id)) if mine else None


def _state(entries: list[ConsentEntry], capability: Capability) -> ConsentStatePublic:
    last = _current(entries, capability)
    return ConsentStatePublic(
        capability=capability,
        granted=last.granted if last else False,
        since=last.recorded_at if last else None,
        policy_version=last.policy_version if last else None,
    )


def _entry_id(capability: Capability, at: datetime) -> str:
    # Sortable by time within a user's partition; the random tail keeps two entries in one microsecond apart.
    return f"consent-{capability.value}-{at.strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:8]}"


def set_consent(
    *,
    principal: Principal,
    capability: str,
    data: ConsentUpdate,
    consents: ConsentLedger,
    reactions: Reactions,
    clock: Clock,
    policy_version: str,
) -> ConsentStatePublic:
    """Record a grant or revocation, from the app or the portal (`data.source`). Repeating the current state from
    the same device, app and source under the same policy version records nothing new (PUT is idempotent); any
    change is appended."""
    cap = parse_capability(capability)
    entries = consents.history(account_id=principal.account_id, user_id=principal.user_id)
    last = _current(entries, cap)
    if (
        last is not None
        and last.granted == data.granted
        and last.device_id == data.device_id
        and last.app_version == data.app_version
        and last.source is data.source
        and last.policy_version == policy_version
    ):
        return _state(entries, cap)
    now = clock.now()
    entry = ConsentEntry(
        entry_id=_entry_id(cap, now),
        account_id=principal.account_id,
        user_id=principal.user_id,
        capability=cap,
        granted=data.granted,
        recorded_at=now,
        device_id=data.device_id,
        app_version=data.app_version,
        policy_version=policy_version,
        source=data.source,
    )
    with reactions.changing(ConsentChanged(account_id=principal.account_id, user_id=principal.user_id)):
        consents.append(entry)
    return _state([*entries, entry], cap)


def get_consents(*, principal: Principal, consents: ConsentLedger) -> ConsentsPublic:
    entries = sorted(
        consents.history(account_id=principal.account_id, user_id=principal.user_id),
        key=lambda e: (e.recorded_at, e.entry_id),
    )
    return ConsentsPublic(
        current=[_state(entries, cap) for cap in Capability],
        history=[e.to_public() for e in entries],
    )


def record_consent(
    *,
    principal: Principal,
    capability: str,
    data: ConsentUpdate,
    consents: ConsentLedger,
    reactions: Reactions,
    policy: PolicyStore,
    clock: Clock,
) -> ConsentStatePublic:
    """`set_consent` under the policy version in force now (computed from the clock)."""
    return set_consent(
        principal=principal,
        capability=capability,
        data=data,
        consents=consents,
        reactions=reactions,
        clock=clock,
        policy_version=current_policy_version(policy=policy, clock=clock),
    )
