"""Photos: the upload grant (valet key), completion, the queue-triggered verification, and reads.

Photo bytes never pass through a function. The app asks for an upload link (camera consent required), PUTs the
file straight into the private quarantine container, and calls /complete (in Azure, Event Grid's BlobCreated event
on the same queue does the same). The processor checks size, malware verdict, magic bytes and decodability, keeps
EXIF metadata (a position only under location consent at capture time; without it the original is stored with
every position removed), writes the verified original, a thumbnail and a display copy to the photos container,
and deletes the upload. Every step can run twice without effect. A job the host gave up on (poison queue) rejects
its photo (`settle_failed`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from core.domain.consent import Capability
from core.domain.errors import Conflict, FieldError, ValidationFailed
from core.domain.identity import Principal
from core.domain.images import LocationNotRemovable, Rejection
from core.domain.media import (
    CaptureTimeSource,
    MediaQuery,
    Photo,
    PhotoContentType,
    PhotoCreate,
    PhotoDetail,
    PhotoJob,
    PhotoListItem,
    PhotoPage,
    PhotoPublic,
    PhotoStatus,
    PhotoUploadGrant,
    QuarantineReason,
    RejectReason,
    ScanVerdict,
)
from core.domain.tracking import AccessedData
from core.ports import (
    AccessLog,
    BillingStore,
    Clock,
    ConsentLedger,
    ImageCodec,
    MalwareScanner,
    MediaStore,
    PhotoBlobs,
    PhotoJobs,
    PrivateZoneStore,
)
from core.services import access_log as reads
from core.services import media_reads
from core.services.consent import consent_granted_at
from core.services.paging import PageTokens
from core.services.suspension import Addition, ensure_may_add
from core.settings import Settings

log = logging.getLogger(__name__)

MAX_SCAN_CHECKS = 10  # how often a missing scan verdict is asked for again before the photo stays quarantined
SCAN_RECHECK_SECONDS = 30
QUARANTINE_CONTAINER_PREFIX = "/blobServices/default/containers/"
NO_CAMERA = (
    "Camera access is not granted. Grant camera consent in the app "
    "(PUT /api/me/consents/camera) before uploading photos."
)


@dataclass(frozen=True)
class PhotoLimits:
    max_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 50_000_000
    upload_ttl: timedelta = timedelta(minutes=10)
    read_ttl: timedelta = timedelta(minutes=5)
    future_skew: timedelta = timedelta(minutes=5)

    @classmethod
    def from_settings(cls, settings: Settings) -> PhotoLimits:
        return cls(
            max_bytes=settings.photo_max_bytes,
            max_pixels=settings.photo_max_pixels,
            upload_ttl=timedelta(seconds=settings.photo_upload_url_ttl_seconds),
            read_ttl=timedelta(seconds=settings.photo_read_url_ttl_seconds),
        )


# ---------------------------------------------------------------- blob names


def blob_prefix(account_id: str, user_id: str, photo_id: str) -> str:
    """Every blob of a photo starts with this, so an account's or a worker's photos are listed by prefix."""
    return f"{account_id}/{user_id}/{photo_id}/"


def quarantine_name(account_id: str, user_id: str, photo_id: str, content_type: PhotoContentType) -> str:
    return f"{blob_prefix(account_id, user_id, photo_id)}upload.{content_type.extension}"


def _verified_names(photo: Photo) -> tuple[str, str, str]:
    prefix = blob_prefix(photo.account_id, photo.user_id, photo.photo_id)
    return (f"{prefix}original.{photo.declared_type.extension}", f"{prefix}thumbnail.jpg", f"{prefix}display.jpg")


# ---------------------------------------------------------------- upload


def request_upload(
    *,
    principal: Principal,
    data: PhotoCreate,
    media: MediaStore,
    photo_blobs: PhotoBlobs,
    consents: ConsentLedger,
    clock: Clock,
    photo_limits: PhotoLimits,
    billing: BillingStore,
) -> PhotoUploadGrant:
    """Create the pending photo and a link that can create exactly its one quarantine blob, for a short time."""
    ensure_may_add(account_id=principal.account_id, what=Addition.PHOTOS, billing=billing)
    now = clock.now()
    if data.size_bytes > photo_limits.max_bytes:
        raise ValidationFailed(errors=[FieldError("sizeBytes", f"must be at most {photo_limits.max_bytes} bytes")])
    if data.captured_at is not None and data.captured_at > now + photo_limits.future_skew:
        raise ValidationFailed(errors=[FieldError("capturedAt", "must not be in the future")])
    media_reads.require_consent(consents, principal=principal, capability=Capability.CAMERA, at=now, refusal=NO_CAMERA)
    media_reads.check_link(media_reads.NOTES, principal=principal, item_id=data.note_id, field="noteId", media=media)
    photo_id = uuid.uuid4().hex
    expires_at = now + photo_limits.upload_ttl
    name = quarantine_name(principal.account_id, principal.user_id, photo_id, data.content_type)
    photo = Photo(
        photo_id=photo_id,
        account_id=principal.account_id,
        user_id=principal.user_id,
        declared_type=data.content_type,
        declared_size=data.size_bytes,
        client_captured_at=data.captured_at,
        note_id=data.note_id,
        created_at=now,
        upload_expires_at=expires_at,
        captured_at=data.captured_at or now,
        captured_at_source=CaptureTimeSource.CLIENT if data.captured_at else CaptureTimeSource.UPLOAD,
        quarantine_blob=name,
    )
    media.create_photo(photo)
    return PhotoUploadGrant(
        photo_id=photo_id,
        upload_url=photo_blobs.upload_url(name, expires_at=expires_at),
        upload_headers={"x-ms-blob-type": "BlockBlob", "Content-Type": data.content_type.value},
        expires_at=expires_at,
    )


def complete_upload(
    *,
    principal: Principal,
    photo_id: str,
    media: MediaStore,
    photo_blobs: PhotoBlobs,
    photo_jobs: PhotoJobs,
    clock: Clock,
) -> PhotoPublic:
    """The app says the PUT finished: put the photo on the processing queue (again, if asked again while pending)."""
    photo = media_reads.own(media_reads.PHOTOS, principal=principal, item_id=photo_id, media=media)
    if photo.status is not PhotoStatus.PENDING:
        return PhotoPublic.of(photo)
    if photo_blobs.quarantine_info(photo.quarantine_blob) is None:
        raise Conflict("The file has not arrived: PUT it to the upload URL first, then call complete.")
    if photo.completed_at is None:
        media.replace_photo_if_unchanged(photo.model_copy(update={"completed_at": clock.now()}), expected=photo)
    photo_jobs.enqueue(PhotoJob(account_id=photo.account_id, user_id=photo.user_id, photo_id=photo.photo_id))
    return PhotoPublic.of(photo)


# ---------------------------------------------------------------- processing


def _job_from_event(event: dict[str, Any], quarantine_container: str) -> PhotoJob | None:
    """An Event Grid (or CloudEvents) BlobCreated event for a quarantine blob named {a}/{u}/{p}/upload.ext."""
    kind = event.get("eventType") or event.get("type")
    subject = event.get("subject")
    if kind != "Microsoft.Storage.BlobCreated" or not isinstance(subject, str):
        return None
    expected = f"{QUARANTINE_CONTAINER_PREFIX}{quarantine_container}/blobs/"
    subject = "/" + subject.lstrip("/")
    if not subject.startswith(expected):
        return None
    parts = subject[len(expected) :].split("/")
    if len(parts) != 4 or not parts[3].startswith("upload.") or not all(parts[:3]):
        return None
    return PhotoJob(account_id=parts[0], user_id=parts[1], photo_id=parts[2])


def parse_job(raw: bytes | str, *, quarantine_container: str) -> PhotoJob | None:
    """Our own message, or an Event Grid event envelope (one event, or an array of one). None: not for us.
    Malformed JSON raises, so that the host retries and then poisons it."""
    body = json.loads(raw)
    if isinstance(body, list):
        if len(body) != 1 or not isinstance(body[0], dict):
            return None
        body = body[0]
    if not isinstance(body, dict):
        return None
    if body.get("kind") == "photo-uploaded":
        try:
            return PhotoJob.model_validate(body)
        except ValidationError:
            return None
    return _job_from_event(body, quarantine_container)


def _capture_time(
    photo: Photo, exif_time: datetime | None, now: datetime, uploaded_at: datetime, skew: timedelta
) -> tuple[datetime, CaptureTimeSource]:
    """EXIF time (already bounded to plausible years by its parser) unless in the future, else the client's."""
    if exif_time is not None and exif_time <= now + skew:
        return exif_time, CaptureTimeSource.EXIF
    if exif_time is not None:
        log.info("photo %s: EXIF capture time in the future ignored", photo.photo_id)
    if photo.client_captured_at is not None:
        return photo.client_captured_at, CaptureTimeSource.CLIENT
    return uploaded_at, CaptureTimeSource.UPLOAD


