"""Private zones (issue 20, docs/private-zones.md): the worker's own zones; the owner learns only how many.

The rules (which pings a zone withholds, versioning, the secret margin and shift) are core/domain/private_zones.py;
the ingest call and the pings writer apply them (core/services/tracking.py).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections import defaultdict
from datetime import date, timedelta

from core.domain.errors import Conflict, NotFound
from core.domain.events import PrivateZonesChanged
from core.domain.identity import Principal
from core.domain.images import LocationNotRemovable
from core.domain.privacy import LegalHold
from core.domain.private_zones import (
    MAX_ACTIVE_ZONES,
    ApplyToHistoryIn,
    HistoryApplied,
    HistoryAppliedPublic,
    PrivateZone,
    PrivateZoneCount,
    PrivateZoneIn,
    PrivateZoneList,
    PrivateZonePublic,
    PrivateZones,
    WithheldPing,
    new_zone,
)
from core.domain.tracking import Ping
from core.ports import (
    AccountStore,
    Clock,
    ImageCodec,
    LatestPositionStore,
    MediaStore,
    PhotoBlobs,
    PingStore,
    PrivacyStore,
    PrivateZoneStore,
    Reactions,
    WithheldPingStore,
)
from core.services import legal_holds
from core.services.retention import RetentionPolicy, audit, effective_settings

log = logging.getLogger(__name__)
_ATTEMPTS = 5  # optimistic writes: read, change, write if unchanged; again on a concurrent change


def _listing(zones: PrivateZones) -> PrivateZoneList:
    return PrivateZoneList(items=[z.to_public() for z in zones.active()])


def list_zones(*, principal: Principal, private_zones: PrivateZoneStore) -> PrivateZoneList:
    return _listing(private_zones.get_zones(account_id=principal.account_id, user_id=principal.user_id))


def _save(zones: PrivateZones, private_zones: PrivateZoneStore, reactions: Reactions) -> None:
    """Every save of a member's zones is a change the ingest gate follows (core/services/reactions.py)."""
    with reactions.changing(PrivateZonesChanged(account_id=zones.account_id, user_id=zones.user_id)):
        private_zones.save_zones(zones)


def add_zone(
    *,
    principal: Principal,
    data: PrivateZoneIn,
    private_zones: PrivateZoneStore,
    reactions: Reactions,
    clock: Clock,
) -> PrivateZonePublic:
    """A new zone in force from now (pings taken before now are not affected). 409 beyond the maximum."""
    for _ in range(_ATTEMPTS):
        current = private_zones.get_zones(account_id=principal.account_id, user_id=principal.user_id)
        if len(current.active()) >= MAX_ACTIVE_ZONES:
            raise Conflict(f"At most {MAX_ACTIVE_ZONES} private zones may be in force; remove one first.")
        zone = new_zone(zone_id=str(uuid.uuid4()), data=data, at=clock.now())
        current.add(zone)
        try:
            _save(current, private_zones, reactions)
        except Conflict:
            continue
        log.info("private zone added; %d in force", len(current.active()))
        return zone.to_public()
    raise Conflict("The private zones kept changing; try again.")


def remove_zone(
    *, principal: Principal, zone_id: str, private_zones: PrivateZoneStore, reactions: Reactions, clock: Clock
) -> None:
    """End a zone from now on: pings taken while it was in force stay withheld; 404 when no such zone is in force."""
    for _ in range(_ATTEMPTS):
        current = private_zones.get_zones(account_id=principal.account_id, user_id=principal.user_id)
        if not current.remove(zone_id, clock.now()):
            raise NotFound()
        try:
            _save(current, private_zones, reactions)
        except Conflict:
            continue
        return
    raise Conflict("The private zones kept changing; try again.")


def count_member_zones(
    *, principal: Principal, account_id: str, user_id: str, accounts: AccountStore, private_zones: PrivateZoneStore
) -> PrivateZoneCount:
    """How many zones a member has in force: the owner (or the member) sees the count, never where."""
    principal.require_self_or_owner(account_id, user_id)
    if accounts.get_member(account_id, user_id) is None:
        raise NotFound()
    return PrivateZoneCount(count=len(private_zones.get_zones(account_id=account_id, user_id=user_id).active()))


# ---------------------------------------------------------------- applying a zone to stored history


def _start_application(
    *, principal: Principal, zone_id: str, zones: PrivateZoneStore, reactions: Reactions, clock: Clock
) -> PrivateZone:
    """The zone, with its application recorded as asked for (once: a retry finds it)."""
    for _ in range(_ATTEMPTS):
        current = zones.get_zones(account_id=principal.account_id, user_id=principal.user_id)
        zone = current.find_active(zone_id)
        if zone is None:
            raise NotFound()
        if zone.history_applied is not None:
            return zone
        zone.history_applied = HistoryApplied(requested_at=clock.now())
        try:
            _save(current, zones, reactions)
        except Conflict:
            continue
        return zone
    raise Conflict("The private zones kept changing; try again.")


