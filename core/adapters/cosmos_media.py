"""The `media` container (partition /accountId): photo documents (id photo-{photoId}) and notes (id note-{noteId}).

Each document also carries `sort_at` (capture time for photos, creation time for notes; fixed-width UTC text) so
that range queries compare and order correctly whatever offset the original time had.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from azure.cosmos import ContainerProxy, DatabaseProxy
from azure.cosmos import exceptions as cosmos_errors

from core import schema
from core.adapters.cosmos import compare_and_swap, strip_system, to_doc
from core.domain.errors import FieldError, ValidationFailed
from core.domain.media import Note, NoteSlice, Photo, PhotoSlice, sort_key


def _page(query: Any, continuation: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """One page through the SDK's pager; a continuation token that is not ours answers 422, never 500."""
    try:
        pager = query.by_page(continuation)
        docs = list(next(pager, []))
    except (cosmos_errors.CosmosHttpResponseError, ValueError, TypeError, KeyError) as exc:
        transient = isinstance(exc, cosmos_errors.CosmosHttpResponseError) and exc.status_code in (408, 429, 500, 503)
        if continuation is not None and not transient:
            raise ValidationFailed(
                errors=[FieldError("query.continuation", "is not a continuation token from this list")]
            ) from exc
        raise
    token = pager.continuation_token
    return docs, token if docs or token else None


class CosmosMediaStore:
    def __init__(self, database: DatabaseProxy) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.MEDIA.name)

    # ---- shared
    def _read(self, account_id: str, doc_id: str, doc_type: str) -> dict[str, Any] | None:
        try:
            doc: dict[str, Any] = self._c.read_item(item=doc_id, partition_key=account_id)
        except cosmos_errors.CosmosResourceNotFoundError:
            return None
        return doc if doc.get("docType") == doc_type else None

    def _replace_if(self, doc_id: str, account_id: str, doc_type: str, body: dict[str, Any], matches: Any) -> bool:
        current = self._read(account_id, doc_id, doc_type)
        if current is None or not matches(strip_system(current)):
            return False
        return compare_and_swap(self._c, {**body, "id": doc_id}, etag=current["_etag"])

    def _list(
        self,
        doc_type: str,
        *,
        account_id: str,
        user_id: str | None,
        start: datetime | None,
        end: datetime | None,
        continuation: str | None,
        limit: int,
    ) -> tuple[list[dict[str, Any]], str | None]:
        clauses = ["c.accountId = @a", "c.docType = @t"]
        params: list[dict[str, Any]] = [{"name": "@a", "value": account_id}, {"name": "@t", "value": doc_type}]
        if user_id is not None:
            clauses.append("c.user_id = @u")
            params.append({"name": "@u", "value": user_id})
        if start is not None:
            clauses.append("c.sort_at >= @s")
            params.append({"name": "@s", "value": sort_key(start)})
        if end is not None:
            clauses.append("c.sort_at < @e")
            params.append({"name": "@e", "value": sort_key(end)})
        query = self._c.query_items(
            "SELECT * FROM c WHERE " + " AND ".join(clauses) + " ORDER BY c.sort_at DESC",  # noqa: S608  # nosec B608 - fixed fragments, values are parameters
            parameters=params,
            partition_key=account_id,
            max_item_count=limit,
        )
        return _page(query, continuation)

    # ---- photos
    @staticmethod
    def _photo_doc(photo: Photo) -> dict[str, Any]:
        return to_doc(
            photo, doc_id=f"photo-{photo.photo_id}", doc_type="photo", accountId=photo.account_id, sort_at=photo.sort_at
        )

    def create_photo(self, photo: Photo) -> None:
        self._c.create_item(self._photo_doc(photo))

    def get_photo(self, account_id: str, photo_id: str) -> Photo | None:
        doc = self._read(account_id, f"photo-{photo_id}", "photo")
        return Photo.model_validate(strip_system(doc)) if doc else None

    def replace_photo_if_unchanged(self, photo: Photo, *, expected: Photo) -> bool:
        return self._replace_if(
            f"photo-{photo.photo_id}",
            photo.account_id,
            "photo",
            self._photo_doc(photo),
            lambda doc: Photo.model_validate(doc) == expected,
        )

    def list_photos(
        self,
        *,
        account_id: str,
        user_id: str | None,
        start: datetime | None,
        end: datetime | None,
        continuation: str | None,
        limit: int,
    ) -> PhotoSlice:
        docs, token = self._list(
            "photo",
            account_id=account_id,
            user_id=user_id,
            start=start,
            end=end,
            continuation=continuation,
            limit=limit,
        )
        return PhotoSlice(photos=[Photo.model_validate(strip_system(d)) for d in docs], continuation=token)

    # ---- notes
    @staticmethod
    def _note_doc(note: Note) -> dict[str, Any]:
        return to_doc(
            note, doc_id=f"note-{note.note_id}", doc_type="note", accountId=note.account_id, sort_at=note.sort_at
        )

    def create_note(self, note: Note) -> None:
        self._c.create_item(self._note_doc(note))

    def get_note(self, account_id: str, note_id: str) -> Note | None:
        doc = self._read(account_id, f"note-{note_id}", "note")
        return Note.model_validate(strip_system(doc)) if doc else None

    def replace_note_if_unchanged(self, note: Note, *, expected: Note) -> bool:
        return self._replace_if(
            f"note-{note.note_id}",
            note.account_id,
            "note",
            self._note_doc(note),
            lambda doc: Note.model_validate(doc) == expected,
        )

    def delete_note(self, account_id: str, note_id: str) -> bool:
        try:
            self._c.delete_item(item=f"note-{note_id}", partition_key=account_id)
        except cosmos_errors.CosmosResourceNotFoundError:
            return False
        return True

    def list_notes(
        self,
        *,
        account_id: str,
        user_id: str | None,
        start: datetime | None,
        end: datetime | None,
        continuation: str | None,
        limit: int,
    ) -> NoteSlice:
        docs, token = self._list(
            "note", account_id=account_id, user_id=user_id, start=start, end=end, continuation=continuation, limit=limit
        )
        return NoteSlice(notes=[Note.model_validate(strip_system(d)) for d in docs], continuation=token)
