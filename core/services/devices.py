"""Device tokens (make, list, revoke) and pings from existing tracking apps (docs/devices.md).

Every ping an app sends goes through `core.services.tracking.ingest_pings`, the use case behind
`POST /api/me/locations`: the same consent, windows, retention, future-skew, suspension and dedupe rules.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.domain.accounts import MemberStatus
from core.domain.consent import Capability, state_in
from core.domain.device_protocols import Heartbeat, ParsedPings, owntracks_waypoints, waypoints_version
from core.domain.devices import (
    DEVICE_ID_PREFIX,
    MAX_DEVICES_PER_MEMBER,
    TOKEN_BYTES,
    TOKEN_PREFIX,
    AccountDevice,
    AccountDeviceList,
    AccountDeviceQuery,
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
from core.ports import AccountStore, Clock, DeviceStore, JobSiteStore, MemberRowSource, PingQueue
from core.services.device_auth import DeviceCaller
from core.services.ingest_gate import IngestFacts, IngestGateKeeper
from core.services.paging import PageTokens
from core.services.retention import RetentionPolicy
from core.services.tracking import Screened, ensure_may_ingest, screen_pings

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
    *,
    principal: Principal,
    account_id: str,
    query: AccountDeviceQuery,
    devices: DeviceStore,
    member_rows: MemberRowSource,
    page_tokens: PageTokens,
) -> AccountDeviceList:
    """The owner's view: the devices of the account's current members with each member's name, by device id,
    paged. Two requests a page, each bounded by the page whatever the number of members: the devices query across
    members' partitions and the profiles of the members the page names (for names, and to leave out removed
    members' devices)."""
    principal.require_owner_of(account_id)
    scope = ("account-devices", account_id)
    found, after = devices.list_for_account(
        account_id, after=page_tokens.open(scope, query.continuation), limit=query.limit
    )
    named = member_rows.members_by_ids(account_id, sorted({d.user_id for d in found}))
    names = {m.user_id: m.full_name for m in named if m.status is MemberStatus.ACTIVE}
    items = [AccountDevice.of_member(d, names[d.user_id]) for d in found if d.user_id in names]
    return AccountDeviceList(items=items, continuation=page_tokens.seal(scope, after))


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


def _battery(
    screened: Screened | None, beat: Heartbeat | None, facts: IngestFacts | None, now: datetime
) -> tuple[float, datetime] | None:
    """The newest battery level this call may record: from the pings queued for storage, or from a heartbeat taken
    while location access was granted and inside the member's windows (a heartbeat outside them tells nothing
    new to anyone: it is counted, its battery is not kept)."""
    best: tuple[float, datetime] | None = None
    for ping in screened.kept if screened else []:
        if ping.bat is not None and (best is None or ping.t > best[1]):
            best = (float(ping.bat), ping.t)
    if beat is not None and beat.battery is not None and facts is not None:
        t = min(beat.t or now, now)
        member = facts.member_facts
        allowed = state_in(member.location_consents, capability=Capability.LOCATION, at=t) and member.windows_allow(t)
        if allowed and (best is None or t > best[1]):
            best = (beat.battery, t)
    return best


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
    """Run the app's pings through the ingest use case and count what happened on the device's record, in the one
    write the call already makes (counters, last seen, last battery: no read or write per ping). The app is
    answered success whatever was dropped (it cannot act on a refusal); the member and the owner see the counts. A
    call without pings (a heartbeat, a message without a location) is refused like one with pings when the
    account may not send any.

    OwnTracks: the job sites that apply to the member go back as a `setWaypoints` command, only when they differ
    from what this device last received (a digest on the device record; one sites query per call)."""
    principal = caller.principal
    now = clock.now()
    screened: Screened | None = None
    if parsed.pings:
        screened = screen_pings(
            principal=principal,
            batch=PingBatch(pings=parsed.pings),
            ingest_gate=ingest_gate,
            retention_policy=retention_policy,
            ping_queue=ping_queue,
            clock=clock,
            future_skew=future_skew,
        )
        facts = screened.facts
    else:
        facts = ensure_may_ingest(principal=principal, ingest_gate=ingest_gate)
    counters = DeviceCounters(
        received=len(parsed.pings) + len(parsed.problems),
        ignored=parsed.ignored,
        rejected=len(parsed.problems),
        heartbeats=parsed.heartbeats,
    )
    result = screened.result if screened else None
    if screened is not None and result is not None:
        counters = counters.plus(
            DeviceCounters(
                accepted=result.accepted,
                duplicates=result.duplicates,
                no_consent=result.dropped.no_consent,
                outside_window=result.dropped.outside_window,
                private_zone=result.dropped.private_zone,
                rejected=result.rejected_count,
                too_old=screened.too_old,
                in_future=screened.in_future,
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
        at=now,
        protocol=protocol,
        waypoints_version=waypoints_version(command) if command else None,
        battery=_battery(screened, parsed.heartbeat, facts, now),
    )
    if command is not None and changed:
        log.info("job sites sent to an OwnTracks device as %d waypoint(s)", len(command["waypoints"]["waypoints"]))
        return DeviceIngest(result=result, commands=[command])
    return DeviceIngest(result=result)