def _finish_application(
    *, principal: Principal, zone_id: str, result: HistoryApplied, zones: PrivateZoneStore, reactions: Reactions
) -> PrivateZone:
    for _ in range(_ATTEMPTS):
        current = zones.get_zones(account_id=principal.account_id, user_id=principal.user_id)
        zone = next((z for z in current.zones if z.zone_id == zone_id), None)
        if zone is None:  # erased meanwhile: nothing left to record on
            raise NotFound()
        if zone.history_applied is not None and zone.history_applied.completed_at is not None:
            return zone
        zone.history_applied = result
        try:
            _save(current, zones, reactions)
        except Conflict:
            continue
        return zone
    raise Conflict("The private zones kept changing; try again.")


def _clear_note_places(
    *, principal: Principal, zone: PrivateZone, media: MediaStore, clock: Clock, dry_run: bool = False
) -> int:
    """Notes with a place inside the zone lose it; with `dry_run` they are only counted."""
    cleared, continuation = 0, None
    while True:
        page = media.list_notes(
            account_id=principal.account_id,
            user_id=principal.user_id,
            start=None,
            end=None,
            continuation=continuation,
            limit=200,
        )
        for note in page.notes:
            if note.place is not None and zone.withholds(note.place.latitude, note.place.longitude):
                if dry_run:
                    cleared += 1
                    continue
                changed = note.model_copy(update={"place": None, "updated_at": clock.now()})
                cleared += media.replace_note_if_unchanged(changed, expected=note)  # an edit meanwhile: theirs wins
        continuation = page.continuation
        if not continuation:
            return cleared


def _clear_photo_places(
    *, principal: Principal, zone: PrivateZone, media: MediaStore, blobs: PhotoBlobs, image_codec: ImageCodec
) -> int:
    """Ready photos with a position inside the zone: the original loses every position in its metadata (as without
    location consent; an original whose position cannot be removed is deleted, the copies carry no metadata), then
    the record loses its location."""
    cleared, continuation = 0, None
    while True:
        page = media.list_photos(
            account_id=principal.account_id,
            user_id=principal.user_id,
            start=None,
            end=None,
            continuation=continuation,
            limit=100,
        )
        for photo in page.photos:
            where = photo.location
            if where is None or not zone.withholds(where.latitude, where.longitude):
                continue
            update: dict[str, object] = {"location": None}
            data = blobs.read_photo_blob(photo.original_blob) if photo.original_blob else None
            if data is not None and photo.original_blob:
                try:
                    stripped = image_codec.without_location(data, declared=photo.declared_type)
                    blobs.put_photo_blob(photo.original_blob, stripped, content_type=photo.declared_type.value)
                    update["sha256"] = hashlib.sha256(stripped).hexdigest()
                except LocationNotRemovable:
                    blobs.delete_photo_blob(photo.original_blob)
                    update["original_blob"] = None
            cleared += media.replace_photo_if_unchanged(photo.model_copy(update=update), expected=photo)
        continuation = page.continuation
        if not continuation:
            return cleared


def _stored_days(
    *, account_id: str, accounts: AccountStore, privacy: PrivacyStore, retention: RetentionPolicy, clock: Clock
) -> list[date]:
    """The UTC days that can hold stored pings: within the account's location retention, not before the account
    existed, up to tomorrow (pings may be a little ahead of the clock)."""
    now = clock.now()
    first = (now - timedelta(days=effective_settings(account_id, privacy, retention).location_days + 1)).date()
    account = accounts.get_account(account_id)
    if account is not None:
        first = max(first, (account.created_at - timedelta(days=1)).date())
    last = (now + timedelta(days=1)).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _photos_inside(*, principal: Principal, zone: PrivateZone, media: MediaStore) -> int:
    found, continuation = 0, None
    while True:
        page = media.list_photos(
            account_id=principal.account_id,
            user_id=principal.user_id,
            start=None,
            end=None,
            continuation=continuation,
            limit=100,
        )
        found += sum(1 for p in page.photos if p.location and zone.withholds(p.location.latitude, p.location.longitude))
        continuation = page.continuation
        if not continuation:
            return found


