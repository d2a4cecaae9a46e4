"""Photos: what the owner's view shows of the capture time, and camera consent decided at the capture time."""

from __future__ import annotations

from datetime import timedelta

from core.domain.consent import Capability
from core.domain.media import CaptureTimeSource, MediaQuery, PhotoStatus
from core.services import photos
from tests.fixtures import images
from tests.unit.fakes_paging import page_tokens
from tests.unit.test_photos_service import LIMITS, OWNER, WORKER, World


def _world() -> World:
    w = World()
    w.grant(WORKER, Capability.CAMERA, at=w.clock.now() - timedelta(hours=1))
    return w


def test_the_owners_photo_view_shows_the_exif_capture_time() -> None:
    w = _world()
    taken = (w.clock.now() - timedelta(minutes=20)).replace(microsecond=0)
    photo_id = w.send(WORKER, images.jpeg(taken=taken), captured_at=(taken - timedelta(hours=3)).isoformat())
    detail = photos.get_photo(
        principal=OWNER,
        account_id="a1",
        photo_id=photo_id,
        media=w.store,
        photo_blobs=w.blobs,
        access_log=w.log,
        clock=w.clock,
        photo_limits=LIMITS,
    )
    assert detail.status is PhotoStatus.READY
    assert (detail.captured_at, detail.captured_at_source) == (taken, CaptureTimeSource.EXIF)  # EXIF beats client
    answer = detail.model_dump(mode="json", by_alias=True)
    assert answer["capturedAt"].startswith(taken.strftime("%Y-%m-%dT%H:%M:%S")) and answer["capturedAtSource"] == "exif"
    listed = photos.list_photos(
        principal=OWNER,
        account_id="a1",
        query=MediaQuery(),
        media=w.store,
        access_log=w.log,
        clock=w.clock,
        page_tokens=page_tokens(),
        photo_blobs=w.blobs,
        photo_limits=photos.PhotoLimits(),
    ).items
    assert [(p.photo_id, p.captured_at, p.captured_at_source) for p in listed] == [
        (photo_id, taken, CaptureTimeSource.EXIF)
    ]


def _upload_then_revoke(w: World, data: bytes) -> str:
    photo_id = w.request(WORKER, data)  # the grant needs camera consent now
    w.upload(WORKER, photo_id, data)
    w.clock.advance(minutes=1)
    w.grant(WORKER, Capability.CAMERA, granted=False)  # revoked before the upload is completed and verified
    w.clock.advance(minutes=1)
    return photo_id


def test_taken_before_the_revocation_is_kept_when_it_arrives_after() -> None:
    w = _world()
    taken = (w.clock.now() - timedelta(minutes=5)).replace(microsecond=0)
    photo_id = _upload_then_revoke(w, images.jpeg(taken=taken))
    assert w.process(WORKER, photo_id) == "ready"
    photo = w.photo(WORKER, photo_id)
    assert (photo.status, photo.captured_at) == (PhotoStatus.READY, taken)
    assert len(w.blobs.photos) == 3 and w.blobs.quarantine == {}


def test_taken_after_the_revocation_is_rejected_and_nothing_is_kept() -> None:
    w = _world()
    taken = (w.clock.now() + timedelta(seconds=90)).replace(microsecond=0)  # after the revocation at +60 s
    photo_id = _upload_then_revoke(w, images.jpeg(taken=taken))
    assert w.process(WORKER, photo_id) == "rejected"
    photo = w.photo(WORKER, photo_id)
    assert (photo.status, photo.reason) == (PhotoStatus.REJECTED, "no-camera-consent")
    assert w.blobs.photos == {} and w.blobs.quarantine == {}


def test_without_a_capture_time_the_upload_time_decides() -> None:
    w = _world()
    before = _upload_then_revoke(w, images.jpeg())
    w.blobs.uploaded_at = w.clock.now() - timedelta(minutes=5)  # written before the revocation
    assert w.process(WORKER, before) == "ready"
    w2 = _world()
    after = _upload_then_revoke(w2, images.jpeg())
    w2.blobs.uploaded_at = w2.clock.now()  # written after the revocation
    assert w2.process(WORKER, after) == "rejected"
    assert w2.photo(WORKER, after).reason == "no-camera-consent"


def test_taken_before_the_grant_is_judged_at_the_grant() -> None:
    w = World()
    w.grant(WORKER, Capability.CAMERA)  # consent given now; the photo was taken a little earlier
    w.clock.advance(seconds=1)
    taken = (w.clock.now() - timedelta(minutes=2)).replace(microsecond=0)
    photo_id = w.send(WORKER, images.jpeg(taken=taken))
    assert w.photo(WORKER, photo_id).status is PhotoStatus.READY
