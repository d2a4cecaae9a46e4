"""Photos and notes: what a worker captures in the field and the Account Owner sees with its metadata.

Split by direction: request bodies and queries (ApiModel), answers (PublicModel) and the stored forms (BaseModel).
Stored times that queries compare are also kept as `sort_at`, a fixed-width UTC string (see `sort_key`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from core.domain.accounts import ApiModel, PublicModel
from core.domain.inputs import CONTINUATION_DOC, MULTI_LINE, SINGLE_LINE, ApiDatetime, ContinuationToken

MediaId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,64}$")]
NOTE_MAX_CHARS = 10_000
_MEDIA_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


def is_media_id(value: str) -> bool:
    """Ids taken from a URL path: anything else cannot name a photo or a note (answered like a missing one)."""
    return bool(_MEDIA_ID.match(value))


def sort_key(at: datetime) -> str:
    """A UTC timestamp that sorts and compares as text (every value has the same width)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class GeoPoint(BaseModel):
    latitude: float = Field(ge=-90, le=90, allow_inf_nan=False)
    longitude: float = Field(ge=-180, le=180, allow_inf_nan=False)
    altitude_m: float | None = Field(default=None, alias="altitudeM", allow_inf_nan=False)

    model_config = {"populate_by_name": True, "extra": "forbid"}


# ---------------------------------------------------------------- photos


class PhotoContentType(StrEnum):
    JPEG = "image/jpeg"
    PNG = "image/png"
    HEIC = "image/heic"
    HEIF = "image/heif"

    @property
    def family(self) -> str:
        """HEIC is HEVC in a HEIF file: the two declared types accept the same files."""
        return "heif" if self in (PhotoContentType.HEIC, PhotoContentType.HEIF) else self.value.split("/")[1]

    @property
    def extension(self) -> str:
        return {"image/jpeg": "jpg", "image/png": "png", "image/heic": "heic", "image/heif": "heif"}[self.value]


class PhotoStatus(StrEnum):
    PENDING = "pending"  # upload URL issued; waiting for the file or for processing
    READY = "ready"  # verified: original, thumbnail and display copy are in the photos container
    REJECTED = "rejected"  # not an acceptable image (reason says why); the upload was deleted
    QUARANTINED = "quarantined"  # the malware scan gave no clean verdict; the upload stays in quarantine


class RejectReason(StrEnum):
    NOT_UPLOADED = "not-uploaded"
    SIZE_MISMATCH = "size-mismatch"
    TYPE_MISMATCH = "type-mismatch"
    NOT_AN_IMAGE = "not-an-image"
    TOO_MANY_PIXELS = "too-many-pixels"
    UNDECODABLE = "undecodable"
    MALWARE = "malware"
    LOCATION_NOT_REMOVABLE = "location-not-removable"  # no location consent and the position could not be removed
    PROCESSING_FAILED = "processing-failed"  # every processing attempt failed (the message reached the poison queue)
    NO_CAMERA_CONSENT = "no-camera-consent"  # camera consent not granted at the capture time


class QuarantineReason(StrEnum):
    NOT_SCANNED = "not-scanned"
    SCAN_ERROR = "scan-error"
    SCAN_CAP_REACHED = "scan-cap-reached"


class ScanVerdict(StrEnum):
    """A malware scanner's answer about one upload. Only CLEAN lets processing go on."""

    CLEAN = "clean"
    INFECTED = "infected"
    PENDING = "pending"  # no result yet (the scan runs after the upload): ask again later
    NOT_SCANNED = "not-scanned"
    ERROR = "error"
    CAP_REACHED = "cap-reached"


class CaptureTimeSource(StrEnum):
    EXIF = "exif"
    CLIENT = "client"
    UPLOAD = "upload"


class PhotoCreate(ApiModel):
    content_type: PhotoContentType = Field(alias="contentType")
    size_bytes: int = Field(alias="sizeBytes", gt=0, description="Exact size of the file that will be uploaded.")
    captured_at: ApiDatetime | None = Field(
        default=None, alias="capturedAt", description="When the device took the photo (used without EXIF time)."
    )
    note_id: MediaId | None = Field(default=None, alias="noteId")


