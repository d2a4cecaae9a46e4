"""Photos: upload grants under camera consent, completion, verification on the queue (idempotent), reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.adapters.images.budget import DecodeBudget
from core.adapters.images.codec import PillowImageCodec
from core.domain.consent import Capability, ConsentEntry
from core.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.domain.identity import Principal, Role
from core.domain.media import (
    CaptureTimeSource,
    MediaQuery,
    Note,
    Photo,
    PhotoContentType,
    PhotoCreate,
    PhotoDetail,
    PhotoJob,
    PhotoStatus,
    ScanVerdict,
)
from core.domain.tracking import AccessedData
from core.services import photos
from tests.fixtures import images
from tests.unit.fakes import FakeClock
from tests.unit.fakes_billing import FakeBillingStore
from tests.unit.fakes_media import FakeMediaStore, FakePhotoBlobs, FakePhotoJobs, FakeScanner
from tests.unit.fakes_paging import page_tokens
from tests.unit.fakes_tracking import FakeAccessLog, FakeConsentLedger, FakePrivateZoneStore

OWNER = Principal(user_id="o1", email="o1@example.com", account_id="a1", role=Role.OWNER)
WORKER = Principal(user_id="u1", email="u1@example.com", account_id="a1", role=Role.MEMBER)
COLLEAGUE = Principal(user_id="u2", email="u2@example.com", account_id="a1", role=Role.MEMBER)
STRANGER = Principal(user_id="o9", email="o9@example.com", account_id="a9", role=Role.OWNER)
LIMITS = photos.PhotoLimits()


class World:
    def __init__(self) -> None:
        self.store, self.blobs, self.jobs = FakeMediaStore(), FakePhotoBlobs(), FakePhotoJobs()
        self.scanner, self.ledger, self.log = FakeScanner(), FakeConsentLedger(), FakeAccessLog()
        self.clock, self.billing, self.zones = FakeClock(), FakeBillingStore(), FakePrivateZoneStore()
        self.codec = PillowImageCodec(DecodeBudget(256 * 1024 * 1024))  # the real codec: what these tests check

    def grant(self, who: Principal, capability: Capability, granted: bool = True, at: datetime | None = None) -> None:
        self.ledger.append(
            ConsentEntry(
                entry_id=f"c-{len(self.ledger.entries)}",
                account_id=who.account_id,
                user_id=who.user_id,
                capability=capability,
                granted=granted,
                recorded_at=at or self.clock.now(),
                device_id="d",
                app_version="1",
                policy_version="2023-06-15",
            )
        )

    def request(
        self,
        who: Principal,
        data: bytes,
        content_type: PhotoContentType = PhotoContentType.JPEG,
        size: int | None = None,
        **extra: object,
    ) -> str:
        body = PhotoCreate.model_validate(
            {"contentType": content_type.value, "sizeBytes": size if size is not None else len(data), **extra}
        )
        grant = photos.request_upload(
            principal=who,
            data=body,
            media=self.store,
            photo_blobs=self.blobs,
            consents=self.ledger,
            clock=self.clock,
            photo_limits=LIMITS,
            billing=self.billing,
        )
        return grant.photo_id

    def upload(self, who: Principal, photo_id: str, data: bytes) -> None:
        photo = self.store.get_photo(who.account_id, photo_id)
        assert photo is not None
        self.blobs.quarantine[photo.quarantine_blob] = data

    def process(self, who: Principal, photo_id: str) -> str:
        job = PhotoJob(account_id=who.account_id, user_id=who.user_id, photo_id=photo_id)
        return photos.process_photo(
            job=job,
            media=self.store,
            photo_blobs=self.blobs,
            malware_scanner=self.scanner,
            consents=self.ledger,
            photo_jobs=self.jobs,
            clock=self.clock,
            photo_limits=LIMITS,
            image_codec=self.codec,
            private_zones=self.zones,
        )

    def send(
        self,
        who: Principal,
        data: bytes,
        declared: PhotoContentType = PhotoContentType.JPEG,
        size: int | None = None,
        **extra: object,
    ) -> str:
        photo_id = self.request(who, data, declared, size, **extra)
        self.upload(who, photo_id, data)
        self.clock.advance(seconds=5)
        self.process(who, photo_id)
        return photo_id

    def photo(self, who: Principal, photo_id: str) -> Photo:
        got = self.store.get_photo(who.account_id, photo_id)
        assert got is not None
        return got


@pytest.fixture
def world() -> World:
    w = World()
    w.grant(WORKER, Capability.CAMERA)
    w.clock.advance(minutes=1)
    return w


# ---------------------------------------------------------------- upload grant


def test_no_camera_consent_is_403_and_creates_nothing() -> None:
    w = World()
    with pytest.raises(Forbidden, match=r"[Cc]amera"):
        w.request(WORKER, images.jpeg())
    w.grant(WORKER, Capability.CAMERA)
    w.clock.advance(minutes=1)
    w.grant(WORKER, Capability.CAMERA, granted=False)
    w.clock.advance(minutes=1)
    with pytest.raises(Forbidden):
        w.request(WORKER, images.jpeg())
    assert w.store.photos == {}


def test_grant_is_one_pending_photo_with_a_short_lived_link(world: World) -> None:
    photo_id = world.request(WORKER, images.jpeg(), captured_at="2026-06-01T11:00:00+02:00")
    photo = world.photo(WORKER, photo_id)
    assert photo.status is PhotoStatus.PENDING
    assert photo.quarantine_blob == f"a1/u1/{photo_id}/upload.jpg"
    assert photo.upload_expires_at - world.clock.now() <= timedelta(minutes=10)
    assert photo.captured_at_source is CaptureTimeSource.CLIENT


def test_size_limit_and_future_capture_time_are_field_errors(world: World) -> None:
    with pytest.raises(ValidationFailed) as too_big:
        world.request(WORKER, b"", size=LIMITS.max_bytes + 1)
    assert [e.field for e in too_big.value.errors] == ["sizeBytes"]
    with pytest.raises(ValidationFailed) as future:
        world.request(WORKER, images.jpeg(), captured_at=(world.clock.now() + timedelta(hours=1)).isoformat())
    assert [e.field for e in future.value.errors] == ["capturedAt"]
    assert world.store.photos == {}


def test_note_link_must_be_one_of_my_notes(world: World) -> None:
    now = world.clock.now()
    world.store.create_note(Note(note_id="n2", account_id="a1", user_id="u2", text="x", created_at=now, updated_at=now))
    with pytest.raises(ValidationFailed) as refused:
        world.request(WORKER, images.jpeg(), noteId="n2")
    assert [e.field for e in refused.value.errors] == ["noteId"]
    world.store.create_note(Note(note_id="n1", account_id="a1", user_id="u1", text="x", created_at=now, updated_at=now))
    assert world.photo(WORKER, world.request(WORKER, images.jpeg(), noteId="n1")).note_id == "n1"


def test_complete_needs_the_upload_and_queues_the_photo(world: World) -> None:
    photo_id = world.request(WORKER, images.jpeg())

    def complete(who: Principal) -> object:
        return photos.complete_upload(
            principal=who,
            photo_id=photo_id,
            media=world.store,
            photo_blobs=world.blobs,
            photo_jobs=world.jobs,
            clock=world.clock,
        )

    with pytest.raises(Conflict):
        complete(WORKER)
    world.upload(WORKER, photo_id, images.jpeg())
    for other in (COLLEAGUE, OWNER, STRANGER):
        with pytest.raises(NotFound):
            complete(other)
    complete(WORKER)
    assert [j.photo_id for j, _ in world.jobs.sent] == [photo_id]
    assert world.photo(WORKER, photo_id).completed_at == world.clock.now()
    with pytest.raises(NotFound):
        photos.complete_upload(
            principal=WORKER,
            photo_id="../x",
            media=world.store,
            photo_blobs=world.blobs,
            photo_jobs=world.jobs,
            clock=world.clock,
        )


# ---------------------------------------------------------------- processing


def test_verified_photo_gets_metadata_and_copies_and_leaves_quarantine(world: World) -> None:
    taken = world.clock.now() - timedelta(seconds=30)
    world.grant(WORKER, Capability.LOCATION, at=taken - timedelta(minutes=5))
    data = images.jpeg(size=(800, 600), taken=taken, gps=(44.9778, -93.265), orientation=1)
    photo_id = world.send(WORKER, data)
    photo = world.photo(WORKER, photo_id)
    assert photo.status is PhotoStatus.READY and photo.reason is None
    assert photo.captured_at == taken and photo.captured_at_source is CaptureTimeSource.EXIF
    assert (photo.width, photo.height, photo.orientation) == (800, 600, 1)
    assert photo.camera is not None and photo.camera.model == "FieldCam 3"
    assert photo.location is not None and photo.location.latitude == pytest.approx(44.9778, abs=1e-4)
    assert set(world.blobs.photos) == {
        f"a1/u1/{photo_id}/original.jpg",
        f"a1/u1/{photo_id}/thumbnail.jpg",
        f"a1/u1/{photo_id}/display.jpg",
    }
    assert world.blobs.photos[f"a1/u1/{photo_id}/original.jpg"][0] == data
    assert world.blobs.quarantine == {}


def test_gps_is_dropped_without_location_consent_at_capture_time(world: World) -> None:
    taken = world.clock.now() - timedelta(minutes=10)
    data = images.jpeg(taken=taken, gps=(44.9778, -93.265))
    assert world.photo(WORKER, world.send(WORKER, data)).location is None  # never granted
    world.grant(WORKER, Capability.LOCATION)  # granted after the photo was taken: still dropped
    world.clock.advance(minutes=1)
    photo = world.photo(WORKER, world.send(WORKER, data))
    assert photo.status is PhotoStatus.READY and photo.location is None
    assert "44.97" not in photo.model_dump_json()


def test_capture_time_falls_back_to_the_client_then_to_the_upload(world: World) -> None:
    client_time = datetime(2026, 6, 1, 11, 0, tzinfo=UTC)
    with_client = world.send(WORKER, images.jpeg(), captured_at=client_time.isoformat())
    assert (world.photo(WORKER, with_client).captured_at, world.photo(WORKER, with_client).captured_at_source) == (
        client_time,
        CaptureTimeSource.CLIENT,
    )
    neither = world.photo(WORKER, world.send(WORKER, images.jpeg()))
    assert (neither.captured_at, neither.captured_at_source) == (world.blobs.uploaded_at, CaptureTimeSource.UPLOAD)
    future_exif = images.jpeg(taken=world.clock.now() + timedelta(days=2))
    assert world.photo(WORKER, world.send(WORKER, future_exif)).captured_at_source is CaptureTimeSource.UPLOAD


@pytest.mark.parametrize(
    ("data", "declared", "reason"),
    [
        (images.png(), PhotoContentType.JPEG, "type-mismatch"),
        (b"hello, I am text\n" * 50, PhotoContentType.JPEG, "not-an-image"),
        (images.ELF_HEADER * 4, PhotoContentType.JPEG, "not-an-image"),
        (images.PE_HEADER * 4, PhotoContentType.JPEG, "not-an-image"),
        (images.png_bomb(8000, 8000), PhotoContentType.PNG, "too-many-pixels"),
        (images.EICAR_TEXT, PhotoContentType.JPEG, "malware"),
        (images.jpeg(extra=images.EICAR_TEXT), PhotoContentType.JPEG, "malware"),
    ],
)
def test_bad_uploads_are_rejected_and_deleted(
    world: World, data: bytes, declared: PhotoContentType, reason: str
) -> None:
    photo = world.photo(WORKER, world.send(WORKER, data, declared))
    assert (photo.status, photo.reason) == (PhotoStatus.REJECTED, reason)
    assert world.blobs.quarantine == {} and world.blobs.photos == {}


def test_upload_larger_or_smaller_than_declared_is_rejected(world: World) -> None:
    data = images.jpeg()
    larger = world.photo(WORKER, world.send(WORKER, data, size=len(data) - 10))
    smaller = world.photo(WORKER, world.send(WORKER, data, size=len(data) + 10))
    assert larger.reason == smaller.reason == "size-mismatch"
    assert world.blobs.quarantine == {} and world.blobs.photos == {}


def test_redelivered_message_changes_nothing(world: World) -> None:
    photo_id = world.send(WORKER, images.jpeg())
    before, writes, blob_writes = world.photo(WORKER, photo_id), world.store.writes, world.blobs.photo_writes
    world.clock.advance(minutes=3)
    assert world.process(WORKER, photo_id) == "already-ready"
    assert world.photo(WORKER, photo_id) == before
    assert (world.store.writes, world.blobs.photo_writes, len(world.blobs.photos)) == (writes, blob_writes, 3)


def test_a_run_that_stopped_before_settling_is_finished_without_extra_blobs(world: World) -> None:
    photo_id = world.request(WORKER, images.jpeg())
    world.upload(WORKER, photo_id, images.jpeg())
    original = world.store.replace_photo_if_unchanged
    world.store.replace_photo_if_unchanged = lambda *a, **k: (_ for _ in ()).throw(ConnectionError())  # type: ignore[method-assign]  # the fake store's method replaced for this one race or failure
    with pytest.raises(ConnectionError):
        world.process(WORKER, photo_id)
    world.store.replace_photo_if_unchanged = original  # type: ignore[method-assign]  # the fake store's method replaced for this one race or failure
    assert world.process(WORKER, photo_id) == "ready"
    assert len(world.blobs.photos) == 3 and world.blobs.quarantine == {}


def test_settled_photo_whose_upload_was_left_behind_is_cleaned_on_redelivery(world: World) -> None:
    photo_id = world.send(WORKER, images.png(), PhotoContentType.JPEG)
    world.upload(WORKER, photo_id, images.png())  # as if the delete after settling had not happened
    assert world.process(WORKER, photo_id) == "already-rejected"
    assert world.blobs.quarantine == {}


def test_scan_without_a_verdict_is_asked_again_then_quarantined(world: World) -> None:
    photo_id = world.request(WORKER, images.jpeg())
    world.upload(WORKER, photo_id, images.jpeg())
    for attempt in range(photos.MAX_SCAN_CHECKS):
        world.scanner.forced = [ScanVerdict.PENDING]
        assert world.process(WORKER, photo_id) == "scan-pending"
        assert len(world.jobs.sent) == attempt + 1 and world.jobs.sent[-1][1] == photos.SCAN_RECHECK_SECONDS
    world.scanner.forced = [ScanVerdict.PENDING]
    assert world.process(WORKER, photo_id) == "quarantined"
    photo = world.photo(WORKER, photo_id)
    assert (photo.status, photo.reason) == (PhotoStatus.QUARANTINED, "not-scanned")
    assert photo.quarantine_blob in world.blobs.quarantine and world.blobs.photos == {}


@pytest.mark.parametrize(
    ("verdict", "reason"),
    [
        (ScanVerdict.ERROR, "scan-error"),
        (ScanVerdict.CAP_REACHED, "scan-cap-reached"),
        (ScanVerdict.NOT_SCANNED, "not-scanned"),
    ],
)
def test_no_clean_verdict_keeps_the_upload_in_quarantine(world: World, verdict: ScanVerdict, reason: str) -> None:
    photo_id = world.request(WORKER, images.jpeg())
    world.upload(WORKER, photo_id, images.jpeg())
    world.scanner.forced = [verdict]
    world.process(WORKER, photo_id)
    assert (world.photo(WORKER, photo_id).status, world.photo(WORKER, photo_id).reason) == (
        PhotoStatus.QUARANTINED,
        reason,
    )
    assert len(world.blobs.quarantine) == 1 and world.blobs.photos == {}
    assert world.process(WORKER, photo_id) == "already-quarantined"


def test_missing_upload_is_rejected_and_unknown_photo_ignored(world: World) -> None:
    photo_id = world.request(WORKER, images.jpeg())
    assert world.process(WORKER, photo_id) == "rejected"
    assert world.photo(WORKER, photo_id).reason == "not-uploaded"
    assert world.process(WORKER, "nope") == "unknown"
    assert world.process(COLLEAGUE, photo_id) == "unknown"  # the job must name the photo's own worker


# ---------------------------------------------------------------- queue messages


def test_parse_job_accepts_our_message_and_event_grid_blob_created() -> None:
    ours = PhotoJob(account_id="a1", user_id="u1", photo_id="p1")
    assert photos.parse_job(ours.model_dump_json(by_alias=True), quarantine_container="photo-quarantine") == ours
    event: dict[str, Any] = {
        "topic": "/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/z",
        "subject": "/blobServices/default/containers/photo-quarantine/blobs/a1/u1/p1/upload.jpg",
        "eventType": "Microsoft.Storage.BlobCreated",
        "id": "e1",
        "eventTime": "2026-06-01T12:00:00Z",
        "data": {"api": "PutBlob", "contentLength": 100, "url": "https://z.blob.core.windows.net/x"},
        "dataVersion": "",
        "metadataVersion": "1",
    }
    assert photos.parse_job(json.dumps(event), quarantine_container="photo-quarantine") == ours
    assert photos.parse_job(json.dumps([event]), quarantine_container="photo-quarantine") == ours
    cloud = {"type": "Microsoft.Storage.BlobCreated", "subject": event["subject"].lstrip("/"), "id": "e2"}
    assert photos.parse_job(json.dumps(cloud), quarantine_container="photo-quarantine") == ours
    for other in (
        {**event, "subject": "/blobServices/default/containers/photos/blobs/a1/u1/p1/thumbnail.jpg"},
        {**event, "eventType": "Microsoft.Storage.BlobDeleted"},
        {**event, "subject": "/blobServices/default/containers/photo-quarantine/blobs/a1/u1/upload.jpg"},
        {"kind": "photo-uploaded", "accountId": "a1"},
        [event, event],
        "text",
    ):
        assert photos.parse_job(json.dumps(other), quarantine_container="photo-quarantine") is None
    with pytest.raises(ValueError):
        photos.parse_job(b"{not json", quarantine_container="photo-quarantine")


# ---------------------------------------------------------------- reads


def test_owner_lists_everyones_photos_and_the_read_is_logged(world: World) -> None:
    world.grant(COLLEAGUE, Capability.CAMERA)
    world.clock.advance(minutes=1)
    mine, theirs = world.send(WORKER, images.jpeg()), world.send(COLLEAGUE, images.jpeg())

    def listing(who: Principal, **query: object) -> list[str]:
        page = photos.list_photos(
            principal=who,
            account_id="a1",
            query=MediaQuery.model_validate(query),
            media=world.store,
            access_log=world.log,
            clock=world.clock,
            page_tokens=page_tokens(),
            photo_blobs=world.blobs,
            photo_limits=photos.PhotoLimits(),
        )
        return [p.photo_id for p in page.items]

    assert set(listing(OWNER)) == {mine, theirs}
    assert listing(OWNER, userId="u2") == [theirs]
    entry = world.log.entries[-1]
    assert (entry.viewer_user_id, entry.subject_user_ids, entry.data) == ("o1", ["u2"], AccessedData.PHOTO)
    logged = len(world.log.entries)
    assert listing(WORKER) == [mine]  # a member sees only their own, and that is not logged
    assert len(world.log.entries) == logged
    with pytest.raises(NotFound):
        listing(WORKER, userId="u2")
    with pytest.raises(NotFound):
        photos.list_photos(
            principal=STRANGER,
            account_id="a1",
            query=MediaQuery(),
            media=world.store,
            access_log=world.log,
            clock=world.clock,
            page_tokens=page_tokens(),
            photo_blobs=world.blobs,
            photo_limits=photos.PhotoLimits(),
        )
    with pytest.raises(ValidationFailed):
        listing(OWNER, **{"from": "2026-06-02T00:00:00Z", "to": "2026-06-01T00:00:00Z"})


def test_the_list_carries_each_ready_photos_thumbnail_link_and_logs_one_read(world: World) -> None:
    """A gallery is one request (issue 30: no request per photo): each ready photo's short-lived thumbnail link is
    in the list answer, a photo still processing has none, and the owner's list is one access-log entry."""
    world.grant(COLLEAGUE, Capability.CAMERA)
    ready = [world.send(WORKER, images.jpeg()), world.send(COLLEAGUE, images.jpeg())]
    pending = world.request(WORKER, images.jpeg())
    logged = len(world.log.entries)
    page = photos.list_photos(
        principal=OWNER,
        account_id="a1",
        query=MediaQuery(),
        media=world.store,
        access_log=world.log,
        clock=world.clock,
        page_tokens=page_tokens(),
        photo_blobs=world.blobs,
        photo_limits=LIMITS,
    )
    links = {p.photo_id: p.thumbnail_url for p in page.items}
    assert set(links) == {*ready, pending} and links[pending] is None
    for photo_id in ready:
        photo = world.store.get_photo("a1", photo_id)
        assert photo is not None and links[photo_id] is not None
        assert f"{photo.user_id}/{photo_id}/thumbnail.jpg?" in str(links[photo_id])
        data, content_type = world.blobs.photos[f"a1/{photo.user_id}/{photo_id}/thumbnail.jpg"]
        assert (data[:2], content_type) == (b"\xff\xd8", "image/jpeg")
    assert page.urls_expire_at == world.clock.now() + LIMITS.read_ttl
    assert len(world.log.entries) == logged + 1 and world.log.entries[-1].resource_id is None


