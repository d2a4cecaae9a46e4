"""In-memory fakes for the photos-and-notes ports (MediaStore, PhotoBlobs, MalwareScanner, PhotoJobs, ImageCodec)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.domain.images import ExifInfo, LocationNotRemovable, Rejection, Verified
from core.domain.media import (
    BlobInfo,
    Note,
    NoteSlice,
    Photo,
    PhotoContentType,
    PhotoJob,
    PhotoSlice,
    ScanVerdict,
    signature_verdict,
    sort_key,
)


def _page(items: list[Any], continuation: str | None, limit: int) -> tuple[list[Any], str | None]:
    start = int(continuation or 0)
    chunk = items[start : start + limit]
    return chunk, str(start + limit) if start + limit < len(items) else None


class FakeMediaStore:
    def __init__(self) -> None:
        self.photos: dict[tuple[str, str], Photo] = {}
        self.notes: dict[tuple[str, str], Note] = {}
        self.writes = 0

    def create_photo(self, photo: Photo) -> None:
        key = (photo.account_id, photo.photo_id)
        assert key not in self.photos
        self.photos[key] = photo
        self.writes += 1

    def get_photo(self, account_id: str, photo_id: str) -> Photo | None:
        return self.photos.get((account_id, photo_id))

    def replace_photo_if_unchanged(self, photo: Photo, *, expected: Photo) -> bool:
        key = (photo.account_id, photo.photo_id)
        if self.photos.get(key) != expected:
            return False
        self.photos[key] = photo
        self.writes += 1
        return True

    def _select(self, items: list[Any], user_id: str | None, start: datetime | None, end: datetime | None) -> list[Any]:
        chosen = [
            i
            for i in items
            if (user_id is None or i.user_id == user_id)
            and (start is None or i.sort_at >= sort_key(start))
            and (end is None or i.sort_at < sort_key(end))
        ]
        return sorted(chosen, key=lambda i: i.sort_at, reverse=True)

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
        mine = [p for (a, _), p in self.photos.items() if a == account_id]
        items, token = _page(self._select(mine, user_id, start, end), continuation, limit)
        return PhotoSlice(photos=items, continuation=token)

    def create_note(self, note: Note) -> None:
        self.notes[(note.account_id, note.note_id)] = note

    def get_note(self, account_id: str, note_id: str) -> Note | None:
        return self.notes.get((account_id, note_id))

    def replace_note_if_unchanged(self, note: Note, *, expected: Note) -> bool:
        key = (note.account_id, note.note_id)
        if self.notes.get(key) != expected:
            return False
        self.notes[key] = note
        return True

    def delete_note(self, account_id: str, note_id: str) -> bool:
        return self.notes.pop((account_id, note_id), None) is not None

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
        mine = [n for (a, _), n in self.notes.items() if a == account_id]
        items, token = _page(self._select(mine, user_id, start, end), continuation, limit)
        return NoteSlice(notes=items, continuation=token)


class FakePhotoBlobs:
    def __init__(self) -> None:
        self.quarantine: dict[str, bytes] = {}
        self.photos: dict[str, tuple[bytes, str]] = {}
        self.photo_writes = 0
        self.uploaded_at = datetime(2026, 6, 1, 12, 1, tzinfo=UTC)

    def upload_url(self, blob_name: str, *, expires_at: datetime) -> str:
        return f"https://blobs.test/photo-quarantine/{blob_name}?sp=c&se={expires_at.isoformat()}"

    def read_url(self, blob_name: str, *, expires_at: datetime) -> str:
        return f"https://blobs.test/photos/{blob_name}?sp=r&se={expires_at.isoformat()}"

    def quarantine_info(self, blob_name: str) -> BlobInfo | None:
        data = self.quarantine.get(blob_name)
        return BlobInfo(size=len(data), last_modified=self.uploaded_at) if data is not None else None

    def read_quarantine(self, blob_name: str, *, max_bytes: int) -> bytes:
        return self.quarantine[blob_name][:max_bytes]

    def delete_quarantine(self, blob_name: str) -> bool:
        return self.quarantine.pop(blob_name, None) is not None

    def put_photo_blob(self, blob_name: str, data: bytes, *, content_type: str) -> None:
        self.photos[blob_name] = (data, content_type)
        self.photo_writes += 1

    def delete_photo_blob(self, blob_name: str) -> bool:
        return self.photos.pop(blob_name, None) is not None

    def read_photo_blob(self, blob_name: str) -> bytes | None:
        stored = self.photos.get(blob_name)
        return stored[0] if stored is not None else None


class FakeScanner:
    """The signature check, unless a verdict is forced (to stand in for Defender's answers)."""

    def __init__(self) -> None:
        self.forced: list[ScanVerdict] = []

    def scan(self, *, blob_name: str, data: bytes) -> ScanVerdict:
        return self.forced.pop(0) if self.forced else signature_verdict(data)


class FakePhotoJobs:
    def __init__(self) -> None:
        self.sent: list[tuple[PhotoJob, int]] = []

    def enqueue(self, job: PhotoJob, *, delay_seconds: int = 0) -> None:
        self.sent.append((job, delay_seconds))


class FakeImageCodec:
    """Decodes nothing: every file is an acceptable picture of `size` without metadata (or the test's `answer`),
    and removing its position leaves it as it is (or raises, with `not_removable`). The photo tests that check
    what a real file holds use the real codec, core/adapters/images (pure computation on bytes)."""

    def __init__(self, answer: Verified | Rejection | None = None, size: tuple[int, int] = (1, 1)) -> None:
        self.answer, self.size = answer, size
        self.not_removable: str | None = None
        self.inspected: list[bytes] = []

    def inspect(self, data: bytes, *, declared: PhotoContentType, max_pixels: int) -> Verified | Rejection:
        self.inspected.append(data)
        if self.answer is not None:
            return self.answer
        width, height = self.size
        return Verified(declared.family, width, height, ExifInfo(), thumbnail_jpeg=b"thumb", display_jpeg=b"display")

    def without_location(self, data: bytes, *, declared: PhotoContentType) -> bytes:
        if self.not_removable is not None:
            raise LocationNotRemovable(self.not_removable)
        return data
