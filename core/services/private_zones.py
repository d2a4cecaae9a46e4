"""Private zones (issue 20, docs/private-zones.md): the worker's own zones; the owner learns only how many.

The rules (which pings a zone withholds, versioning, the secret margin and shift) are core/domain/private_zones.py;
the ingest call and the pings writer apply them (core/services/tracking.py).
"""

from __future__ import annotations

import logging
import uuid

from core.domain.errors import Conflict, NotFound
from core.domain.identity import Principal
from core.domain.private_zones import (
    MAX_ACTIVE_ZONES,
    PrivateZoneCount,
    PrivateZoneIn,
    PrivateZoneList,
    PrivateZonePublic,
    PrivateZones,
    new_zone,
)
from core.ports import AccountStore, Clock, PrivateZoneStore

log = logging.getLogger(__name__)
_ATTEMPTS = 5  # optimistic writes: read, change, write if unchanged; again on a concurrent change


def _listing(zones: PrivateZones) -> PrivateZoneList:
    return PrivateZoneList(items=[z.to_public() for z in zones.active()])


def list_zones(*, principal: Principal, zones: PrivateZoneStore) -> PrivateZoneList:
    return _listing(zones.get_zones(account_id=principal.account_id, user_id=principal.user_id))


def add_zone(*, principal: Principal, data: PrivateZoneIn, zones: PrivateZoneStore, clock: Clock) -> PrivateZonePublic:
    """A new zone in force from now (pings taken before now are not affected). 409 beyond the maximum."""
    for _ in range(_ATTEMPTS):
        current = zones.get_zones(account_id=principal.account_id, user_id=principal.user_id)
        if len(current.active()) >= MAX_ACTIVE_ZONES:
            raise Conflict(f"At most {MAX_ACTIVE_ZONES} private zones may be in force; remove one first.")
        zone = new_zone(zone_id=str(uuid.uuid4()), data=data, at=clock.now())
        current.add(zone)
        try:
            zones.save_zones(current)
        except Conflict:
            continue
        log.info("private zone added; %d in force", len(current.active()))
        return zone.to_public()
    raise Conflict("The private zones kept changing; try again.")


def remove_zone(*, principal: Principal, zone_id: str, zones: PrivateZoneStore, clock: Clock) -> None:
    """End a zone from now on: pings taken while it was in force stay withheld; 404 when no such zone is in force."""
    for _ in range(_ATTEMPTS):
        current = zones.get_zones(account_id=principal.account_id, user_id=principal.user_id)
        if not current.remove(zone_id, clock.now()):
            raise NotFound()
        try:
            zones.save_zones(current)
        except Conflict:
            continue
        return
    raise Conflict("The private zones kept changing; try again.")


def count_member_zones(*, principal: Principal, account_id: str, user_id: str, accounts: AccountStore,
                       zones: PrivateZoneStore) -> PrivateZoneCount:
    """How many zones a member has in force: the owner (or the member) sees the count, never where."""
    principal.require_self_or_owner(account_id, user_id)
    if accounts.get_member(account_id, user_id) is None:
        raise NotFound()
    return PrivateZoneCount(count=len(zones.get_zones(account_id=account_id, user_id=user_id).active()))
