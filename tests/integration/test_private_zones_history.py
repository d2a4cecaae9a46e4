"""Private zones beyond new pings, through the real host (docs/private-zones.md): applying a zone to stored history
(recorded, irreversible, safe to repeat), photos and notes losing a place inside a zone in force at capture time,
and the track's gaps labelled private."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from azure.storage.blob import BlobServiceClient

from core import schema
from core.adapters.images import location_strip
from core.adapters.queues import build_queue_service
from tests.fixtures import images
from tests.helpers import wait_for
from tests.integration.conftest import Stack, User, add_member, register_owner
from tests.integration.test_photos_upload import settled, upload, worker
from tests.integration.test_private_zones_api import AWAY, HOME, add_zone, at, distance_m
from tests.integration.tracking_helpers import iso, latest, post, set_location_consent, track_ids, wait_for_stored


def _features(api: httpx.Client, user: User, start: datetime, end: datetime, kind: str) -> list[dict[str, Any]]:
    r = api.get("/me/track", params={"from": iso(start), "to": iso(end)}, headers=user.auth)
    assert r.status_code == 200, r.text
    return [f for f in r.json()["features"] if f["properties"]["kind"] == kind]


def _note(api: httpx.Client, user: User, where: tuple[float, float], when: datetime | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"text": "here", "place": {"latitude": where[0], "longitude": where[1]}}
    if when is not None:
        body["at"] = iso(when)
    r = api.post("/me/notes", json=body, headers=user.auth)
    assert r.status_code == 201, r.text
    note: dict[str, Any] = r.json()
    return note


def test_applying_a_zone_to_history_removes_stored_positions_inside_it_once_and_for_good(
    api: httpx.Client, stack: Stack
) -> None:
    from tests.integration.test_data_requests_api import completed

    owner = register_owner(api)
    member, other = worker(api, owner, "camera", "location"), add_member(api, owner)
    taken = datetime.now(UTC) + timedelta(seconds=1)  # after the consents: the photo keeps its position
    photo_id = upload(api, member, images.jpeg(size=(800, 600), taken=taken, gps=HOME, xmp=images.location_xmp(*HOME)))
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    home = [at(start + timedelta(seconds=i), HOME, i) for i in range(3)]
    away = [at(start + timedelta(seconds=3 + i), AWAY, i) for i in range(2)]
    last_home = at(start + timedelta(seconds=5), HOME, 7)
    assert post(api, member, [*home, *away, last_home])["accepted"] == 6
    span = (start - timedelta(minutes=1), start + timedelta(minutes=1))
    wait_for_stored(api, member, {p["id"] for p in [*home, *away, last_home]}, *span)
    note_home, note_away = _note(api, member, HOME, start), _note(api, member, AWAY, start)
    assert abs(settled(api, owner, photo_id)["location"]["latitude"] - HOME[0]) < 1e-4
    zone = add_zone(api, member)
    assert zone["historyApplied"] is None
    assert len(track_ids(api, member, *span)) == 6  # a zone added later does not rewrite the past by itself

    path = f"/me/private-zones/{zone['zoneId']}/apply-to-history"
    for bad in ({}, {"confirmation": "yes"}, {"confirmation": "REMOVE", "extra": 1}):
        r = api.post(path, json=bad, headers=member.auth)
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), r.text
        assert ("extra" if "extra" in bad else "confirmation") in r.text
    for stranger in (owner, other):  # not their zone: like a missing id
        assert api.post(path, json={"confirmation": "REMOVE"}, headers=stranger.auth).status_code == 404
    assert len(track_ids(api, member, *span)) == 6  # nothing happened without the typed confirmation

    r = api.post(path, json={"confirmation": "REMOVE"}, headers=member.auth)
    assert r.status_code == 200, r.text
    record = r.json()
    assert (
        record["zoneId"],
        record["pingsRemoved"],
        record["latestPositionWithheld"],
        record["notesCleared"],
        record["photosCleared"],
    ) == (zone["zoneId"], 4, True, 1, 1)
    again = api.post(path, json={"confirmation": "REMOVE"}, headers=member.auth)
    assert again.status_code == 200 and again.json() == record  # a retry answers the same record

    assert set(track_ids(api, member, *span)) == {p["id"] for p in away}
    gaps = _features(api, member, *span, "private-gap")
    assert [g["properties"]["withheld"] for g in gaps] == [3, 1]
    assert gaps[1]["properties"]["from"].startswith(last_home["timestamp"][:19])
    position = latest(api, owner)[member.user_id]["position"]
    assert position["inPrivateZone"] is True and position["latitude"] is None
    assert position["timestamp"].startswith(last_home["timestamp"][:19])
    notes = {n["noteId"]: n for n in api.get("/me/notes", headers=member.auth).json()["items"]}
    assert notes[note_home["noteId"]]["place"] is None
    assert notes[note_away["noteId"]]["place"]["latitude"] == AWAY[0]

    assert api.get(f"/accounts/{owner.account_id}/photos/{photo_id}", headers=member.auth).json()["location"] is None
    assert location_strip.find_location(_original(stack, owner, member, photo_id), "jpeg") == []

    # Irreversible: the removed pings sent again (an app retrying) are withheld, not stored again.
    resent = post(api, member, [*home, last_home])
    assert resent["dropped"]["privateZone"] == 4 and resent["accepted"] == 0, resent
    [listed] = api.get("/me/private-zones", headers=member.auth).json()["items"]
    assert listed["historyApplied"] == record
    counted = api.get(f"/accounts/{owner.account_id}/members/{member.user_id}/private-zones", headers=owner.auth)
    assert counted.json() == {"count": 1}

    # The withheld records (ids and times) are the member's data: erased with the rest, once the writer has handled
    # the resent message (queued work of an erased member is not what this test is about).
    pings_queue = build_queue_service(stack.settings).get_queue_client(stack.settings.queue_location_pings)
    wait_for(
        lambda: (pings_queue.get_queue_properties().approximate_message_count or 0) == 0,
        timeout=30,
        what="the pings writer to handle the resent message",
    )
    r = api.post("/me/data-requests", json={"type": "erasure"}, headers=member.auth)
    done = completed(api, member, r.json()["requestId"])
    assert done["erased"]["withheld-pings"] == 4 and done["erased"]["private-zones"] == 1, done
    assert _features(api, member, *span, "private-gap") == []


def _original(stack: Stack, owner: User, member: User, photo_id: str) -> bytes:
    assert stack.settings.storage_connection_string is not None
    blobs = BlobServiceClient.from_connection_string(stack.settings.storage_connection_string.get_secret_value())
    data: bytes = (
        blobs.get_container_client(schema.PHOTOS_BLOB_CONTAINER)
        .download_blob(f"{owner.account_id}/{member.user_id}/{photo_id}/original.jpg")
        .readall()
    )
    return data


def test_notes_made_inside_a_zone_lose_their_place(api: httpx.Client) -> None:
    owner = register_owner(api)
    member = add_member(api, owner)
    set_location_consent(api, member, True)
    before = datetime.now(UTC) - timedelta(hours=1)
    zone = add_zone(api, member)
    assert _note(api, member, HOME)["place"] is None  # now, inside: no place stored
    assert _note(api, member, AWAY)["place"]["latitude"] == AWAY[0]
    old = _note(api, member, HOME, before)  # about a time before the zone existed: kept
    assert old["place"]["latitude"] == HOME[0]
    r = api.patch(f"/me/notes/{old['noteId']}", json={"at": iso(datetime.now(UTC))}, headers=member.auth)
    assert r.status_code == 200 and r.json()["place"] is None  # moved into the zone's time: the place goes
    r = api.patch(
        f"/me/notes/{old['noteId']}", json={"place": {"latitude": HOME[0], "longitude": HOME[1]}}, headers=member.auth
    )
    assert r.status_code == 200 and r.json()["place"] is None
    stored = [n for n in api.get("/me/notes", headers=member.auth).json()["items"] if n["place"]]
    assert all(distance_m(n["place"]["latitude"], n["place"]["longitude"], *HOME) > 1000 for n in stored)
    assert zone["zoneId"]


def test_a_photo_taken_inside_a_zone_is_stored_without_its_position(api: httpx.Client, stack: Stack) -> None:
    owner = register_owner(api)
    member = worker(api, owner, "camera", "location")
    add_zone(api, member)
    taken = datetime.now(UTC) + timedelta(seconds=1)  # after the zone was made
    data = images.jpeg(size=(800, 600), taken=taken, gps=HOME, xmp=images.location_xmp(*HOME))
    assert set(location_strip.find_location(data, "jpeg")) == {"exif-gps", "xmp"}
    photo_id = upload(api, member, data)
    photo = settled(api, owner, photo_id)
    assert photo["status"] == "ready" and photo.get("location") is None, photo
    away = images.jpeg(size=(800, 600), taken=taken, gps=AWAY)
    kept = settled(api, owner, upload(api, member, away))
    assert abs(kept["location"]["latitude"] - AWAY[0]) < 1e-4  # outside the zone the position stays

    original = _original(stack, owner, member, photo_id)
    assert location_strip.find_location(original, "jpeg") == []
    assert f"{HOME[0]}".encode() not in original