def _kept_by_hold(
    *,
    principal: Principal,
    zone: PrivateZone,
    inside: int,
    holds: list[LegalHold],
    zones: PrivateZoneStore,
    reactions: Reactions,
    privacy: PrivacyStore,
    media: MediaStore,
    clock: Clock,
) -> HistoryAppliedPublic:
    """A legal hold covers the member: nothing stored is changed. The record names what stayed inside the zone
    (pings, note places, photo positions) with the hold, and so does the privacy audit log. The latest position is
    a copy of a stored ping and stays with it."""
    found = {
        "pings": inside,
        "notes": _clear_note_places(principal=principal, zone=zone, media=media, clock=clock, dry_run=True),
        "photos": _photos_inside(principal=principal, zone=zone, media=media),
    }
    kept = legal_holds.kept([kind for kind, n in found.items() if n], holds)
    applied = zone.history_applied
    result = HistoryApplied(
        requested_at=applied.requested_at if applied is not None else clock.now(),
        completed_at=clock.now(),
        kept=kept,
    )
    done = _finish_application(
        principal=principal, zone_id=zone.zone_id, result=result, zones=zones, reactions=reactions
    )
    audit(
        privacy,
        clock,
        account_id=principal.account_id,
        actor=principal.user_id,
        action="private-zone.history.kept",
        outcome="held",
        subject_user_id=principal.user_id,
        target=zone.zone_id,
        details={"holds": [h.hold_id for h in holds], "kept": {k.kind: k.reason for k in kept}, "found": found},
    )
    log.info("private zone not applied to history: a legal hold covers the member (%d ping(s) kept)", inside)
    return done.applied_public()


def apply_to_history(
    *,
    principal: Principal,
    zone_id: str,
    data: ApplyToHistoryIn,
    private_zones: PrivateZoneStore,
    reactions: Reactions,
    pings: PingStore,
    latest_positions: LatestPositionStore,
    withheld_pings: WithheldPingStore,
    media: MediaStore,
    clock: Clock,
    accounts: AccountStore,
    privacy: PrivacyStore,
    retention_policy: RetentionPolicy,
    image_codec: ImageCodec,
    photo_blobs: PhotoBlobs,
) -> HistoryAppliedPublic:
    """Apply one of my zones in force to what is stored already (irreversible; `data.confirmation` says so): every
    stored ping within the zone's withheld circle (radius plus its secret margin), whenever it was taken, is
    removed and recorded as withheld (id and time only; one query per day partition that can hold pings), the latest position loses its position if it lies there,
    notes lose a place there, and photos their position, in the record and in the original file. The zone keeps the record (when, how many). Safe to repeat: a retry of an
    interrupted run finishes it, a retry of a finished one answers the record."""
    del data  # validated: the confirmation was typed
    zone = _start_application(
        principal=principal, zone_id=zone_id, zones=private_zones, reactions=reactions, clock=clock
    )
    applied = zone.history_applied
    if applied is not None and applied.completed_at is not None:
        return zone.applied_public()
    account_id, user_id = principal.account_id, principal.user_id
    south, west, north, east = zone.box()
    inside: list[Ping] = []
    for day in _stored_days(
        account_id=account_id, accounts=accounts, privacy=privacy, retention=retention_policy, clock=clock
    ):
        inside += [
            p
            for p in pings.in_box(
                account_id=account_id, user_id=user_id, day=day, south=south, west=west, north=north, east=east
            )
            if zone.withholds(p.lat, p.lon)
        ]
    holds = legal_holds.covering_holds(privacy, account_id, user_id)
    if holds:
        return _kept_by_hold(
            principal=principal,
            zone=zone,
            inside=len(inside),
            holds=holds,
            zones=private_zones,
            reactions=reactions,
            privacy=privacy,
            media=media,
            clock=clock,
        )
    # Recorded before they are deleted: a crash in between leaves records whose pings a retry deletes.
    withheld_pings.record(
        account_id=account_id,
        user_id=user_id,
        withheld=[WithheldPing(ping_id=p.ping_id, t=p.t, applied_zone=zone_id) for p in inside],
    )
    by_day: dict[date, list[str]] = defaultdict(list)
    for p in inside:
        by_day[p.day].append(p.ping_id)
    for day, ids in sorted(by_day.items()):
        pings.delete_day(account_id=account_id, user_id=user_id, day=day, ids=ids)
    position_withheld = latest_positions.withhold_if(
        account_id=account_id, user_id=user_id, inside=zone.withholds, at=clock.now()
    )
    notes = _clear_note_places(principal=principal, zone=zone, media=media, clock=clock)
    photos = _clear_photo_places(
        principal=principal, zone=zone, media=media, blobs=photo_blobs, image_codec=image_codec
    )
    requested = applied.requested_at if applied is not None else clock.now()
    result = HistoryApplied(
        requested_at=requested,
        completed_at=clock.now(),
        pings_removed=withheld_pings.count_applied(account_id=account_id, user_id=user_id, zone_id=zone_id),
        latest_position_withheld=position_withheld,
        notes_cleared=notes,
        photos_cleared=photos,
    )
    done = _finish_application(
        principal=principal, zone_id=zone_id, result=result, zones=private_zones, reactions=reactions
    )
    log.info(
        "private zone applied to history: %d ping(s) removed, %d note place(s) cleared", result.pings_removed, notes
    )
    return done.applied_public()
