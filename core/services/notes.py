"""Notes: a worker's own text (up to 10,000 characters) with optional links to one of their photos and to a
time and place. Workers create, edit and delete their own notes; the owner reads everyone's (logged)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from core.domain.consent import Capability
from core.domain.errors import Conflict, FieldError, ValidationFailed
from core.domain.identity import Principal
from core.domain.media import (
    GeoPoint,
    MediaQuery,
    MyNotesQuery,
    Note,
    NoteCreate,
    NotePage,
    NotePublic,
    NoteUpdate,
)
from core.ports import AccessLog, BillingStore, Clock, ConsentLedger, MediaStore, PrivateZoneStore
from core.services import media_reads
from core.services.paging import PageTokens
from core.services.suspension import Addition, ensure_may_add

UPDATE_TRIES = 3
NO_LOCATION = (
    "Location access is not granted, so a note cannot carry a place. Grant location consent "
    "(PUT /api/me/consents/location) or leave the place out."
)


def _check_place(consents: ConsentLedger, principal: Principal, place: GeoPoint | None, at: datetime) -> None:
    """A place is location data: it is kept only while the worker has granted location consent."""
    if place is None:
        return
    media_reads.require_consent(
        consents, principal=principal, capability=Capability.LOCATION, at=at, refusal=NO_LOCATION
    )


def _outside_zones(
    zones: PrivateZoneStore, principal: Principal, place: GeoPoint | None, at: datetime
) -> GeoPoint | None:
    """The place, or None when it lies in one of the worker's private zones in force at `at` (the note's own time,
    else now): the note is kept without it (docs/private-zones.md)."""
    if place is None:
        return None
    kept = not media_reads.in_private_zone(
        zones, account_id=principal.account_id, user_id=principal.user_id, place=place, at=at
    )
    return place if kept else None


def create_note(
    *,
    principal: Principal,
    data: NoteCreate,
    media: MediaStore,
    consents: ConsentLedger,
    clock: Clock,
    billing: BillingStore,
    private_zones: PrivateZoneStore,
) -> NotePublic:
    ensure_may_add(account_id=principal.account_id, what=Addition.NOTES, billing=billing)
    now = clock.now()
    media_reads.check_link(media_reads.PHOTOS, principal=principal, item_id=data.photo_id, field="photoId", media=media)
    _check_place(consents, principal, data.place, now)
    place = _outside_zones(private_zones, principal, data.place, data.at or now)
    note = Note(
        note_id=uuid.uuid4().hex,
        account_id=principal.account_id,
        user_id=principal.user_id,
        text=data.text,
        photo_id=data.photo_id,
        at=data.at,
        place=place,
        created_at=now,
        updated_at=now,
    )
    media.create_note(note)
    return NotePublic.of(note)


def update_note(
    *,
    principal: Principal,
    note_id: str,
    data: NoteUpdate,
    media: MediaStore,
    consents: ConsentLedger,
    clock: Clock,
    private_zones: PrivateZoneStore,
) -> NotePublic:
    """Change the fields sent; null clears photoId, at or place. `updatedAt` moves, `createdAt` stays."""
    sent = data.model_fields_set
    if "text" in sent and data.text is None:
        raise ValidationFailed(errors=[FieldError("text", "cannot be null")])
    changes: dict[str, Any] = {
        name: getattr(data, name) for name in ("text", "photo_id", "at", "place") if name in sent
    }
    if "photo_id" in changes:
        media_reads.check_link(
            media_reads.PHOTOS, principal=principal, item_id=data.photo_id, field="photoId", media=media
        )
    for _ in range(UPDATE_TRIES):
        current = media_reads.own(media_reads.NOTES, principal=principal, item_id=note_id, media=media)
        now = clock.now()
        if "place" in changes:
            _check_place(consents, principal, data.place, now)
        if not changes:
            return NotePublic.of(current)
        update = dict(changes)
        if update.get("place") is not None or ("at" in update and current.place is not None):
            at = update.get("at", current.at)
            update["place"] = _outside_zones(private_zones, principal, update.get("place", current.place), at or now)
        updated = current.model_copy(update={**update, "updated_at": now})
        if media.replace_note_if_unchanged(updated, expected=current):
            return NotePublic.of(updated)
    raise Conflict("The note changed while it was being edited; try again.")


def delete_note(*, principal: Principal, note_id: str, media: MediaStore) -> None:
    media_reads.own(media_reads.NOTES, principal=principal, item_id=note_id, media=media)
    media.delete_note(principal.account_id, note_id)


def list_my_notes(*, principal: Principal, query: MyNotesQuery, media: MediaStore, page_tokens: PageTokens) -> NotePage:
    found, continuation = media_reads.page_of(
        media_reads.NOTES,
        account_id=principal.account_id,
        user_id=principal.user_id,
        query=query,
        media=media,
        page_tokens=page_tokens,
    )
    return NotePage(items=[NotePublic.of(n) for n in found], continuation=continuation)


def list_notes(
    *,
    principal: Principal,
    account_id: str,
    query: MediaQuery,
    media: MediaStore,
    access_log: AccessLog,
    clock: Clock,
    page_tokens: PageTokens,
) -> NotePage:
    """The owner: every worker's notes (or one worker's with userId); a member: their own only. The same list as
    `me/notes` for one worker (the same page tokens)."""
    found, continuation = media_reads.listed_for(
        media_reads.NOTES,
        principal=principal,
        account_id=account_id,
        query=query,
        media=media,
        access_log=access_log,
        clock=clock,
        page_tokens=page_tokens,
    )
    return NotePage(items=[NotePublic.of(n) for n in found], continuation=continuation)
