"""Photos and notes (docs/photos-and-notes.md): the media store, the quarantine and photos blob containers, the
verification queue, the malware scanner, the image codec and the upload limits."""

from __future__ import annotations

import logging
from functools import cached_property
from typing import TYPE_CHECKING

from core.bootstrap.adapter import adapter
from core.bootstrap.clients import Clients

if TYPE_CHECKING:
    from core.adapters.blobs import BlobPhotoStore, DefenderScanner, QueuePhotoJobs, SignatureScanner
    from core.adapters.cosmos_media import CosmosMediaStore
    from core.adapters.images.codec import PillowImageCodec
    from core.services.photos import PhotoLimits

log = logging.getLogger(__name__)


class PhotoPorts(Clients):
    @adapter
    def media(self) -> CosmosMediaStore:
        from core.adapters.cosmos_media import CosmosMediaStore

        return CosmosMediaStore(self.database)

    @adapter
    def photo_blobs(self) -> BlobPhotoStore:
        """Quarantine and photos containers; account-key SAS with a connection string, user-delegation SAS without."""
        from core.adapters.blobs import BlobPhotoStore

        return BlobPhotoStore.from_settings(self.settings, self.blob_service)

    @adapter
    def photo_jobs(self) -> QueuePhotoJobs:
        from core.adapters.blobs import QueuePhotoJobs
        from core.adapters.queues import queue_client

        return QueuePhotoJobs(queue_client(self.queue_service, self.settings.queue_photo_uploads))

    @adapter
    def malware_scanner(self) -> SignatureScanner | DefenderScanner:
        """PHOTO_MALWARE_SCAN: `signature` (EICAR only, local) or `defender` (also Defender for Storage's verdict)."""
        from core.adapters.blobs import DefenderScanner, SignatureScanner

        if self.settings.photo_malware_scan == "defender":
            return DefenderScanner(self.photo_blobs)
        return SignatureScanner()

    @cached_property
    def image_codec(self) -> PillowImageCodec:
        """Pure computation on bytes (no SDK, no I/O): nothing to wrap into DependencyUnavailable. Its decode budget
        (PHOTO_DECODE_BUDGET_MB) is the process's one: the root is built once per process. Freed decode buffers go
        back to the system (budget.py), so the budget also bounds what decoding adds to the worker's memory."""
        from core.adapters.images.budget import DecodeBudget, return_large_blocks_on_free
        from core.adapters.images.codec import PillowImageCodec

        if not return_large_blocks_on_free():
            log.warning("the C library has no mallopt: freed decode buffers may stay in the process")
        return PillowImageCodec(DecodeBudget(self.settings.photo_decode_budget_mb * 1024 * 1024))

    @cached_property
    def photo_limits(self) -> PhotoLimits:
        from core.services.photos import PhotoLimits

        return PhotoLimits.from_settings(self.settings)
