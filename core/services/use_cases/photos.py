"""Photo uploads, their verification on the queue, and reads (functions/photos.py)."""

from __future__ import annotations

from core.services import photos
from core.services.wiring import UseCases, inject


class PhotoUseCases(UseCases):
    request_upload = inject(photos.request_upload)
    complete_upload = inject(photos.complete_upload)
    list_photos = inject(photos.list_photos)
    photo = inject(photos.get_photo)
    # Queue work: verify one upload; answers the outcome.
    process = inject(photos.process_photo)
    # Poison-queue work: the photo of a message the host gave up on is rejected (`processing-failed`).
    settle_failed = inject(photos.settle_failed)
