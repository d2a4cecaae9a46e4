"""Photos over HTTP with the real emulators: upload through the SAS URL to Azurite, verification on the queue,
metadata, thumbnails, consent, narrow grants, tenancy, redelivery."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from azure.storage.blob import BlobServiceClient
from PIL import Image

from core import schema
from core.adapters.blobs import BlobPhotoStore
from core.adapters.cosmos import build_cosmos_client
from core.adapters.cosmos_media import CosmosMediaStore
from core.adapters.queues import build_queue_service, queue_client
from tests.fixtures import images
from tests.helpers import wait_for
from tests.integration.conftest import Stack, User, add_member, register_owner

CONSENT = {"granted": True, "deviceId": "phone-1", "appVersion": "5.0.0"}
LAT, LON = 44.977753, -93.265015


@pytest.fixture(scope="module")
def blob_service(stack: Stack) -> BlobServiceClient:
    assert stack.settings.storage_connection_string is not None
    return BlobServiceClient.from_connection_string(stack.settings.storage_connection_string.get_secret_value())


@pytest.fixture(scope="module")
def media_store(stack: Stack) -> Iterator[CosmosMediaStore]:
    client = build_cosmos_client(stack.settings)
    yield CosmosMediaStore(client.get_database_client(stack.settings.cosmos_database))


def consent(api: httpx.Client, user: User, capability: str, granted: bool = True) -> None:
    r = api.put(f"/me/consents/{capability}", json={**CONSENT, "granted": granted}, headers=user.auth)
    assert r.status_code == 200, r.text


def worker(api: httpx.Client, owner: User, *capabilities: str) -> User:
    member = add_member(api, owner)
    for capability in capabilities:
        consent(api, member, capability)
    return member


def grant(
    api: httpx.Client, user: User, data: bytes, content_type: str = "image/jpeg", size: int | None = None, **extra: Any
) -> dict[str, Any]:
    r = api.post(
        "/me/photos", json={"contentType": content_type, "sizeBytes": size or len(data), **extra}, headers=user.auth
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def put_blob(url: str, data: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.put(url, content=data, headers=headers, timeout=30)


def upload(
    api: httpx.Client,
    user: User,
    data: bytes,
    content_type: str = "image/jpeg",
    size: int | None = None,
    complete: bool = True,
    **extra: Any,
) -> str:
    g = grant(api, user, data, content_type, size, **extra)
    r = put_blob(g["uploadUrl"], data, g["uploadHeaders"])
    assert r.status_code == 201, r.text
    if complete:
        r = api.post(f"/me/photos/{g['photoId']}/complete", headers=user.auth)
        assert r.status_code == 202, r.text
    photo_id: str = g["photoId"]
    return photo_id


def settled(api: httpx.Client, owner: User, photo_id: str, timeout: float = 30) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        r = api.get(f"/accounts/{owner.account_id}/photos/{photo_id}", headers=owner.auth)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body if body["status"] != "pending" else None

    return wait_for(check, timeout=timeout, what=f"photo {photo_id} to be processed")


def blob_names(service: BlobServiceClient, container: str, prefix: str) -> list[str]:
    return sorted(b.name for b in service.get_container_client(container).list_blobs(name_starts_with=prefix))


def test_jpeg_with_gps_end_to_end_keeps_gps_only_with_location_consent(
    api: httpx.Client, owner: User, blob_service: BlobServiceClient, media_store: CosmosMediaStore
) -> None:
    with_location = worker(api, owner, "camera", "location")
    camera_only = worker(api, owner, "camera")
    taken = (datetime.now(UTC) + timedelta(seconds=2)).replace(microsecond=0)  # after the consents were recorded
    data = images.jpeg(size=(1600, 1200), taken=taken, gps=(LAT, LON), orientation=1)
    kept = upload(api, with_location, data)
    dropped = upload(api, camera_only, data)

    photo = settled(api, owner, kept)
    assert photo["status"] == "ready", photo
    assert datetime.fromisoformat(photo["capturedAt"]) == taken and photo["capturedAtSource"] == "exif"
    assert (photo["width"], photo["height"], photo["orientation"]) == (1600, 1200, 1)
    assert photo["camera"] == {"make": "Acme", "model": "FieldCam 3"}
    assert photo["location"]["latitude"] == pytest.approx(LAT, abs=1e-5)
    assert photo["location"]["longitude"] == pytest.approx(LON, abs=1e-5)
    assert photo["contentType"] == "image/jpeg" and photo["sizeBytes"] == len(data)

    prefix = f"{owner.account_id}/{with_location.user_id}/{kept}/"
    assert blob_names(blob_service, "photos", prefix) == [
        f"{prefix}display.jpg",
        f"{prefix}original.jpg",
        f"{prefix}thumbnail.jpg",
    ]
    assert blob_names(blob_service, "photo-quarantine", prefix) == []
    original = blob_service.get_blob_client("photos", f"{prefix}original.jpg").download_blob().readall()
    assert original == data

    # The links are read-only, for exactly those two blobs, and short-lived; the copies carry no EXIF.
    assert photo["thumbnailUrl"] and photo["displayUrl"]
    expires = datetime.fromisoformat(photo["urlsExpireAt"])
    assert timedelta(0) < expires - datetime.now(UTC) <= timedelta(minutes=5, seconds=5)
    thumb = httpx.get(photo["thumbnailUrl"], timeout=10)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    thumb_image = Image.open(io.BytesIO(thumb.content))
    assert max(thumb_image.size) == 320 and not thumb_image.getexif()
    display = Image.open(io.BytesIO(httpx.get(photo["displayUrl"], timeout=10).content))
    assert display.size == (1600, 1200) and not display.getexif()
    query = parse_qs(urlsplit(photo["thumbnailUrl"]).query)
    assert query["sp"] == ["r"] and query["sr"] == ["b"]
    assert httpx.put(photo["thumbnailUrl"], content=b"x", headers={"x-ms-blob-type": "BlockBlob"}).status_code == 403
    original_url = photo["thumbnailUrl"].replace("thumbnail.jpg", "original.jpg", 1)
    assert httpx.get(original_url, timeout=10).status_code == 403

    no_gps = settled(api, owner, dropped)
    assert no_gps["status"] == "ready" and no_gps["location"] is None
    assert no_gps["capturedAtSource"] == "exif"
    stored = media_store.get_photo(owner.account_id, dropped)
    assert stored is not None and stored.location is None
    raw = media_store._c.read_item(item=f"photo-{dropped}", partition_key=owner.account_id)
    assert str(round(LAT, 3)) not in json.dumps(raw) and str(round(LON, 3)) not in json.dumps(raw)


def test_heic_and_png_are_verified_too(api: httpx.Client, owner: User) -> None:
    member = worker(api, owner, "camera")
    heic = upload(api, member, images.heic((640, 480)), "image/heic")
    png = upload(api, member, images.png((300, 200)), "image/png")
    got_heic, got_png = settled(api, owner, heic), settled(api, owner, png)
    assert (got_heic["status"], got_heic["width"], got_heic["height"]) == ("ready", 640, 480)
    assert (got_png["status"], got_png["width"], got_png["height"]) == ("ready", 300, 200)
    assert Image.open(io.BytesIO(httpx.get(got_heic["displayUrl"], timeout=10).content)).format == "JPEG"


def test_bad_uploads_are_rejected_and_deleted(api: httpx.Client, owner: User, blob_service: BlobServiceClient) -> None:
    member = worker(api, owner, "camera")
    jpeg = images.jpeg()
    cases: dict[str, tuple[bytes, str, int | None, str]] = {
        "png named as jpeg": (images.png(), "image/jpeg", None, "type-mismatch"),
        "text file": (b"meeting notes, not a picture\n" * 40, "image/jpeg", None, "not-an-image"),
        "ELF executable": (images.ELF_HEADER * 8, "image/jpeg", None, "not-an-image"),
        "PE executable": (images.PE_HEADER * 8, "image/jpeg", None, "not-an-image"),
        "decompression bomb": (images.png_bomb(8000, 8000), "image/png", None, "too-many-pixels"),
        "EICAR": (images.EICAR_TEXT, "image/jpeg", None, "malware"),
        "EICAR inside a JPEG": (images.jpeg(extra=images.EICAR_TEXT), "image/jpeg", None, "malware"),
        "larger than declared": (jpeg, "image/jpeg", len(jpeg) - 100, "size-mismatch"),
    }
    ids = {label: upload(api, member, data, ctype, size) for label, (data, ctype, size, _) in cases.items()}
    outcome = {label: settled(api, owner, photo_id) for label, photo_id in ids.items()}
    assert {label: (o["status"], o["reason"]) for label, o in outcome.items()} == {
        label: ("rejected", reason) for label, (_, _, _, reason) in cases.items()
    }
    for label, photo_id in ids.items():
        prefix = f"{owner.account_id}/{member.user_id}/{photo_id}/"
        assert blob_names(blob_service, "photo-quarantine", prefix) == [], label
        assert blob_names(blob_service, "photos", prefix) == [], label
        assert outcome[label]["thumbnailUrl"] is None


def test_upload_grant_is_for_one_new_blob_only(api: httpx.Client, owner: User, stack: Stack) -> None:
    member = worker(api, owner, "camera")
    data = images.jpeg()
    g = grant(api, member, data)
    url = g["uploadUrl"]
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert parts.netloc == "127.0.0.1:10000"
    assert query["sp"] == ["c"] and query["sr"] == ["b"]
    expiry = datetime.fromisoformat(query["se"][0].replace("Z", "+00:00"))
    assert timedelta(0) < expiry - datetime.now(UTC) <= timedelta(minutes=10, seconds=5)
    assert parts.path.endswith(f"/photo-quarantine/{owner.account_id}/{member.user_id}/{g['photoId']}/upload.jpg")

    other_name = url.replace("/upload.jpg?", "/second.jpg?", 1)
    other_photo = url.replace(g["photoId"], "0" * 32, 1)
    assert put_blob(other_name, data, g["uploadHeaders"]).status_code == 403
    assert put_blob(other_photo, data, g["uploadHeaders"]).status_code == 403
    assert put_blob(url, data, g["uploadHeaders"]).status_code == 201
    assert httpx.get(url, timeout=10).status_code == 403  # no read
    assert put_blob(url, images.png(), g["uploadHeaders"]).status_code == 403  # no overwrite
    assert httpx.delete(url, timeout=10).status_code == 403  # no delete

    # Expiry: a grant minted through the adapter that has already run out is refused; a fresh one works.
    adapter = BlobPhotoStore.from_settings(stack.settings)
    name = f"{owner.account_id}/{member.user_id}/expiry-{g['photoId']}/upload.jpg"
    expired = adapter.upload_url(name, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    r = put_blob(expired, data, g["uploadHeaders"])
    assert r.status_code == 403 and "<Code>Authorization" in r.text
    short = adapter.upload_url(name, expires_at=datetime.now(UTC) + timedelta(seconds=30))
    assert put_blob(short, data, g["uploadHeaders"]).status_code == 201
    adapter.delete_quarantine(name)


def test_no_camera_consent_is_refused_with_a_reason(api: httpx.Client, owner: User) -> None:
    member = worker(api, owner)
    r = api.post("/me/photos", json={"contentType": "image/jpeg", "sizeBytes": 1000}, headers=member.auth)
    assert r.status_code == 403 and "camera" in r.json()["detail"].lower()
    consent(api, member, "camera")
    consent(api, member, "camera", granted=False)
    assert (
        api.post("/me/photos", json={"contentType": "image/jpeg", "sizeBytes": 1000}, headers=member.auth).status_code
        == 403
    )
    assert (
        api.get(f"/accounts/{owner.account_id}/photos", params={"userId": member.user_id}, headers=owner.auth).json()[
            "items"
        ]
        == []
    )
    consent(api, member, "camera")
    r = api.post("/me/photos", json={"contentType": "image/gif", "sizeBytes": 1000}, headers=member.auth)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "contentType"
    r = api.post("/me/photos", json={"contentType": "image/jpeg", "sizeBytes": 21 * 1024 * 1024}, headers=member.auth)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "sizeBytes"


def test_complete_before_the_upload_is_409(api: httpx.Client, owner: User) -> None:
    member = worker(api, owner, "camera")
    g = grant(api, member, images.jpeg())
    r = api.post(f"/me/photos/{g['photoId']}/complete", headers=member.auth)
    assert r.status_code == 409
    assert (
        api.get(f"/accounts/{owner.account_id}/photos/{g['photoId']}", headers=owner.auth).json()["status"] == "pending"
    )


def test_other_accounts_and_other_members_photos_are_404(api: httpx.Client, owner: User) -> None:
    member, colleague = worker(api, owner, "camera"), worker(api, owner, "camera")
    photo_id = upload(api, member, images.jpeg())
    assert settled(api, owner, photo_id)["status"] == "ready"
    other_owner = register_owner(api)
    other_member = worker(api, other_owner, "camera")
    missing = api.get(f"/accounts/{other_owner.account_id}/photos/{'f' * 32}", headers=other_owner.auth)
    assert missing.status_code == 404
    for who, account in (
        (other_owner, other_owner.account_id),
        (other_owner, owner.account_id),
        (other_member, owner.account_id),
        (colleague, owner.account_id),
    ):
        r = api.get(f"/accounts/{account}/photos/{photo_id}", headers=who.auth)
        assert (r.status_code, r.json()) == (404, missing.json())
    for who in (other_member, colleague, owner):
        assert api.post(f"/me/photos/{photo_id}/complete", headers=who.auth).status_code == 404
    assert api.get(f"/accounts/{owner.account_id}/photos", headers=other_owner.auth).status_code == 404
    r = api.get(f"/accounts/{owner.account_id}/photos", params={"userId": member.user_id}, headers=colleague.auth)
    assert r.status_code == 404
    assert api.get(f"/accounts/{owner.account_id}/photos", headers=colleague.auth).json()["items"] == []
    mine = api.get(f"/accounts/{owner.account_id}/photos", headers=member.auth).json()["items"]
    assert [p["photoId"] for p in mine] == [photo_id]
    assert api.get(f"/accounts/{owner.account_id}/photos/{photo_id}", headers=member.auth).status_code == 200


def test_owner_reads_are_in_the_workers_access_log(api: httpx.Client, owner: User) -> None:
    member = worker(api, owner, "camera")
    photo_id = upload(api, member, images.jpeg())
    settled(api, owner, photo_id)
    listed = api.get(f"/accounts/{owner.account_id}/photos", params={"userId": member.user_id}, headers=owner.auth)
    assert [p["photoId"] for p in listed.json()["items"]] == [photo_id]
    entries = api.get("/me/access-log", headers=member.auth).json()["items"]
    photo_reads = [e for e in entries if e["data"] == "photo"]
    assert any(e["resourceId"] == photo_id for e in photo_reads)  # the detail reads
    assert any(e["resourceId"] is None for e in photo_reads)  # the list read
    assert {e["viewerUserId"] for e in photo_reads} == {owner.user_id}


def test_the_list_carries_thumbnails_so_a_gallery_is_one_request_and_erasure_removes_them(
    api: httpx.Client, owner: User, blob_service: BlobServiceClient
) -> None:
    """Issues 29 and 30: the owner's and the worker's photo lists carry each ready photo's thumbnail link (the
    pipeline's copy: at most 320 px, JPEG, no metadata); listing is one access-log entry and opening one photo one
    more; the worker's erasure removes the thumbnails with the rest, and their links stop working."""
    from tests.integration.test_data_requests_api import completed

    member = worker(api, owner, "camera")
    ids = [upload(api, member, images.jpeg(size=(1600, 1200))), upload(api, member, images.jpeg(size=(600, 900)))]
    for photo_id in ids:
        assert settled(api, owner, photo_id)["status"] == "ready"

    def log_size() -> int:
        """Reads of the worker's data in their access log (entries are coalesced per window: each counts its reads)."""
        items = api.get("/me/access-log", headers=member.auth, params={"limit": 200}).json()["items"]
        return sum(e["count"] for e in items)

    before = log_size()
    listed = api.get(f"/accounts/{owner.account_id}/photos", params={"userId": member.user_id}, headers=owner.auth)
    assert listed.status_code == 200, listed.text
    assert log_size() == before + 1  # the list, whatever its length: one read
    page = listed.json()
    assert {p["photoId"] for p in page["items"]} == set(ids) and page["urlsExpireAt"]
    for item in page["items"]:
        thumb = httpx.get(item["thumbnailUrl"], timeout=10)
        assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
        picture = Image.open(io.BytesIO(thumb.content))
        assert max(picture.size) == 320 and not picture.getexif()
    own = api.get(f"/accounts/{owner.account_id}/photos", headers=member.auth).json()["items"]
    assert all(p["thumbnailUrl"] for p in own) and len(own) == 2
    assert api.get(f"/accounts/{owner.account_id}/photos/{ids[0]}", headers=owner.auth).status_code == 200
    assert log_size() == before + 2  # opening one photo: one read

    r = api.post("/me/data-requests", json={"type": "erasure"}, headers=member.auth)
    assert r.status_code == 202, r.text
    completed(api, member, r.json()["requestId"])
    assert blob_names(blob_service, "photos", f"{owner.account_id}/{member.user_id}/") == []
    assert httpx.get(page["items"][0]["thumbnailUrl"], timeout=10).status_code == 404


