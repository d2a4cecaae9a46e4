"""Photo processing on fakes: no position in any stored copy without location consent at capture time, absurd
EXIF capture times fall back to the upload time, and a photo whose processing always failed settles rejected."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image

from core.adapters.images import location_strip
from core.domain.consent import Capability
from core.domain.media import CaptureTimeSource, PhotoJob, PhotoStatus
from core.services import photos
from tests.fixtures import images
from tests.unit.test_photos_service import WORKER, World

LAT, LON = 44.977753, -93.265015


@pytest.fixture
def world() -> World:
    w = World()
    w.grant(WORKER, Capability.CAMERA)
    w.clock.advance(minutes=1)
    return w


def _stored(world: World, photo_id: str) -> dict[str, bytes]:
    prefix = f"{WORKER.account_id}/{WORKER.user_id}/{photo_id}/"
    return {
        name.removeprefix(prefix): data for name, (data, _) in world.blobs.photos.items() if name.startswith(prefix)
    }


def test_without_location_consent_no_stored_copy_has_a_position(world: World) -> None:
    data = images.jpeg(
        taken=world.clock.now() - timedelta(minutes=1), gps=(LAT, LON), xmp=images.location_xmp(LAT, LON)
    )
    photo_id = world.send(WORKER, data)
    photo = world.photo(WORKER, photo_id)
    assert photo.status is PhotoStatus.READY and photo.location is None
    stored = _stored(world, photo_id)
    assert set(stored) == {"original.jpg", "thumbnail.jpg", "display.jpg"}
    for name, blob in stored.items():
        assert location_strip.find_location(blob, "jpeg") == [], name
        assert b"Minneapolis" not in blob and b"GPSLatitude" not in blob, name
    original = stored["original.jpg"]
    assert original != data and len(original) == len(data)
    assert Image.open(io.BytesIO(original)).tobytes() == Image.open(io.BytesIO(data)).tobytes()
    assert photo.sha256 is not None and photo.captured_at_source is CaptureTimeSource.EXIF


def test_with_location_consent_at_capture_time_the_original_is_kept_as_uploaded(world: World) -> None:
    world.grant(WORKER, Capability.LOCATION)
    world.clock.advance(minutes=2)
    data = images.jpeg(
        taken=world.clock.now() - timedelta(minutes=1), gps=(LAT, LON), xmp=images.location_xmp(LAT, LON)
    )
    photo_id = world.send(WORKER, data)
    assert world.photo(WORKER, photo_id).location is not None
    assert _stored(world, photo_id)["original.jpg"] == data


def test_png_and_heic_originals_lose_their_position_too(world: World) -> None:
    from core.domain.media import PhotoContentType

    for data, declared, family in (
        (images.png(gps=(LAT, LON), xmp=images.location_xmp(LAT, LON)), PhotoContentType.PNG, "png"),
        (images.heic(gps=(LAT, LON), xmp=images.location_xmp(LAT, LON)), PhotoContentType.HEIC, "heif"),
    ):
        photo_id = world.send(WORKER, data, declared)
        assert world.photo(WORKER, photo_id).status is PhotoStatus.READY
        original = _stored(world, photo_id)[f"original.{declared.extension}"]
        assert location_strip.find_location(original, family) == []


def test_a_position_that_cannot_be_removed_rejects_the_photo(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(location_strip, "strip_location", lambda data, family: data)  # a removal that misses
    photo_id = world.send(WORKER, images.jpeg(gps=(LAT, LON)))
    photo = world.photo(WORKER, photo_id)
    assert (photo.status, photo.reason) == (PhotoStatus.REJECTED, "location-not-removable")
    assert _stored(world, photo_id) == {} and world.blobs.quarantine == {}


@pytest.mark.parametrize(
    ("original", "offset"),
    [
        ("0000:00:00 00:00:00", "+00:00"),
        ("0001:01:01 00:00:00", "+14:00"),
        ("9999:12:31 23:59:59", "+14:00"),
        ("9999:12:31 23:59:59", "-14:00"),
        ("not a date at all", "+01:00"),
    ],
)
def test_absurd_exif_capture_time_falls_back_to_the_upload_time(world: World, original: str, offset: str) -> None:
    photo_id = world.send(WORKER, images.jpeg(taken_text=(original, offset)))
    photo = world.photo(WORKER, photo_id)
    assert photo.status is PhotoStatus.READY
    assert (photo.captured_at, photo.captured_at_source) == (world.blobs.uploaded_at, CaptureTimeSource.UPLOAD)


def _settle_failed(world: World, photo_id: str) -> str:
    job = PhotoJob(account_id=WORKER.account_id, user_id=WORKER.user_id, photo_id=photo_id)
    return photos.settle_failed(job=job, media=world.store, photo_blobs=world.blobs, clock=world.clock)


def test_a_poisoned_job_rejects_its_pending_photo_and_removes_every_blob(world: World) -> None:
    photo_id = world.request(WORKER, images.jpeg())
    world.upload(WORKER, photo_id, images.jpeg())
    prefix = f"{WORKER.account_id}/{WORKER.user_id}/{photo_id}/"
    world.blobs.put_photo_blob(prefix + "original.jpg", images.jpeg(), content_type="image/jpeg")  # a failed run's
    assert _settle_failed(world, photo_id) == "rejected"
    photo = world.photo(WORKER, photo_id)
    assert (photo.status, photo.reason) == (PhotoStatus.REJECTED, "processing-failed")
    assert photo.processed_at == world.clock.now()
    assert world.blobs.quarantine == {} and _stored(world, photo_id) == {}
    # Delivered again (the poison trigger retried): nothing changes.
    assert _settle_failed(world, photo_id) == "already-rejected"
    assert world.photo(WORKER, photo_id) == photo


def test_a_poisoned_job_of_a_settled_or_unknown_photo_changes_nothing(world: World) -> None:
    data = images.jpeg()
    photo_id = world.send(WORKER, data)
    before = world.photo(WORKER, photo_id)
    assert _settle_failed(world, photo_id) == "already-ready"
    assert world.photo(WORKER, photo_id) == before and len(_stored(world, photo_id)) == 3
    assert _settle_failed(world, "nope") == "unknown"