def _settle(store: MediaStore, blobs: PhotoBlobs, photo: Photo, update: dict[str, Any], *, delete_upload: bool) -> str:
    final = photo.model_copy(update=update)
    if not store.replace_photo_if_unchanged(final, expected=photo):
        if store.get_photo(photo.account_id, photo.photo_id) is None:
            # Deleted meanwhile (retention purge, erasure): leave nothing of it behind.
            for name in _verified_names(photo):
                blobs.delete_photo_blob(name)
            blobs.delete_quarantine(photo.quarantine_blob)
            log.info("photo %s was deleted while processing; its blobs were removed", photo.photo_id)
            return "deleted"
        log.info("photo %s changed while processing; leaving it to the other run", photo.photo_id)
        return "raced"
    if delete_upload:
        blobs.delete_quarantine(photo.quarantine_blob)
    return final.status.value


def _reject(
    store: MediaStore, blobs: PhotoBlobs, photo: Photo, reason: RejectReason, detail: str, now: datetime
) -> str:
    log.info("photo %s rejected: %s (%s)", photo.photo_id, reason.value, detail)
    return _settle(
        store,
        blobs,
        photo,
        {"status": PhotoStatus.REJECTED, "reason": reason.value, "processed_at": now},
        delete_upload=True,
    )


