"""Notes: a worker's own text (up to 10,000 characters) with optional links to one of their photos and to a
time and place. Workers create, edit and delete their own notes; the owner reads everyone's (logged)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from core.domain.consent import Capability
from core.domain.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
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
    is_media_id,
)
from core.domain.tracking import AccessedData
from core.ports import AccessLog, BillingStore, Clock, ConsentLedger, MediaStore, PrivateZoneStore
from core.services import access_log as reads
from core.services.consent import consent_granted_at
from core.services.paging import PageTokens
from core.services.photos import check_range, scoped_user
from core.services.suspension import Addition, ensure_may_add

UPDATE_TRIES = 3


def _check_photo(store: MediaStore, principal: Principal, photo_id: str | None) -> None:
    if photo_id is None:
        return
    photo = store.get_photo(principal.account_id, photo_id)
    if photo is None or photo.user_id != principal.user_id:
        raise ValidationFailed(errors=[FieldError("photoId", "is not one of your photos")])


def _check_place(consents: ConsentLedger, principal: Principal, place: GeoPoint | None, at: datetime) -> None:
    """A place is location data: it is kept only while the worker has granted location consent."""
    if place is None:
        return
    if not consent_granted_at(
        ledger=consents,
        account_id=principal.account_id,
        user_id=principal.user_id,
        capability=Capability.LOCATION,
        at=at,
    ):
        raise Forbidden(
            "Location access is not granted, so a note cannot carry a place. Grant location consent "
            "(PUT /api/me/consents/location) or leave the place out."
        )


def _outside_zones(
    zones: PrivateZoneStore | None, principal: Principal, place: GeoPoint | None, at: datetime
) -> GeoPoint | None:
    """The place, or None when it lies in one of the worker's private zones in force at `at` (the note's own time,
    else now): the note is kept without it (docs/private-zones.md)."""
    if place is None or zones is None:
        return place
    mine = zones.get_zones(account_id=principal.account_id, user_id=principal.user_id)
    return None if mine.withholds(place.latitude, place.longitude, at) else place


def _own_note(store: MediaStore, principal: Principal, note_id: str) -> Note:
    note = store.get_note(principal.account_id, note_id) if is_media_id(note_id) else None
    if note is None or note.user_id != principal.user_id:
        raise NotFound()
    return note


def create_note(
    *,
    principal: Principal,
    data: NoteCreate,
    media: MediaStore,
    consents: ConsentLedger,
    clock: Clock,
    billing: BillingStore,
    private_zones: PrivateZoneStore | None = None,
) -> NotePublic:
    ensure_may_add(account_id=principal.account_id, what=Addition.NOTES, billing=billing)
    now = clock.now()
    _check_photo(media, principal, data.photo_id)
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
    private_zones: PrivateZoneStore | None = None,
) -> NotePublic:
    """Change the fields sent; null clears photoId, at or place. `updatedAt` moves, `createdAt` stays."""
    sent = data.model_fields_set
    if "text" in sent and data.text is None:
        raise ValidationFailed(errors=[FieldError("text", "cannot be null")])
    changes: dict[str, Any] = {
        name: getattr(data, name) for name in ("text", "photo_id", "at", "place") if name in sent
    }
    if "photo_id" in changes:
        _check_photo(media, principal, data.photo_id)
    for _ in range(UPDATE_TRIES):
        current = _own_note(media, principal, note_id)
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
    _own_note(media, principal, note_id)
    media.delete_note(principal.account_id, note_id)


def list_my_notes(*, principal: Principal, query: MyNotesQuery, media: MediaStore, page_tokens: PageTokens) -> NotePage:
    check_range(query.from_, query.to)
    scope = ("notes", principal.account_id, principal.user_id, query.from_, query.to)
    page = media.list_notes(
        account_id=principal.account_id,
        user_id=principal.user_id,
        start=query.from_,
        end=query.to,
        continuation=page_tokens.open(scope, query.continuation),
        limit=query.limit,
    )
    return NotePage(
        items=[NotePublic.of(n) for n in page.notes], continuation=page_tokens.seal(scope, page.continuation)
    )


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
    """The owner: every worker's notes (or one worker's with userId); a member: their own only."""
    user_id = scoped_user(principal, account_id, query.user_id)
    check_range(query.from_, query.to)
    scope = ("notes", account_id, user_id, query.from_, query.to)  # the same list as `me/notes` for one worker
    page = media.list_notes(
        account_id=account_id,
        user_id=user_id,
        start=query.from_,
        end=query.to,
        continuation=page_tokens.open(scope, query.continuation),
        limit=query.limit,
    )
    if page.notes:
        reads.record_read(
            log=access_log,
            entry=reads.new_entry(
                principal=principal,
                subject_user_ids=[n.user_id for n in page.notes],
                data=AccessedData.NOTE,
                at=clock.now(),
                range_from=query.from_,
                range_to=query.to,
            ),
        )
    return NotePage(
        items=[NotePublic.of(n) for n in page.notes], continuation=page_tokens.seal(scope, page.continuation)
    )