class PhotoUploadGrant(PublicModel):
    photo_id: str = Field(alias="photoId")
    upload_url: str = Field(alias="uploadUrl", description="PUT the file here once, as one request.")
    upload_headers: dict[str, str] = Field(alias="uploadHeaders", description="Headers the PUT must carry.")
    expires_at: datetime = Field(alias="expiresAt")


class Camera(BaseModel):
    make: str | None = None
    model: str | None = None


class Photo(BaseModel):
    """Stored photo document (media container, docType photo)."""

    photo_id: str
    account_id: str
    user_id: str
    status: PhotoStatus = PhotoStatus.PENDING
    reason: str | None = None
    declared_type: PhotoContentType
    declared_size: int
    client_captured_at: datetime | None = None
    note_id: str | None = None
    created_at: datetime
    upload_expires_at: datetime
    completed_at: datetime | None = None
    processed_at: datetime | None = None
    scan_checks: int = 0
    # Metadata, filled in by processing.
    captured_at: datetime
    captured_at_source: CaptureTimeSource = CaptureTimeSource.UPLOAD
    camera: Camera | None = None
    orientation: int | None = None
    width: int | None = None
    height: int | None = None
    location: GeoPoint | None = None
    sha256: str | None = None
    # Blob names: the upload in quarantine; the verified copies in the photos container.
    quarantine_blob: str
    original_blob: str | None = None
    thumbnail_blob: str | None = None
    display_blob: str | None = None

    @property
    def sort_at(self) -> str:
        return sort_key(self.captured_at)


class PhotoPublic(PublicModel):
    photo_id: str = Field(alias="photoId")
    user_id: str = Field(alias="userId")
    status: PhotoStatus
    reason: str | None = None
    content_type: PhotoContentType = Field(alias="contentType")
    size_bytes: int = Field(alias="sizeBytes")
    captured_at: datetime = Field(alias="capturedAt")
    captured_at_source: CaptureTimeSource = Field(alias="capturedAtSource")
    camera: Camera | None = None
    orientation: int | None = None
    width: int | None = None
    height: int | None = None
    location: GeoPoint | None = Field(default=None, description="Only when the worker had location consent.")
    note_id: str | None = Field(default=None, alias="noteId")
    created_at: datetime = Field(alias="createdAt")
    processed_at: datetime | None = Field(default=None, alias="processedAt")

    @classmethod
    def of(cls, photo: Photo) -> PhotoPublic:
        return cls(
            photo_id=photo.photo_id,
            user_id=photo.user_id,
            status=photo.status,
            reason=photo.reason,
            content_type=photo.declared_type,
            size_bytes=photo.declared_size,
            captured_at=photo.captured_at,
            captured_at_source=photo.captured_at_source,
            camera=photo.camera,
            orientation=photo.orientation,
            width=photo.width,
            height=photo.height,
            location=photo.location,
            note_id=photo.note_id,
            created_at=photo.created_at,
            processed_at=photo.processed_at,
        )


class PhotoDetail(PhotoPublic):
    thumbnail_url: str | None = Field(
        default=None, alias="thumbnailUrl", description="Read-only link to the thumbnail (ready photos only)."
    )
    display_url: str | None = Field(
        default=None, alias="displayUrl", description="Read-only link to the display copy, EXIF stripped."
    )
    urls_expire_at: datetime | None = Field(default=None, alias="urlsExpireAt")


class MediaQuery(ApiModel):
    """Owner lists (`userId` narrows to one worker; members always see only their own)."""

    user_id: Annotated[str, StringConstraints(min_length=1, max_length=256), SINGLE_LINE] | None = Field(
        default=None, alias="userId"
    )
    from_: ApiDatetime | None = Field(default=None, alias="from")
    to: ApiDatetime | None = None
    continuation: ContinuationToken | None = Field(default=None, description=CONTINUATION_DOC)
    limit: int = Field(default=50, ge=1, le=200)


class MyNotesQuery(ApiModel):
    from_: ApiDatetime | None = Field(default=None, alias="from")
    to: ApiDatetime | None = None
    continuation: ContinuationToken | None = Field(default=None, description=CONTINUATION_DOC)
    limit: int = Field(default=50, ge=1, le=200)


