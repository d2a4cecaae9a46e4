"""What photos and notes share (core/services/photos.py, notes.py): whose items a caller may list, a page of a
list (the owner's logged in the access log), one item within the caller's reach, a link to one of the worker's own
items, the consent a write needs, and a position kept only outside the worker's private zones. `PHOTOS` and `NOTES`
say how the two differ."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from core.domain.consent import Capability
from core.domain.errors import FieldError, Forbidden, NotFound, ValidationFailed
from core.domain.identity import Principal
from core.domain.media import GeoPoint, MediaQuery, MyNotesQuery, Note, Photo, is_media_id
from core.domain.tracking import AccessedData
from core.ports import AccessLog, Clock, ConsentLedger, MediaStore, PrivateZoneStore
from core.services import access_log as reads
from core.services.consent import consent_granted_at
from core.services.paging import PageTokens

Item = TypeVar("Item", Photo, Note)


@dataclass(frozen=True)
class Window:
    """One page's slice of a list, as the media store is asked for it."""

    account_id: str
    user_id: str | None  # None: every worker of the account
    start: datetime | None
    end: datetime | None
    continuation: str | None
    limit: int


@dataclass(frozen=True)
class MediaKind(Generic[Item]):
    name: str  # "photos" or "notes": the page tokens' scope, and what "one of your ..." names
    accessed: AccessedData  # what the access log records of a read
    get: Callable[[MediaStore, str, str], Item | None]
    page: Callable[[MediaStore, Window], tuple[list[Item], str | None]]


def _photo_page(media: MediaStore, w: Window) -> tuple[list[Photo], str | None]:
    got = media.list_photos(
        account_id=w.account_id, user_id=w.user_id, start=w.start, end=w.end, continuation=w.continuation, limit=w.limit
    )
    return got.photos, got.continuation


def _note_page(media: MediaStore, w: Window) -> tuple[list[Note], str | None]:
    got = media.list_notes(
        account_id=w.account_id, user_id=w.user_id, start=w.start, end=w.end, continuation=w.continuation, limit=w.limit
    )
    return got.notes, got.continuation


PHOTOS: MediaKind[Photo] = MediaKind("photos", AccessedData.PHOTO, lambda m, a, i: m.get_photo(a, i), _photo_page)
NOTES: MediaKind[Note] = MediaKind("notes", AccessedData.NOTE, lambda m, a, i: m.get_note(a, i), _note_page)


# ---------------------------------------------------------------- lists


def scoped_user(principal: Principal, account_id: str, user_id: str | None) -> str | None:
    """Whose items the caller may list: the owner anyone's (None = everyone), a member only their own."""
    principal.require_account(account_id)
    if principal.is_owner:
        return user_id
    if user_id is not None and user_id != principal.user_id:
        raise NotFound()
    return principal.user_id


def check_range(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and start >= end:
        raise ValidationFailed(errors=[FieldError("query.from", "must be before to")])


def page_of(
    kind: MediaKind[Item],
    *,
    account_id: str,
    user_id: str | None,
    query: MediaQuery | MyNotesQuery,
    media: MediaStore,
    page_tokens: PageTokens,
) -> tuple[list[Item], str | None]:
    """One page of `user_id`'s items (everyone's with None), newest first, and the sealed token of the next.
    A worker's own list and the owner's list of that worker share their tokens (the same scope)."""
    check_range(query.from_, query.to)
    scope = (kind.name, account_id, user_id, query.from_, query.to)
    window = Window(
        account_id, user_id, query.from_, query.to, page_tokens.open(scope, query.continuation), query.limit
    )
    items, continuation = kind.page(media, window)
    return items, page_tokens.seal(scope, continuation)


def listed_for(
    kind: MediaKind[Item],
    *,
    principal: Principal,
    account_id: str,
    query: MediaQuery,
    media: MediaStore,
    access_log: AccessLog,
    clock: Clock,
    page_tokens: PageTokens,
) -> tuple[list[Item], str | None]:
    """`page_of` for the caller's reach (`scoped_user`); reading other workers' items is logged."""
    user_id = scoped_user(principal, account_id, query.user_id)
    items, continuation = page_of(
        kind, account_id=account_id, user_id=user_id, query=query, media=media, page_tokens=page_tokens
    )
    if items:
        reads.record_read(
            log=access_log,
            entry=reads.new_entry(
                principal=principal,
                subject_user_ids=[i.user_id for i in items],
                data=kind.accessed,
                at=clock.now(),
                range_from=query.from_,
                range_to=query.to,
            ),
        )
    return items, continuation


# ---------------------------------------------------------------- one item


def visible(kind: MediaKind[Item], *, principal: Principal, account_id: str, item_id: str, media: MediaStore) -> Item:
    """One item of the account: the owner sees any, a member only their own; anything else is NotFound."""
    principal.require_account(account_id)
    item = kind.get(media, account_id, item_id) if is_media_id(item_id) else None
    if item is None or (not principal.is_owner and item.user_id != principal.user_id):
        raise NotFound()
    return item


def own(kind: MediaKind[Item], *, principal: Principal, item_id: str, media: MediaStore) -> Item:
    """One of the caller's own items, by an id taken from the path; anything else is NotFound."""
    item = kind.get(media, principal.account_id, item_id) if is_media_id(item_id) else None
    if item is None or item.user_id != principal.user_id:
        raise NotFound()
    return item


def check_link(
    kind: MediaKind[Item], *, principal: Principal, item_id: str | None, field: str, media: MediaStore
) -> None:
    """A body's link to another item (a note's photo, a photo's note) must name one of the caller's own."""
    if item_id is None:
        return
    item = kind.get(media, principal.account_id, item_id)
    if item is None or item.user_id != principal.user_id:
        raise ValidationFailed(errors=[FieldError(field, f"is not one of your {kind.name}")])


# ---------------------------------------------------------------- consent and places


def require_consent(
    consents: ConsentLedger, *, principal: Principal, capability: Capability, at: datetime, refusal: str
) -> None:
    """The caller's consent to `capability` in force at `at`, or Forbidden with `refusal` (which says how to grant
    it)."""
    if not consent_granted_at(
        ledger=consents, account_id=principal.account_id, user_id=principal.user_id, capability=capability, at=at
    ):
        raise Forbidden(refusal)


def in_private_zone(
    private_zones: PrivateZoneStore, *, account_id: str, user_id: str, place: GeoPoint, at: datetime
) -> bool:
    """Whether the place lies in one of the worker's private zones in force at `at` (docs/private-zones.md): it is
    then kept nowhere, neither a note's place nor a photo's position."""
    zones = private_zones.get_zones(account_id=account_id, user_id=user_id)
    return zones.withholds(place.latitude, place.longitude, at)