def _quarantine(store: MediaStore, blobs: PhotoBlobs, photo: Photo, reason: QuarantineReason, now: datetime) -> str:
    log.warning("photo %s kept in quarantine: %s", photo.photo_id, reason.value)
    return _settle(
        store,
        blobs,
        photo,
        {"status": PhotoStatus.QUARANTINED, "reason": reason.value, "processed_at": now},
        delete_upload=False,
    )


_QUARANTINE_FOR = {
    ScanVerdict.NOT_SCANNED: QuarantineReason.NOT_SCANNED,
    ScanVerdict.ERROR: QuarantineReason.SCAN_ERROR,
    ScanVerdict.CAP_REACHED: QuarantineReason.SCAN_CAP_REACHED,
}


def process_photo(
    *,
    job: PhotoJob,
    media: MediaStore,
    photo_blobs: PhotoBlobs,
    malware_scanner: MalwareScanner,
    consents: ConsentLedger,
    photo_jobs: PhotoJobs,
    clock: Clock,
    photo_limits: PhotoLimits,
    image_codec: ImageCodec,
    private_zones: PrivateZoneStore,
) -> str:
    """Verify one upload and settle the photo as ready, rejected or quarantined; answer what happened."""
    photo = media.get_photo(job.account_id, job.photo_id)
    if photo is None or photo.user_id != job.user_id:
        log.warning("photo job for unknown photo %s ignored", job.photo_id)
        return "unknown"
    if photo.status in (PhotoStatus.READY, PhotoStatus.REJECTED):
        photo_blobs.delete_quarantine(photo.quarantine_blob)  # finishes a run that stopped after settling
        return f"already-{photo.status.value}"
    if photo.status is PhotoStatus.QUARANTINED:
        return "already-quarantined"
    now = clock.now()
    info = photo_blobs.quarantine_info(photo.quarantine_blob)
    if info is None:
        return _reject(media, photo_blobs, photo, RejectReason.NOT_UPLOADED, "no file in quarantine", now)
    if info.size != photo.declared_size:
        return _reject(
            media,
            photo_blobs,
            photo,
            RejectReason.SIZE_MISMATCH,
            f"declared {photo.declared_size} bytes, received {info.size}",
            now,
        )
    data = photo_blobs.read_quarantine(photo.quarantine_blob, max_bytes=photo.declared_size)
    if len(data) != photo.declared_size:
        return _reject(media, photo_blobs, photo, RejectReason.SIZE_MISMATCH, "the file changed while it was read", now)

    verdict = malware_scanner.scan(blob_name=photo.quarantine_blob, data=data)
    if verdict is ScanVerdict.INFECTED:
        return _reject(media, photo_blobs, photo, RejectReason.MALWARE, "the malware scan found a threat", now)
    if verdict is ScanVerdict.PENDING:
        if photo.scan_checks >= MAX_SCAN_CHECKS:
            return _quarantine(media, photo_blobs, photo, QuarantineReason.NOT_SCANNED, now)
        if media.replace_photo_if_unchanged(
            photo.model_copy(update={"scan_checks": photo.scan_checks + 1}), expected=photo
        ):
            photo_jobs.enqueue(job, delay_seconds=SCAN_RECHECK_SECONDS)
        return "scan-pending"
    if verdict is not ScanVerdict.CLEAN:
        return _quarantine(media, photo_blobs, photo, _QUARANTINE_FOR[verdict], now)

    result = image_codec.inspect(data, declared=photo.declared_type, max_pixels=photo_limits.max_pixels)
    if isinstance(result, Rejection):
        return _reject(media, photo_blobs, photo, result.reason, result.detail, now)

    captured_at, source = _capture_time(
        photo, result.exif.captured_at, now, info.last_modified, photo_limits.future_skew
    )
    if not consent_granted_at(
        ledger=consents,
        account_id=photo.account_id,
        user_id=photo.user_id,
        capability=Capability.CAMERA,
        at=max(captured_at, photo.created_at),
    ):
        # As for pings, the consent in force when the photo was taken decides, not the one when it arrives; a
        # photo taken before its upload grant is judged at the grant (which itself required camera consent).
        return _reject(
            media, photo_blobs, photo, RejectReason.NO_CAMERA_CONSENT, "no camera consent at capture time", now
        )
    location, stored = None, data
    strip = not consent_granted_at(
        ledger=consents,
        account_id=photo.account_id,
        user_id=photo.user_id,
        capability=Capability.LOCATION,
        at=captured_at,
    )
    gps = result.exif.gps
    if (
        not strip
        and gps is not None
        and media_reads.in_private_zone(
            private_zones, account_id=photo.account_id, user_id=photo.user_id, place=gps, at=captured_at
        )
    ):
        strip = True  # taken in a private zone in force then: stored like a photo without location consent
        log.info("photo %s: taken in a private zone; its position is removed", photo.photo_id)
    if not strip:
        location = gps
    else:  # no position is stored anywhere, the original included
        try:
            stored = image_codec.without_location(data, declared=photo.declared_type)
        except LocationNotRemovable as exc:
            return _reject(media, photo_blobs, photo, RejectReason.LOCATION_NOT_REMOVABLE, str(exc), now)
    original, thumbnail, display = _verified_names(photo)
    photo_blobs.put_photo_blob(original, stored, content_type=photo.declared_type.value)
    photo_blobs.put_photo_blob(thumbnail, result.thumbnail_jpeg, content_type="image/jpeg")
    photo_blobs.put_photo_blob(display, result.display_jpeg, content_type="image/jpeg")
    return _settle(
        media,
        photo_blobs,
        photo,
        {
            "status": PhotoStatus.READY,
            "reason": None,
            "processed_at": now,
            "captured_at": captured_at,
            "captured_at_source": source,
            "camera": result.exif.camera,
            "orientation": result.exif.orientation,
            "width": result.width,
            "height": result.height,
            "location": location,
            "sha256": hashlib.sha256(stored).hexdigest(),
            "original_blob": original,
            "thumbnail_blob": thumbnail,
            "display_blob": display,
        },
        delete_upload=True,
    )


