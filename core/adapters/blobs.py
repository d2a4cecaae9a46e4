"""Photo blobs: the private `photo-quarantine` and `photos` containers, and the narrow SAS links into them.

Which SAS is minted depends on the settings: with a storage connection string (Azurite, locally) an account-key
service SAS; with only an account name (Azure, managed identity, keys disabled) a user-delegation SAS signed with
a delegation key that is fetched once and reused until shortly before it expires.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.storage.blob import (
    BlobSasPermissions,
    BlobServiceClient,
    ContainerClient,
    ContentSettings,
    UserDelegationKey,
    generate_blob_sas,
)
from azure.storage.queue import QueueClient

from core import schema
from core.adapters.blob_versions import purge_previous_versions
from core.adapters.storage import build_blob_service
from core.domain.media import BlobInfo, PhotoJob, ScanVerdict, signature_verdict
from core.settings import Settings

log = logging.getLogger(__name__)

SAS_START_SKEW = timedelta(minutes=1)  # a device clock slightly ahead still gets a valid link
DELEGATION_KEY_LIFETIME = timedelta(hours=2)
DELEGATION_KEY_RENEW_BEFORE = timedelta(minutes=30)  # longer than any link minted with it lives


class BlobPhotoStore:
    def __init__(self, service: BlobServiceClient, *, account_key: str | None, purge_versions: bool = True) -> None:
        """`account_key`: sign with it (Azurite); None: user-delegation SAS (Azure). `purge_versions`: the storage
        account keeps blob versions, so an overwrite or a delete also deletes the previous versions (the replaced
        bytes, e.g. an original that still had its position; core/adapters/blob_versions.py)."""
        self._service = service
        self._account_key = account_key
        self._purge_versions = purge_versions
        self._quarantine = service.get_container_client(schema.PHOTO_QUARANTINE_BLOB_CONTAINER)
        self._photos = service.get_container_client(schema.PHOTOS_BLOB_CONTAINER)
        self._lock = threading.Lock()
        self._delegation: UserDelegationKey | None = None
        self._delegation_expires: datetime | None = None

    @classmethod
    def from_settings(cls, settings: Settings, service: BlobServiceClient | None = None) -> BlobPhotoStore:
        service = service or build_blob_service(settings)
        key = service.credential.account_key if settings.storage_connection_string is not None else None
        return cls(service, account_key=key, purge_versions=settings.blob_versioning_enabled)

    # ---- SAS
    def _delegation_key(self, now: datetime) -> UserDelegationKey:
        with self._lock:
            expires = self._delegation_expires
            if self._delegation is None or expires is None or expires - now < DELEGATION_KEY_RENEW_BEFORE:
                expires = now + DELEGATION_KEY_LIFETIME
                self._delegation = self._service.get_user_delegation_key(
                    key_start_time=now - SAS_START_SKEW, key_expiry_time=expires
                )
                self._delegation_expires = expires
            return self._delegation

    def _sas(
        self,
        container: str,
        blob_name: str,
        permission: BlobSasPermissions,
        expires_at: datetime,
        content_type: str | None = None,
    ) -> str:
        now = datetime.now(UTC)
        account = self._service.account_name or ""
        if self._account_key is not None:
            return generate_blob_sas(
                account,
                container,
                blob_name,
                account_key=self._account_key,
                permission=permission,
                expiry=expires_at,
                start=now - SAS_START_SKEW,
                content_type=content_type,
            )
        return generate_blob_sas(
            account,
            container,
            blob_name,
            user_delegation_key=self._delegation_key(now),
            permission=permission,
            expiry=expires_at,
            start=now - SAS_START_SKEW,
            content_type=content_type,
            protocol="https",
        )

    def upload_url(self, blob_name: str, *, expires_at: datetime) -> str:
        # Create only: the link cannot read, list, delete or overwrite, and names this one blob (sr=b).
        sas = self._sas(schema.PHOTO_QUARANTINE_BLOB_CONTAINER, blob_name, BlobSasPermissions(create=True), expires_at)
        return f"{self._quarantine.get_blob_client(blob_name).url}?{sas}"

    def read_url(self, blob_name: str, *, expires_at: datetime) -> str:
        sas = self._sas(
            schema.PHOTOS_BLOB_CONTAINER,
            blob_name,
            BlobSasPermissions(read=True),
            expires_at,
            content_type="image/jpeg",
        )
        return f"{self._photos.get_blob_client(blob_name).url}?{sas}"

    # ---- quarantine
    def quarantine_info(self, blob_name: str) -> BlobInfo | None:
        try:
            props = self._quarantine.get_blob_client(blob_name).get_blob_properties()
        except ResourceNotFoundError:
            return None
        return BlobInfo(size=props.size, last_modified=props.last_modified)

    def read_quarantine(self, blob_name: str, *, max_bytes: int) -> bytes:
        data: bytes = self._quarantine.get_blob_client(blob_name).download_blob(offset=0, length=max_bytes).readall()
        return data

    def delete_quarantine(self, blob_name: str) -> bool:
        """The upload (as sent: it may carry a position) and its previous versions."""
        return self._delete(self._quarantine, blob_name)

    def _delete(self, container: ContainerClient, blob_name: str) -> bool:
        """Delete the blob, then its previous versions (the delete itself made the current one a previous version);
        the versions are purged even when the blob was already gone, so a retry after a crash finishes them."""
        try:
            container.delete_blob(blob_name)
            deleted = True
        except ResourceNotFoundError:
            deleted = False
        if self._purge_versions:
            purge_previous_versions(container, blob_name)
        return deleted

    def scan_result_tag(self, blob_name: str) -> str | None:
        """Defender for Storage's verdict, written as a blob index tag on the scanned blob (None: none yet)."""
        tags = self._quarantine.get_blob_client(blob_name).get_blob_tags()
        value = tags.get("Malware Scanning scan result")
        return str(value) if value is not None else None

    # ---- verified photos
    def put_photo_blob(self, blob_name: str, data: bytes, *, content_type: str) -> None:
        """An overwrite (location stripping rewrites an original) leaves no previous version of the old bytes."""
        self._photos.get_blob_client(blob_name).upload_blob(
            data, overwrite=True, content_settings=ContentSettings(content_type=content_type)
        )
        if self._purge_versions:
            purge_previous_versions(self._photos, blob_name)

    def delete_photo_blob(self, blob_name: str) -> bool:
        return self._delete(self._photos, blob_name)

    def read_photo_blob(self, blob_name: str) -> bytes | None:
        try:
            data: bytes = self._photos.get_blob_client(blob_name).download_blob().readall()
        except ResourceNotFoundError:
            return None
        return data

    def list_photo_blobs(self, prefix: str) -> list[str]:
        return [b.name for b in self._photos.list_blobs(name_starts_with=prefix)]


