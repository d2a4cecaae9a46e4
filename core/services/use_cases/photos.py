"""Photo uploads, their verification on the queue, and reads (functions/photos.py)."""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.identity import Principal
from core.domain.media import MediaQuery, PhotoCreate, PhotoDetail, PhotoJob, PhotoPage, PhotoPublic, PhotoUploadGrant
from core.ports import (
    AccessLog,
    BillingStore,
    Clock,
    ConsentLedger,
    MalwareScanner,
    MediaStore,
    PhotoBlobs,
    PhotoJobs,
    PrivateZoneStore,
)
from core.services import photos
from core.services.paging import PageTokens
from core.services.photos import PhotoLimits


@dataclass(frozen=True)
class PhotoUseCases:
    store: MediaStore
    blobs: PhotoBlobs
    jobs: PhotoJobs
    scanner: MalwareScanner
    consents: ConsentLedger
    access_log: AccessLog
    zones: PrivateZoneStore
    billing: BillingStore
    pages: PageTokens
    limits: PhotoLimits
    clock: Clock

    def request_upload(self, *, principal: Principal, data: PhotoCreate) -> PhotoUploadGrant:
        return photos.request_upload(
            principal=principal,
            data=data,
            media=self.store,
            photo_blobs=self.blobs,
            consents=self.consents,
            clock=self.clock,
            photo_limits=self.limits,
            billing=self.billing,
        )

    def complete_upload(self, *, principal: Principal, photo_id: str) -> PhotoPublic:
        return photos.complete_upload(
            principal=principal,
            photo_id=photo_id,
            media=self.store,
            photo_blobs=self.blobs,
            photo_jobs=self.jobs,
            clock=self.clock,
        )

    def list_photos(self, *, principal: Principal, account_id: str, query: MediaQuery) -> PhotoPage:
        return photos.list_photos(
            principal=principal,
            account_id=account_id,
            query=query,
            media=self.store,
            access_log=self.access_log,
            clock=self.clock,
            page_tokens=self.pages,
        )

    def photo(self, *, principal: Principal, account_id: str, photo_id: str) -> PhotoDetail:
        return photos.get_photo(
            principal=principal,
            account_id=account_id,
            photo_id=photo_id,
            media=self.store,
            photo_blobs=self.blobs,
            access_log=self.access_log,
            clock=self.clock,
            photo_limits=self.limits,
        )

    def process(self, job: PhotoJob) -> str:
        """Queue work: verify one upload; answers the outcome."""
        return photos.process_photo(
            job=job,
            media=self.store,
            photo_blobs=self.blobs,
            malware_scanner=self.scanner,
            consents=self.consents,
            photo_jobs=self.jobs,
            clock=self.clock,
            photo_limits=self.limits,
            private_zones=self.zones,
        )

    def settle_failed(self, job: PhotoJob) -> str:
        """Poison-queue work: the photo of a message the host gave up on is rejected (`processing-failed`)."""
        return photos.settle_failed(job=job, media=self.store, photo_blobs=self.blobs, clock=self.clock)