def settle_failed(*, job: PhotoJob, media: MediaStore, photo_blobs: PhotoBlobs, clock: Clock) -> str:
    """The job reached the poison queue: every processing attempt failed. A photo still pending becomes rejected
    (`processing-failed`) and loses its upload and whatever copies a failed run wrote; a photo another run settled
    stays as it is. Running it again changes nothing more. Storage errors raise (the host retries)."""
    photo = media.get_photo(job.account_id, job.photo_id)
    if photo is None or photo.user_id != job.user_id:
        return "unknown"
    outcome = f"already-{photo.status.value}"
    if photo.status is PhotoStatus.PENDING:
        log.error("photo %s: every processing attempt failed", photo.photo_id)
        outcome = _reject(
            media, photo_blobs, photo, RejectReason.PROCESSING_FAILED, "every processing attempt failed", clock.now()
        )
        photo = media.get_photo(job.account_id, job.photo_id) or photo
    if photo.status is PhotoStatus.REJECTED:
        photo_blobs.delete_quarantine(photo.quarantine_blob)
        for name in _verified_names(photo):
            photo_blobs.delete_photo_blob(name)
    return outcome


# ---------------------------------------------------------------- reads


def list_photos(
    *,
    principal: Principal,
    account_id: str,
    query: MediaQuery,
    media: MediaStore,
    access_log: AccessLog,
    clock: Clock,
    page_tokens: PageTokens,
    photo_blobs: PhotoBlobs,
    photo_limits: PhotoLimits,
) -> PhotoPage:
    """A page of photos, each ready one with a short-lived link to its thumbnail (signed locally, no storage call):
    a gallery is one request, and one read in the access log."""
    found, continuation = media_reads.listed_for(
        media_reads.PHOTOS,
        principal=principal,
        account_id=account_id,
        query=query,
        media=media,
        access_log=access_log,
        clock=clock,
        page_tokens=page_tokens,
    )
    expires_at = clock.now() + photo_limits.read_ttl
    items = [
        PhotoListItem(
            **PhotoPublic.of(p).model_dump(),
            thumbnail_url=photo_blobs.read_url(p.thumbnail_blob, expires_at=expires_at)
            if p.status is PhotoStatus.READY and p.thumbnail_blob
            else None,
        )
        for p in found
    ]
    linked = any(i.thumbnail_url for i in items)
    return PhotoPage(items=items, continuation=continuation, urls_expire_at=expires_at if linked else None)


def get_photo(
    *,
    principal: Principal,
    account_id: str,
    photo_id: str,
    media: MediaStore,
    photo_blobs: PhotoBlobs,
    access_log: AccessLog,
    clock: Clock,
    photo_limits: PhotoLimits,
) -> PhotoDetail:
    """Metadata, and for a ready photo read-only links to exactly its thumbnail and display copy."""
    photo = media_reads.visible(
        media_reads.PHOTOS, principal=principal, account_id=account_id, item_id=photo_id, media=media
    )
    now = clock.now()
    reads.record_read(
        log=access_log,
        entry=reads.new_entry(
            principal=principal,
            subject_user_ids=[photo.user_id],
            data=AccessedData.PHOTO,
            at=now,
            resource_id=photo.photo_id,
        ),
    )
    detail = PhotoDetail(**PhotoPublic.of(photo).model_dump())
    if photo.status is PhotoStatus.READY and photo.thumbnail_blob and photo.display_blob:
        expires_at = now + photo_limits.read_ttl
        detail.thumbnail_url = photo_blobs.read_url(photo.thumbnail_blob, expires_at=expires_at)
        detail.display_url = photo_blobs.read_url(photo.display_blob, expires_at=expires_at)
        detail.urls_expire_at = expires_at
    return detail