class SignatureScanner:
    """Local scanning: the EICAR test signature only."""

    def scan(self, *, blob_name: str, data: bytes) -> ScanVerdict:
        return signature_verdict(data)


class DefenderScanner:
    """Azure: the signature check, then Defender for Storage's on-upload verdict. Only "No threats found" is clean;
    no tag yet means the scan has not finished (asked again later); anything else keeps the photo in quarantine."""

    def __init__(self, blobs: BlobPhotoStore) -> None:
        self._blobs = blobs

    def scan(self, *, blob_name: str, data: bytes) -> ScanVerdict:
        if signature_verdict(data) is ScanVerdict.INFECTED:
            return ScanVerdict.INFECTED
        try:
            result = self._blobs.scan_result_tag(blob_name)
        except ResourceNotFoundError:
            return ScanVerdict.ERROR  # removed under us (Defender may delete malicious uploads)
        except HttpResponseError as exc:
            log.warning("reading the scan result of %s failed (%s)", blob_name, exc.status_code)
            return ScanVerdict.ERROR
        return verdict_of(result)


def verdict_of(tag: str | None) -> ScanVerdict:
    if tag is None:
        return ScanVerdict.PENDING
    text = tag.strip().lower()
    if text == "no threats found":
        return ScanVerdict.CLEAN
    if text == "malicious":
        return ScanVerdict.INFECTED
    if "limit" in text or "cap" in text:
        return ScanVerdict.CAP_REACHED
    if "error" in text or "fail" in text:
        return ScanVerdict.ERROR
    return ScanVerdict.NOT_SCANNED


class QueuePhotoJobs:
    """The photo-upload queue (QUEUE_PHOTO_UPLOADS): our own messages, next to Event Grid's BlobCreated events."""

    def __init__(self, client: QueueClient) -> None:
        self._client = client

    def enqueue(self, job: PhotoJob, *, delay_seconds: int = 0) -> None:
        self._client.send_message(job.model_dump_json(by_alias=True), visibility_timeout=delay_seconds or None)
