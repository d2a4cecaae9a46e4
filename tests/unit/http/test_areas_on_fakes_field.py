"""Tracking (with the pings-writer queue), devices (with a tracking app's ingest), job sites (with timesheets),
private zones and photos (with the verification queue) on a root of fakes, called as the Functions host calls them.
See test_areas_on_fakes.py for the other areas and the root itself."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from core.domain.consent import Capability, ConsentEntry
from core.domain.media import PhotoStatus
from core.domain.tracking import Ping, PingSource
from functions import consent, devices, job_sites, photos, private_zones, tracking
from tests.fixtures import images
from tests.unit.fakes_devices import FakeDeviceStore
from tests.unit.fakes_job_sites import FakeJobSiteStore, FakeSiteDayStore
from tests.unit.fakes_media import FakeImageCodec, FakeMediaStore, FakePhotoBlobs, FakePhotoJobs
from tests.unit.fakes_tracking import (
    FakeConsentLedger,
    FakeLatestPositions,
    FakePingQueue,
    FakePingStore,
    FakeWithheldPingStore,
)
from tests.unit.http.areas import ACCOUNT, AT, MEMBER, OWNER, Team, answer, http, message, on_fakes, refused, triggers

pytestmark = pytest.mark.usefixtures("no_azure_clients")

run = triggers(consent.bp, devices.bp, job_sites.bp, photos.bp, private_zones.bp, tracking.bp)
SITE = (44.9778, -93.2650)  # Minneapolis


def granted(capability: Capability, *, at: datetime = AT - timedelta(days=1)) -> FakeConsentLedger:
    """A ledger in which MEMBER granted `capability` a day before AT."""
    ledger = FakeConsentLedger()
    ledger.append(
        ConsentEntry(
            entry_id=f"consent-{capability.value}",
            account_id=ACCOUNT,
            user_id=MEMBER,
            capability=capability,
            granted=True,
            recorded_at=at,
            device_id="phone-1",
            app_version="2.1.0",
            policy_version="2023-06-15",
        )
    )
    return ledger


def ping(
    minutes_ago: float, *, lat: float = SITE[0], lon: float = SITE[1], ping_id: str | None = None
) -> dict[str, Any]:
    t = AT - timedelta(minutes=minutes_ago)
    return {
        "id": ping_id or f"00000000-0000-4000-8000-{int(minutes_ago * 60):012d}",
        "timestamp": t.isoformat(),
        "latitude": lat,
        "longitude": lon,
        "horizontalAccuracy": 5,
        "source": "gps",
    }


# ---------------------------------------------------------------- tracking


def test_tracking_pings_are_queued_then_written_by_the_queue_trigger_and_read_back() -> None:
    team, queue, store, latest = Team(), FakePingQueue(), FakePingStore(), FakeLatestPositions()
    root = team.root(consents=granted(Capability.LOCATION), ping_queue=queue, pings=store, latest_positions=latest)
    with on_fakes(root):
        batch = {"pings": [ping(30), ping(20), ping(20)]}  # the last one twice
        result = answer(run["ingest_locations"](http("POST", "me/locations", user=MEMBER, body=batch)), 202)
        for text in queue.messages:
            run["write_pings"](message(text))
        for text in queue.messages:  # redelivered: stored once
            run["write_pings"](message(text, dequeue_count=2))
        params = {"from": (AT - timedelta(hours=1)).isoformat(), "to": AT.isoformat()}
        track = run["get_my_track"](http("GET", "me/track", user=MEMBER, params=params))
        positions = answer(run["get_latest_positions"](http("GET", "l", user=OWNER, route={"accountId": ACCOUNT})), 200)

    assert (result["accepted"], result["duplicates"]) == (2, 1)
    assert len(store.all()) == 2 and latest.positions[(ACCOUNT, MEMBER)].t == AT - timedelta(minutes=20)
    assert track.status_code == 200 and len(json.loads(track.get_body())["features"][0]["geometry"]["coordinates"]) == 2
    placed = {p["userId"]: p["position"] for p in positions["items"]}
    assert placed[MEMBER]["latitude"] == SITE[0] and placed[OWNER] is None


def test_tracking_drops_pings_without_consent_until_it_is_granted_and_refuses_a_bad_batch() -> None:
    """The ingest gate built on the refusal is kept current by the consent write (the root's wrapped ledger)."""
    team, queue = Team(), FakePingQueue()
    with on_fakes(team.root(ping_queue=queue)):
        before = answer(
            run["ingest_locations"](http("POST", "me/locations", user=MEMBER, body={"pings": [ping(1)]})), 202
        )
        grant = {"granted": True, "deviceId": "phone-1", "appVersion": "2.1.0"}
        route = {"capability": "location"}
        answer(run["set_consent"](http("PUT", "c", user=MEMBER, route=route, body=grant)), 200)
        after = answer(
            run["ingest_locations"](http("POST", "me/locations", user=MEMBER, body={"pings": [ping(0)]})), 202
        )
        refused(
            run["ingest_locations"](http("POST", "me/locations", user=MEMBER, body={"pings": []})),
            422,
            "validation-failed",
        )

    assert (before["accepted"], before["dropped"]["noConsent"]) == (0, 1)
    assert after["accepted"] == 1 and len(queue.messages) == 1


def test_tracking_the_pings_writer_refuses_a_malformed_message_so_the_host_retries_it() -> None:
    store = FakePingStore()
    with on_fakes(Team().root(pings=store)), pytest.raises(ValueError):
        run["write_pings"](message(b"not a ping message"))
    assert store.all() == []


# ---------------------------------------------------------------- devices


def test_devices_a_tracking_app_sends_pings_with_its_device_token() -> None:
    team, store, queue = Team(), FakeDeviceStore(), FakePingQueue()
    with on_fakes(team.root(devices=store, ping_queue=queue, consents=granted(Capability.LOCATION))):
        made = answer(
            run["create_device"](http("POST", "me/devices", user=MEMBER, body={"name": "Pixel - OwnTracks"})), 201
        )
        location = {"_type": "location", "tst": int(AT.timestamp()) - 60, "lat": SITE[0], "lon": SITE[1], "acc": 8}
        owntracks = http(
            "POST",
            "ingest/owntracks",
            raw=json.dumps(location).encode(),
            headers={"Authorization": f"Bearer {made['token']}"},
        )
        sent = run["ingest_owntracks"](owntracks)
        mine = answer(run["list_my_devices"](http("GET", "me/devices", user=MEMBER)), 200)

    assert sent.status_code == 200 and json.loads(sent.get_body()) == []
    assert len(queue.messages) == 1
    [device] = mine["items"]
    assert (device["deviceId"], device["received"], device["stored"]) == (made["deviceId"], 1, 1)
    assert device["lastProtocol"] == "owntracks"


def test_devices_a_revoked_token_and_a_users_sign_in_token_are_refused_at_ingest() -> None:
    team, store, queue = Team(), FakeDeviceStore(), FakePingQueue()
    location = json.dumps({"_type": "location", "tst": int(AT.timestamp()), "lat": 1.0, "lon": 2.0}).encode()
    with on_fakes(team.root(devices=store, ping_queue=queue, consents=granted(Capability.LOCATION))):
        made = answer(run["create_device"](http("POST", "me/devices", user=MEMBER, body={"name": "GPSLogger"})), 201)
        answer(run["revoke_my_device"](http("DELETE", "d", user=MEMBER, route={"deviceId": made["deviceId"]})), 204)
        revoked = http("POST", "ingest/owntracks", raw=location, headers={"Authorization": f"Bearer {made['token']}"})
        refused(run["ingest_owntracks"](revoked), 401, "unauthenticated")
        refused(
            run["ingest_owntracks"](http("POST", "ingest/owntracks", user=MEMBER, raw=location)), 401, "unauthenticated"
        )
        other = http("DELETE", "d", user=MEMBER, route={"accountId": ACCOUNT, "userId": OWNER, "deviceId": "x"})
        refused(run["revoke_member_device"](other), 403, "forbidden")

    assert queue.messages == []


# ---------------------------------------------------------------- job sites


def test_job_sites_the_owner_makes_a_site_the_member_sees_it_and_a_visit_reaches_the_timesheet() -> None:
    team, sites, days, queue = Team(), FakeJobSiteStore(), FakeSiteDayStore(), FakePingQueue()
    consents = granted(Capability.LOCATION)
    with on_fakes(team.root(job_sites=sites, site_days=days, ping_queue=queue, consents=consents)):
        body = {"name": "Depot", "area": {"kind": "circle", "centre": {"latitude": SITE[0], "longitude": SITE[1]}}}
        route = {"accountId": ACCOUNT}
        made = answer(run["create_job_site"](http("POST", "j", user=OWNER, route=route, body=body)), 201)
        mine = answer(run["my_job_sites"](http("GET", "me/job-sites", user=MEMBER)), 200)
        visit = {"pings": [ping(minutes) for minutes in (50, 40, 30, 20, 10)]}
        answer(run["ingest_locations"](http("POST", "me/locations", user=MEMBER, body=visit)), 202)
        for text in queue.messages:
            run["write_pings"](message(text))
        query = {"from": (AT - timedelta(days=1)).date().isoformat(), "to": AT.date().isoformat()}
        sheet = answer(run["get_timesheets"](http("GET", "t", user=OWNER, route=route, params=query)), 200)

    assert [s["siteId"] for s in mine["items"]] == [made["siteId"]]
    [day] = sheet["days"]  # evaluated by the pings writer, read by the owner
    assert (day["memberId"], day["date"]) == (MEMBER, "2026-06-01")
    assert [s["siteId"] for s in day["sites"]] == [made["siteId"]] and day["onSiteSeconds"] >= 40 * 60


def test_job_sites_a_member_may_not_make_a_site_and_another_accounts_site_is_not_found() -> None:
    team, sites = Team(), FakeJobSiteStore()
    with on_fakes(team.root(job_sites=sites)):
        body = {"name": "Mine", "area": {"kind": "circle", "centre": {"latitude": 1, "longitude": 2}}}
        refused(
            run["create_job_site"](http("POST", "j", user=MEMBER, route={"accountId": ACCOUNT}, body=body)),
            403,
            "forbidden",
        )
        elsewhere = {"accountId": "acc-other", "siteId": "s1"}
        refused(run["get_job_site"](http("GET", "j", user=OWNER, route=elsewhere)), 404, "not-found")

    assert sites.sites == {}


# ---------------------------------------------------------------- private zones


def test_private_zones_a_worker_adds_a_zone_applies_it_to_history_and_the_owner_sees_only_a_count() -> None:
    team, store, withheld = Team(), FakePingStore(), FakeWithheldPingStore()
    at_home = Ping(ping_id="p-home", t=AT - timedelta(hours=1), lat=SITE[0], lon=SITE[1], acc=5, src=PingSource.GPS)
    store.write_day(account_id=ACCOUNT, user_id=MEMBER, day=at_home.t.date(), pings=[at_home])
    with on_fakes(team.root(pings=store, withheld_pings=withheld)):
        zone = {"latitude": SITE[0], "longitude": SITE[1], "radiusMeters": 200}
        made = answer(run["add_my_private_zone"](http("POST", "me/private-zones", user=MEMBER, body=zone)), 201)
        applied = answer(
            run["apply_my_private_zone_to_history"](
                http("POST", "a", user=MEMBER, route={"zoneId": made["zoneId"]}, body={"confirmation": "REMOVE"})
            ),
            200,
        )
        count = answer(
            run["count_member_private_zones"](
                http("GET", "c", user=OWNER, route={"accountId": ACCOUNT, "userId": MEMBER})
            ),
            200,
        )

    assert applied["pingsRemoved"] == 1 and store.all() == []
    assert withheld.count_applied(account_id=ACCOUNT, user_id=MEMBER, zone_id=made["zoneId"]) == 1
    assert count == {"count": 1}


def test_private_zones_refuse_a_too_small_zone_an_unconfirmed_removal_and_a_stranger_counting() -> None:
    team = Team()
    with on_fakes(team.root()):
        tiny = {"latitude": SITE[0], "longitude": SITE[1], "radiusMeters": 20}
        refused(
            run["add_my_private_zone"](http("POST", "me/private-zones", user=MEMBER, body=tiny)),
            422,
            "validation-failed",
        )
        unconfirmed = http("POST", "a", user=MEMBER, route={"zoneId": "z1"}, body={"confirmation": "yes"})
        refused(run["apply_my_private_zone_to_history"](unconfirmed), 422, "validation-failed")
        theirs = http("GET", "c", user=MEMBER, route={"accountId": ACCOUNT, "userId": OWNER})
        refused(run["count_member_private_zones"](theirs), 404, "not-found")
        listed = answer(run["list_my_private_zones"](http("GET", "me/private-zones", user=MEMBER)), 200)

    assert listed["items"] == []


# ---------------------------------------------------------------- photos


def test_photos_an_upload_is_granted_completed_verified_on_the_queue_and_shown_to_the_owner() -> None:
    team, media, blobs, jobs = Team(), FakeMediaStore(), FakePhotoBlobs(), FakePhotoJobs()
    data = images.jpeg(size=(320, 240), taken=AT - timedelta(minutes=5))
    root = team.root(
        media=media,
        photo_blobs=blobs,
        photo_jobs=jobs,
        consents=granted(Capability.CAMERA),
        image_codec=FakeImageCodec(size=(320, 240)),  # what the codec finds in the upload (a real 320x240 JPEG)
    )
    with on_fakes(root):
        body = {"contentType": "image/jpeg", "sizeBytes": len(data)}
        grant = answer(run["request_photo_upload"](http("POST", "me/photos", user=MEMBER, body=body)), 201)
        [photo] = media.photos.values()
        blobs.quarantine[photo.quarantine_blob] = data  # the app's PUT to the upload link
        answer(run["complete_photo_upload"](http("POST", "c", user=MEMBER, route={"photoId": grant["photoId"]})), 202)
        [(job, _)] = jobs.sent
        run["process_photo_upload"](message(job.model_dump_json(by_alias=True)))
        route = {"accountId": ACCOUNT, "photoId": grant["photoId"]}
        shown = answer(run["get_photo"](http("GET", "p", user=OWNER, route=route)), 200)

    assert shown["status"] == PhotoStatus.READY.value and shown["width"] == 320
    assert shown["thumbnailUrl"].startswith("https://blobs.test/photos/") and blobs.quarantine == {}


def test_photos_refuse_an_upload_without_camera_consent_and_the_queue_rejects_malware() -> None:
    team, media, blobs, jobs = Team(), FakeMediaStore(), FakePhotoBlobs(), FakePhotoJobs()
    with on_fakes(team.root(media=media, photo_blobs=blobs, photo_jobs=jobs)):
        body = {"contentType": "image/jpeg", "sizeBytes": 68}
        refused(run["request_photo_upload"](http("POST", "me/photos", user=MEMBER, body=body)), 403, "forbidden")
    assert media.photos == {}

    eicar = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    with on_fakes(team.root(media=media, photo_blobs=blobs, photo_jobs=jobs, consents=granted(Capability.CAMERA))):
        grant = answer(
            run["request_photo_upload"](http("POST", "me/photos", user=MEMBER, body={**body, "sizeBytes": len(eicar)})),
            201,
        )
        [photo] = media.photos.values()
        blobs.quarantine[photo.quarantine_blob] = eicar
        answer(run["complete_photo_upload"](http("POST", "c", user=MEMBER, route={"photoId": grant["photoId"]})), 202)
        run["process_photo_upload"](message(jobs.sent[0][0].model_dump_json(by_alias=True)))

    [rejected] = media.photos.values()
    assert rejected.status is PhotoStatus.REJECTED and rejected.reason == "malware"
    assert blobs.photos == {} and blobs.quarantine == {}
