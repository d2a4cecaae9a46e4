"""Photos through the real flow (grant, PUT to Azurite, complete, the local host's queue trigger), read back byte
by byte: without location consent at capture time no stored copy and nothing in the member's export carries a
position; with it the original keeps its GPS. An absurd EXIF capture time does not stop processing, and a photo
whose processing always fails ends rejected (`processing-failed`) through the poison-queue trigger."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from azure.storage.blob import BlobServiceClient

from core import schema
from core.adapters.images import location_strip
from tests.fixtures import images
from tests.helpers import wait_for
from tests.integration.conftest import Stack, User
from tests.integration.test_data_requests_api import export
from tests.integration.test_photos_upload import blob_names, settled, upload, worker

LAT, LON = 44.977753, -93.265015
# What a position looks like in the bytes: the coordinates as XMP writes them, the place names, the tag names.
POSITION_TEXTS = [
    b"44.977753",
    b"93.265015",
    b"Minneapolis",
    b"Warehouse 4",
    b"GPSLatitude",
    b"GPSLongitude",
    b"photoshop:City",
    b"LocationCreated",
]


@pytest.fixture(scope="module")
def blob_service(stack: Stack) -> BlobServiceClient:
    assert stack.settings.storage_connection_string is not None
    return BlobServiceClient.from_connection_string(stack.settings.storage_connection_string.get_secret_value())


def _photo_with_position(taken: datetime) -> bytes:
    return images.jpeg(size=(1200, 900), taken=taken, gps=(LAT, LON), xmp=images.location_xmp(LAT, LON))


def _stored(blob_service: BlobServiceClient, prefix: str) -> dict[str, bytes]:
    photos = blob_service.get_container_client(schema.PHOTOS_BLOB_CONTAINER)
    return {
        name.removeprefix(prefix): photos.download_blob(name).readall()
        for name in blob_names(blob_service, schema.PHOTOS_BLOB_CONTAINER, prefix)
    }


def _positions(data: bytes) -> list[str]:
    return location_strip.find_location(data, "jpeg") + [t.decode() for t in POSITION_TEXTS if t in data]


def test_without_location_consent_no_stored_copy_and_no_export_has_a_position(
    api: httpx.Client, owner: User, blob_service: BlobServiceClient
) -> None:
    member = worker(api, owner, "camera")  # location access never granted
    data = _photo_with_position(datetime.now(UTC) - timedelta(minutes=2))
    assert set(_positions(data)) >= {"exif-gps", "xmp", *(t.decode() for t in POSITION_TEXTS)}  # the check sees it
    photo_id = upload(api, member, data)
    photo = settled(api, owner, photo_id)
    assert photo["status"] == "ready" and photo.get("location") is None
    assert photo["camera"]["model"] == "FieldCam 3" and photo["capturedAtSource"] == "exif"

    prefix = f"{owner.account_id}/{member.user_id}/{photo_id}/"
    stored = _stored(blob_service, prefix)
    assert set(stored) == {"original.jpg", "thumbnail.jpg", "display.jpg"}
    for name, blob in stored.items():
        assert _positions(blob) == [], name
    assert len(stored["original.jpg"]) == len(data) and stored["original.jpg"] != data  # edited in place
    assert b"FieldCam firmware 3.1" in stored["original.jpg"]  # the rest of the metadata stays
    assert blob_names(blob_service, schema.PHOTO_QUARANTINE_BLOB_CONTAINER, prefix) == []  # the upload is gone

    archive = export(api, member)
    files = {name: archive.read(name) for name in archive.namelist()}
    assert {
        f"photos/{photo_id}/original.jpg",
        f"photos/{photo_id}/thumbnail.jpg",
        f"photos/{photo_id}/display.jpg",
    } <= set(files)
    for name, content in files.items():
        assert [t for t in POSITION_TEXTS if t in content] == [], name
        if name.endswith(".jpg"):
            assert location_strip.find_location(content, "jpeg") == [], name
    exported = json.loads(files["photos.json"])
    assert [p["photo_id"] for p in exported] == [photo_id] and exported[0]["location"] is None


def test_with_location_consent_at_capture_time_the_original_keeps_its_gps(
    api: httpx.Client, owner: User, blob_service: BlobServiceClient
) -> None:
    member = worker(api, owner, "camera", "location")
    data = _photo_with_position(datetime.now(UTC) + timedelta(seconds=1))  # after the consent was recorded
    photo_id = upload(api, member, data)
    photo = settled(api, owner, photo_id)
    assert photo["status"] == "ready" and abs(photo["location"]["latitude"] - LAT) < 1e-4
    stored = _stored(blob_service, f"{owner.account_id}/{member.user_id}/{photo_id}/")
    assert stored["original.jpg"] == data
    assert set(location_strip.find_location(stored["original.jpg"], "jpeg")) == {"exif-gps", "xmp"}
    for name in ("thumbnail.jpg", "display.jpg"):  # the copies never carry metadata
        assert _positions(stored[name]) == [], name


def test_an_absurd_exif_capture_time_is_ignored_and_the_upload_time_used(api: httpx.Client, owner: User) -> None:
    member = worker(api, owner, "camera")
    before = datetime.now(UTC) - timedelta(seconds=5)
    ids = [
        upload(api, member, images.jpeg(taken_text=text))
        for text in (
            ("0001:01:01 00:00:00", "+14:00"),
            ("9999:12:31 23:59:59", "-14:00"),
            ("0000:00:00 00:00:00", "+00:00"),
            ("\u00ff\u00fe garbage", "+01:00"),
        )
    ]
    for photo_id in ids:
        photo = settled(api, owner, photo_id)
        assert (photo["status"], photo["capturedAtSource"]) == ("ready", "upload"), photo
        assert before <= datetime.fromisoformat(photo["capturedAt"]) <= datetime.now(UTC)


def test_a_photo_whose_processing_always_fails_ends_rejected_with_its_blobs_removed(
    api: httpx.Client, owner: User, stack: Stack, blob_service: BlobServiceClient
) -> None:
    member = worker(api, owner, "camera")
    data = images.jpeg()
    g = api.post("/me/photos", json={"contentType": "image/jpeg", "sizeBytes": len(data)}, headers=member.auth)
    assert g.status_code == 201, g.text
    photo_id = g.json()["photoId"]
    prefix = f"{owner.account_id}/{member.user_id}/{photo_id}/"
    # The fault: someone holds a lease on the name the verified original is written to, so every processing
    # attempt fails writing it (412) and the host moves the message to the poison queue.
    blocker = blob_service.get_blob_client(schema.PHOTOS_BLOB_CONTAINER, prefix + "original.jpg")
    blocker.upload_blob(b"held", overwrite=True)
    lease = blocker.acquire_lease(lease_duration=-1)
    try:
        assert (
            httpx.put(g.json()["uploadUrl"], content=data, headers=g.json()["uploadHeaders"], timeout=30).status_code
            == 201
        )
        assert api.post(f"/me/photos/{photo_id}/complete", headers=member.auth).status_code == 202
        photo = settled(api, owner, photo_id, timeout=120)
    finally:
        lease.break_lease(lease_break_period=0)
    assert (photo["status"], photo["reason"]) == ("rejected", "processing-failed"), photo
    log = stack.host_log()
    assert log.count(f"photo {photo_id}: every processing attempt failed") == 1
    assert f"moved to {os.environ[schema.PHOTO_UPLOADS_QUEUE.setting]}-poison after 5 attempts" in log
    # The upload left quarantine; the poison trigger removes what the failed runs wrote (retrying while the
    # lease still held the blob).
    assert blob_names(blob_service, schema.PHOTO_QUARANTINE_BLOB_CONTAINER, prefix) == []
    wait_for(
        lambda: blob_names(blob_service, schema.PHOTOS_BLOB_CONTAINER, prefix) == [],
        timeout=60,
        what="the failed runs' copies to be removed",
    )
    wait_for(lambda: f"photo {photo_id} after failed processing:" in stack.host_log(), what="the poison trigger")
    member_view = api.get(f"/accounts/{owner.account_id}/photos/{photo_id}", headers=member.auth).json()
    assert (member_view["status"], member_view["reason"]) == ("rejected", "processing-failed")