def test_photo_detail_has_short_lived_links_only_when_ready(world: World) -> None:
    ready = world.send(WORKER, images.jpeg())
    pending = world.request(WORKER, images.jpeg())

    def detail(who: Principal, photo_id: str, account_id: str = "a1") -> PhotoDetail:
        return photos.get_photo(
            principal=who,
            account_id=account_id,
            photo_id=photo_id,
            media=world.store,
            photo_blobs=world.blobs,
            access_log=world.log,
            clock=world.clock,
            photo_limits=LIMITS,
        )

    got = detail(OWNER, ready)
    assert got.thumbnail_url is not None and f"a1/u1/{ready}/thumbnail.jpg" in got.thumbnail_url
    assert got.display_url is not None and f"a1/u1/{ready}/display.jpg" in got.display_url
    assert got.urls_expire_at is not None and got.urls_expire_at - world.clock.now() <= timedelta(minutes=5)
    assert world.log.entries[-1].resource_id == ready
    assert detail(WORKER, pending).thumbnail_url is None
    for who, account in ((COLLEAGUE, "a1"), (STRANGER, "a1"), (STRANGER, "a9")):
        with pytest.raises(NotFound):
            detail(who, ready, account)


def test_photo_deleted_while_processing_leaves_no_blobs(world: World) -> None:
    photo_id = world.request(WORKER, images.jpeg())
    world.upload(WORKER, photo_id, images.jpeg())
    original = world.store.replace_photo_if_unchanged

    def purge_first(photo: Photo, *, expected: Photo) -> bool:
        world.store.photos.pop((photo.account_id, photo.photo_id))  # the retention purge got there first
        return original(photo, expected=expected)

    world.store.replace_photo_if_unchanged = purge_first  # type: ignore[method-assign]  # the fake store's method replaced for this one race or failure
    assert world.process(WORKER, photo_id) == "deleted"
    assert world.blobs.photos == {} and world.blobs.quarantine == {}


def test_concurrent_run_that_settled_first_wins(world: World) -> None:
    photo_id = world.request(WORKER, images.jpeg())
    world.upload(WORKER, photo_id, images.jpeg())
    original = world.store.replace_photo_if_unchanged

    def other_run_first(photo: Photo, *, expected: Photo) -> bool:
        world.store.replace_photo_if_unchanged = original  # type: ignore[method-assign]  # the fake store's method replaced for this one race or failure
        current = world.store.photos[(photo.account_id, photo.photo_id)]
        world.store.photos[(photo.account_id, photo.photo_id)] = current.model_copy(update={"scan_checks": 1})
        return original(photo, expected=expected)

    world.store.replace_photo_if_unchanged = other_run_first  # type: ignore[method-assign]  # the fake store's method replaced for this one race or failure
    assert world.process(WORKER, photo_id) == "raced"
    assert world.photo(WORKER, photo_id).status is PhotoStatus.PENDING  # the other run settles it