def test_photos_list_pages_and_filters_by_capture_time(api: httpx.Client, owner: User) -> None:
    member = worker(api, owner, "camera")
    base = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    ids = [
        upload(api, member, images.jpeg(), capturedAt=(base + timedelta(hours=i)).isoformat(), complete=False)
        for i in range(4)
    ]
    path = f"/accounts/{owner.account_id}/photos"
    params = {
        "userId": member.user_id,
        "from": (base + timedelta(hours=1)).isoformat(),
        "to": (base + timedelta(hours=3)).isoformat(),
        "limit": "1",
    }
    first = api.get(path, params=params, headers=owner.auth).json()
    assert [p["photoId"] for p in first["items"]] == [ids[2]] and first["continuation"]
    second = api.get(path, params={**params, "continuation": first["continuation"]}, headers=owner.auth).json()
    assert [p["photoId"] for p in second["items"]] == [ids[1]]
    r = api.get(path, params={**params, "limit": "500"}, headers=owner.auth)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.limit"


def _processed_lines(stack: Stack, photo_id: str) -> int:
    return stack.host_log().count(f"photo {photo_id} processed:")


def test_redelivered_and_event_grid_messages_do_not_duplicate(
    api: httpx.Client, owner: User, stack: Stack, blob_service: BlobServiceClient
) -> None:
    member = worker(api, owner, "camera")
    # Event Grid's BlobCreated event alone processes an upload (no /complete).
    photo_id = upload(api, member, images.jpeg(), complete=False)
    queue = queue_client(build_queue_service(stack.settings), os.environ[schema.PHOTO_UPLOADS_QUEUE.setting])
    blob = f"{owner.account_id}/{member.user_id}/{photo_id}/upload.jpg"
    event = {
        "topic": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/devstoreaccount1",
        "subject": f"/blobServices/default/containers/photo-quarantine/blobs/{blob}",
        "eventType": "Microsoft.Storage.BlobCreated",
        "id": "evt-1",
        "eventTime": datetime.now(UTC).isoformat(),
        "data": {
            "api": "PutBlob",
            "contentType": "image/jpeg",
            "blobType": "BlockBlob",
            "url": f"http://127.0.0.1:10000/devstoreaccount1/photo-quarantine/{blob}",
        },
        "dataVersion": "",
        "metadataVersion": "1",
    }
    queue.send_message(json.dumps(event))
    first = settled(api, owner, photo_id)
    assert first["status"] == "ready"
    prefix = f"{owner.account_id}/{member.user_id}/{photo_id}/"
    blobs_before = {
        b.name: b.etag for b in blob_service.get_container_client("photos").list_blobs(name_starts_with=prefix)
    }
    assert len(blobs_before) == 3

    # The same event again, our own message, and /complete: each finds the photo settled.
    seen = _processed_lines(stack, photo_id)
    queue.send_message(json.dumps(event))
    queue.send_message(
        json.dumps(
            {"kind": "photo-uploaded", "accountId": owner.account_id, "userId": member.user_id, "photoId": photo_id}
        )
    )
    assert api.post(f"/me/photos/{photo_id}/complete", headers=member.auth).status_code == 202
    wait_for(lambda: _processed_lines(stack, photo_id) >= seen + 2, what="the redelivered messages")
    assert stack.host_log().count(f"photo {photo_id} processed: already-ready") >= 2
    blobs_after = {
        b.name: b.etag for b in blob_service.get_container_client("photos").list_blobs(name_starts_with=prefix)
    }
    assert blobs_after == blobs_before  # not rewritten, nothing added
    again = api.get(f"/accounts/{owner.account_id}/photos/{photo_id}", headers=owner.auth).json()
    assert again["processedAt"] == first["processedAt"]
    listed = api.get(
        f"/accounts/{owner.account_id}/photos", params={"userId": member.user_id}, headers=owner.auth
    ).json()["items"]
    assert [p["photoId"] for p in listed] == [photo_id]
