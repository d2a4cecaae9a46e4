"""Device tokens (make, list, revoke) and pings from existing tracking apps (docs/devices.md).

Every ping an app sends goes through `core.services.tracking.ingest_pings`, the use case behind
`POST /api/me/locations`: the same consent, windows, retention, future-skew, suspension and dedupe rules.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from core.domain.accounts import MemberStatus
from core.domain.device_protocols import ParsedPings, owntracks_waypoints, waypoints_version
from core.domain.devices import (
    DEVICE_ID_PREFIX,
    MAX_DEVICES_PER_MEMBER,
    TOKEN_BYTES,
    TOKEN_PREFIX,
    AppProtocol,
    Device,
    DeviceCounters,
    DeviceCreate,
    DeviceCreated,
    DeviceList,
    DevicePublic,
    token_hash,
)
from core.domain.errors import Conflict, NotFound
from core.domain.identity import Principal
from core.domain.tracking import IngestResult, PingBatch
from core.ports import AccountStore, Clock, DeviceStore, JobSiteStore, PingQueue
from core.services.device_auth import DeviceCaller
from core.services.ingest_gate import IngestGateKeeper
from core.services.retention import RetentionPolicy
from core.services.tracking import ensure_may_ingest, ingest_pings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeviceIngest:
    """What an app's call did (None: no pings in it), and the commands to answer it with (OwnTracks)."""

    result: IngestResult | None
    commands: list[dict[str, Any]] = field(default_factory=list)


# ---------------------------------------------------------------- tokens


def create_device(*, principal: Principal, data: DeviceCreate, devices: DeviceStore, clock: Clock) -> DeviceCreated:
    """A new token for the caller's own pings. The token is answered once and only its hash is stored."""
    active = [d for d in devices.list_for_user(principal.user_id) if d.active]
    if len(active) >= MAX_DEVICES_PER_MEMBER:
        raise Conflict(f"At most {MAX_DEVICES_PER_MEMBER} active devices per member; revoke one first.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    device = Device(
        device_id=DEVICE_ID_PREFIX + secrets.token_hex(8),
        account_id=principal.account_id,
        user_id=principal.user_id,
        name=data.name,
        token_hash=token_hash(token),
        created_at=clock.now(),
        created_by=principal.user_id,
    )
    devices.create(device)
    log.info("device created for a member (%d active)", len(active) + 1)
    return DeviceCreated(**DevicePublic.of(device).model_dump(), token=token)


def list_my_devices(*, principal: Principal, devices: DeviceStore) -> DeviceList:
    mine = [d for d in devices.list_for_user(principal.user_id) if d.account_id == principal.account_id]
    return DeviceList(items=[DevicePublic.of(d) for d in mine])


def _revoke(device: Device, *, by: Principal, devices: DeviceStore, clock: Clock) -> None:
    """The store marks the device revoked, then deletes its token lookup. A crash between the two leaves a lookup
    whose device is revoked: `device_auth.authenticate` refuses it (the `active` check), and revoking again
    redoes the store's writes, keeping the first time and author, so the lookup goes too."""
    if device.active:
        device = device.model_copy(update={"revoked_at": clock.now(), "revoked_by": by.user_id})
    devices.revoke(device)


def revoke_my_device(*, principal: Principal, device_id: str, devices: DeviceStore, clock: Clock) -> None:
    """Effective on the device's next request. Revoking twice is a no-op; another member's device is 404."""
    device = devices.get(user_id=principal.user_id, device_id=device_id)
    if device is None or device.account_id != principal.account_id:
        raise NotFound()
    _revoke(device, by=principal, devices=devices, clock=clock)


def list_account_devices(
    *, principal: Principal, account_id: str, accounts: AccountStore, devices: DeviceStore
) -> DeviceList:
    """The owner's view: every device of the account's current members."""
    principal.require_owner_of(account_id)
    items: list[DevicePublic] = []
    for member in accounts.list_members(account_id):
        if member.status is MemberStatus.ACTIVE:
            items += [DevicePublic.of(d) for d in devices.list_for_user(member.user_id) if d.account_id == account_id]
    return DeviceList(items=items)


def revoke_member_device(
    *,
    principal: Principal,
    account_id: str,
    user_id: str,
    device_id: str,
    accounts: AccountStore,
    devices: DeviceStore,
    clock: Clock,
) -> None:
    principal.require_owner_of(account_id)
    member = accounts.get_member(account_id, user_id)
    device = devices.get(user_id=user_id, device_id=device_id) if member is not None else None
    if device is None or device.account_id != account_id:
        raise NotFound()
    _revoke(device, by=principal, devices=devices, clock=clock)


# ---------------------------------------------------------------- pings from an app


def ingest_from_device(
    *,
    caller: DeviceCaller,
    parsed: ParsedPings,
    protocol: AppProtocol,
    devices: DeviceStore,
    job_sites: JobSiteStore,
    ingest_gate: IngestGateKeeper,
    retention_policy: RetentionPolicy,
    ping_queue: PingQueue,
    clock: Clock,
    future_skew: timedelta,
) -> DeviceIngest:
    """Run the app's pings through the ingest use case and count what happened on the device's record. The app
    is answered success whatever was dropped (it cannot act on a refusal); the member sees the counts. A call
    without pings is refused like one with pings when the account may not send any.

    OwnTracks: the job sites that apply to the member go back as a `setWaypoints` command, only when they differ
    from what this device last received (a digest on the device record; one sites query per call)."""
    principal = caller.principal
    result: IngestResult | None = None
    if parsed.pings:
        result = ingest_pings(
            principal=principal,
            batch=PingBatch(pings=parsed.pings),
            ingest_gate=ingest_gate,
            retention_policy=retention_policy,
            ping_queue=ping_queue,
            clock=clock,
            future_skew=future_skew,
        )
    else:
        ensure_may_ingest(principal=principal, ingest_gate=ingest_gate)
    counters = DeviceCounters(
        received=len(parsed.pings) + len(parsed.problems), ignored=parsed.ignored, rejected=len(parsed.problems)
    )
    if result is not None:
        counters = counters.plus(
            DeviceCounters(
                accepted=result.accepted,
                duplicates=result.duplicates,
                no_consent=result.dropped.no_consent,
                outside_window=result.dropped.outside_window,
                private_zone=result.dropped.private_zone,
                rejected=result.rejected_count,
            )
        )
    command: dict[str, Any] | None = None
    if protocol is AppProtocol.OWNTRACKS:
        last = parsed.pings[-1] if parsed.pings else None
        near = (float(last["latitude"]), float(last["longitude"])) if last else None
        command = owntracks_waypoints(job_sites.sites_for_member(principal.account_id, principal.user_id), near)
    changed = devices.record_use(
        user_id=principal.user_id,
        device_id=caller.device_id,
        counters=counters,
        at=clock.now(),
        protocol=protocol,
        waypoints_version=waypoints_version(command) if command else None,
    )
    if command is not None and changed:
        log.info("job sites sent to an OwnTracks device as %d waypoint(s)", len(command["waypoints"]["waypoints"]))
        return DeviceIngest(result=result, commands=[command])
    return DeviceIngest(result=result)