class PhotoListItem(PhotoPublic):
    """A photo in a list, with its thumbnail's read link, so that a gallery costs one API request."""

    thumbnail_url: str | None = Field(
        default=None,
        alias="thumbnailUrl",
        description="Short-lived read-only link to the thumbnail (at most 320 px, JPEG, no metadata), made by the "
        "photo pipeline; ready photos only. It expires at the page's `urlsExpireAt`.",
    )


class PhotoPage(PublicModel):
    items: list[PhotoListItem] = Field(description="Newest capture first.")
    continuation: str | None = Field(default=None, description="Pass as ?continuation= for the next page.")
    urls_expire_at: datetime | None = Field(
        default=None, alias="urlsExpireAt", description="When the items' thumbnail links stop working."
    )


class PhotoSlice(BaseModel):
    photos: list[Photo]
    continuation: str | None = None


class BlobInfo(BaseModel):
    size: int
    last_modified: datetime


class PhotoJob(BaseModel):
    """A processing message: the app's /complete call (or an Event Grid BlobCreated event) names one photo."""

    kind: Literal["photo-uploaded"] = "photo-uploaded"
    account_id: str = Field(alias="accountId")
    user_id: str = Field(alias="userId")
    photo_id: str = Field(alias="photoId")

    model_config = {"populate_by_name": True}


# ---------------------------------------------------------------- notes

NoteText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NOTE_MAX_CHARS), MULTI_LINE]


class NoteCreate(ApiModel):
    text: NoteText
    photo_id: MediaId | None = Field(default=None, alias="photoId")
    at: ApiDatetime | None = Field(default=None, description="The time the note is about.")
    place: GeoPoint | None = Field(default=None, description="The place the note is about (needs location consent).")


class NoteUpdate(ApiModel):
    """Fields sent are changed; null clears photoId, at or place. Text cannot be cleared."""

    text: NoteText | None = None
    photo_id: MediaId | None = Field(default=None, alias="photoId")
    at: ApiDatetime | None = None
    place: GeoPoint | None = None


class Note(BaseModel):
    """Stored note document (media container, docType note)."""

    note_id: str
    account_id: str
    user_id: str
    text: str
    photo_id: str | None = None
    at: datetime | None = None
    place: GeoPoint | None = None
    created_at: datetime
    updated_at: datetime

    @property
    def sort_at(self) -> str:
        return sort_key(self.created_at)


class NotePublic(PublicModel):
    note_id: str = Field(alias="noteId")
    user_id: str = Field(alias="userId")
    text: str
    photo_id: str | None = Field(default=None, alias="photoId")
    at: datetime | None = None
    place: GeoPoint | None = None
    created_at: datetime = Field(alias="createdAt")
    updated_at: datetime = Field(alias="updatedAt")
    written_at: datetime = Field(
        alias="writtenAt",
        description="When the note was written: `at` as the app gave it, else when it was stored. Every page shows this.",
    )

    @classmethod
    def of(cls, note: Note) -> NotePublic:
        return cls(
            note_id=note.note_id,
            user_id=note.user_id,
            text=note.text,
            photo_id=note.photo_id,
            at=note.at,
            place=note.place,
            created_at=note.created_at,
            updated_at=note.updated_at,
            written_at=note.at or note.created_at,
        )


class NotePage(PublicModel):
    items: list[NotePublic] = Field(description="Newest first.")
    continuation: str | None = Field(default=None, description="Pass as ?continuation= for the next page.")


class NoteSlice(BaseModel):
    notes: list[Note]
    continuation: str | None = None


# The EICAR anti-virus test file, assembled from two halves so that this source file is not itself flagged.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def signature_verdict(data: bytes) -> ScanVerdict:
    """The local scanner: the EICAR test signature anywhere in the file counts as malware. In Azure, Defender for
    Storage's verdict is read as well (core/adapters/blobs.py); this check runs first in both."""
    return ScanVerdict.INFECTED if EICAR in data else ScanVerdict.CLEAN
