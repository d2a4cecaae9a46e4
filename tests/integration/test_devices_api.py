"""Existing tracking apps through the real host: each protocol's payloads (hand-written, in the shapes the apps'
docs describe) are stored once as pings, move the latest position, and get the answer the app expects; device
tokens are refused once revoked, for a removed member and a closed account; the token never reaches the log."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.helpers import wait_for
from tests.integration.conftest import Stack, User, add_member, register_owner
from tests.integration.tracking_helpers import iso, latest, set_location_consent

DAY = timedelta(days=1)


def make_device(api: httpx.Client, user: User, name: str = "Pixel 8 - OwnTracks") -> tuple[str, str]:
    r = api.post("/me/devices", json={"name": name}, headers=user.auth)
    assert r.status_code == 201, r.text
    return r.json()["deviceId"], r.json()["token"]


def basic(device_id: str, token: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{device_id}:{token}".encode()).decode()}


def my_device(api: httpx.Client, user: User, device_id: str) -> dict[str, Any]:
    r = api.get("/me/devices", headers=user.auth)
    assert r.status_code == 200, r.text
    [found] = [d for d in r.json()["items"] if d["deviceId"] == device_id]
    return dict(found)


def track(api: httpx.Client, user: User, start: datetime, end: datetime) -> list[dict[str, Any]]:
    r = api.get("/me/track", params={"from": iso(start), "to": iso(end)}, headers=user.auth)
    assert r.status_code == 200, r.text
    return [f for f in r.json()["features"] if f["properties"].get("kind") == "ping"]


def wait_stored(api: httpx.Client, user: User, count: int, start: datetime, end: datetime) -> list[dict[str, Any]]:
    last: list[Any] = []

    def done() -> list[dict[str, Any]] | None:
        last[:] = [track(api, user, start, end)]
        return last[0] if len(last[0]) == count else None

    try:
        return wait_for(done, timeout=30, interval=0.3, what=f"{count} stored pings")
    except AssertionError:
        raise AssertionError(f"stored: {last}") from None


def soon() -> datetime:
    """A fix time just after "now": consent is judged at each ping's own time, so fixes must follow the grant."""
    return datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)


def feature(t: datetime, lon: float, lat: float, **props: Any) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "timestamp": iso(t),
        "horizontal_accuracy": 6,
        "altitude": 251,
        "speed": 4.2,
        "course": 181,
        "battery_level": 0.77,
        "wifi": "",
        "device_id": "iphone",
    }
    properties.update(props)
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": properties}


def test_owntracks_stores_once_moves_latest_and_answers_an_empty_array(api: httpx.Client, stack: Stack) -> None:
    owner = register_owner(api)
    member = add_member(api, owner)
    set_location_consent(api, member, True)
    device_id, token = make_device(api, member)
    t = soon()
    location = {
        "_type": "location",
        "lat": 44.97781,
        "lon": -93.26502,
        "tst": int(t.timestamp()),
        "acc": 9,
        "alt": 260,
        "vel": 18,
        "cog": 90,
        "batt": 71,
        "conn": "w",
        "tid": "fw",
        "SSID": "depot",
        "t": "u",
    }
    for _ in range(2):  # the app retries when an answer is lost
        r = api.post("/ingest/owntracks", json=location, headers=basic(device_id, token))
        assert (r.status_code, r.json(), r.headers["content-type"]) == (200, [], "application/json")
    transition = {"_type": "transition", "event": "leave", "desc": "Depot", "tst": int(t.timestamp()), "acc": 9}
    assert api.post("/ingest/owntracks", json=transition, headers=basic(device_id, token)).json() == []
    assert api.post("/ingest/owntracks", content=b"", headers=basic(device_id, token)).status_code == 200

    [stored] = wait_stored(api, member, 1, t - DAY, t + DAY)
    props = stored["properties"]
    assert stored["geometry"]["coordinates"] == [-93.26502, 44.97781]
    assert (props["time"], props["horizontalAccuracy"], props["speed"], props["batteryLevel"]) == (
        iso(t),
        9,
        5.0,
        71,
    )  # 18 km/h = 5 m/s
    position = wait_for(lambda: latest(api, owner)[member.user_id]["position"], what="the latest position")
    assert (position["latitude"], position["longitude"]) == (44.97781, -93.26502)
    shown = my_device(api, member, device_id)
    # The retry came before the writer stored the first copy: counted as accepted twice, stored once (above).
    assert (shown["received"], shown["ignored"], shown["stored"] + shown["dropped"]["duplicates"]) == (2, 2, 2)
    assert shown["lastProtocol"] == "owntracks" and shown["lastSeenAt"]


def test_overland_batch_out_of_order_with_a_bad_point_and_a_resend(api: httpx.Client) -> None:
    owner = register_owner(api)
    member = add_member(api, owner)
    set_location_consent(api, member, True)
    device_id, token = make_device(api, member, "iPhone - Overland")
    t0 = soon()
    good = [feature(t0 + timedelta(seconds=m), -93.26 + m / 1000, 44.97 + m / 1000) for m in (5, 1, 9, 3)]
    bad = [feature(t0, -93.26, 44.97, timestamp="not a time"), {"type": "Feature", "geometry": None}]
    body = {"locations": [good[0], bad[0], good[1], good[2], bad[1], good[3]], "trip": {"mode": "car"}}
    for _ in range(2):  # the whole batch re-sent, as the app does when it did not see the answer
        r = api.post("/ingest/overland", json=body, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.text == '{"result": "ok"}', r.text
    stored = wait_stored(api, member, 4, t0 - DAY, t0 + DAY)
    assert [f["properties"]["time"] for f in stored] == [iso(t0 + timedelta(seconds=m)) for m in (1, 3, 5, 9)]
    assert {(f["properties"]["speed"], f["properties"]["batteryLevel"]) for f in stored} == {(4.2, 77)}
    newest = t0 + timedelta(seconds=9)  # the latest position is the newest fix, not the last one in the batch
    position = wait_for(lambda: latest(api, owner)[member.user_id]["position"], what="the latest position")
    assert position["timestamp"].replace("+00:00", "Z") in (iso(newest), newest.isoformat().replace("+00:00", "Z"))
    shown = my_device(api, member, device_id)
    assert (shown["received"], shown["dropped"]["rejected"], shown["stored"] + shown["dropped"]["duplicates"]) == (
        12,
        4,
        8,
    )


def test_traccar_query_form_and_json_and_gpslogger(api: httpx.Client) -> None:
    member = add_member(api, register_owner(api))
    set_location_consent(api, member, True)
    device_id, token = make_device(api, member, "Android - Traccar Client")
    t = soon()
    query = {
        "id": "48241179",
        "timestamp": str(int(t.timestamp())),
        "lat": "44.9",
        "lon": "-93.1",
        "speed": "10",
        "bearing": "45",
        "altitude": "250",
        "accuracy": "5",
        "batt": "66",
        "token": token,
    }
    r = api.get("/ingest/traccar", params=query)
    assert r.status_code == 200, r.text
    form = {**query, "timestamp": str(int(t.timestamp() + 1) * 1000), "lat": "44.91"}
    del form["token"]
    r = api.post("/ingest/traccar", data=form, headers=basic(device_id, token))
    assert r.status_code == 200, r.text
    as_json = {
        "location": {
            "timestamp": iso(t + timedelta(seconds=2)),
            "is_moving": True,
            "coords": {
                "latitude": 44.92,
                "longitude": -93.1,
                "accuracy": 4,
                "speed": 3,
                "heading": -1,
                "altitude": 250,
            },
            "battery": {"level": 0.5},
        },
        "device_id": "48241179",
    }
    r = api.post("/ingest/traccar", json=as_json, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    gps = {
        "lat": "44.93",
        "lon": "-93.1",
        "time": iso(t + timedelta(seconds=3)),
        "acc": "3",
        "alt": "",
        "spd": "",
        "dir": "",
        "batt": "1",
        "prov": "gps",
        "token": token,
    }
    assert api.get("/ingest/gpslogger", params=gps).status_code == 200
    gps_form = {**gps, "time": iso(t + timedelta(seconds=4)), "lat": "44.94"}
    del gps_form["token"]
    assert api.post("/ingest/gpslogger", data=gps_form, headers=basic(device_id, token)).status_code == 200
    stored = wait_stored(api, member, 5, t - DAY, t + DAY)
    props = [f["properties"] for f in stored]
    assert [round(p.get("speed", -1), 2) for p in props] == [5.14, 5.14, 3, -1, -1]  # knots, knots, m/s, unknown
    assert [p.get("batteryLevel") for p in props] == [66, 66, 50, 1, 1]
    assert [p["source"] for p in props] == ["fused", "fused", "fused", "gps", "gps"]


def test_consent_off_pings_are_dropped_counted_and_the_app_still_gets_success(api: httpx.Client) -> None:
    member = add_member(api, register_owner(api))
    device_id, token = make_device(api, member)
    t = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    r = api.post(
        "/ingest/overland",
        json={"locations": [feature(t, 2, 1), feature(t + timedelta(seconds=5), 2, 1)]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200 and r.json() == {"result": "ok"}
    location = {"_type": "location", "lat": 1.0, "lon": 2.0, "tst": int(t.timestamp()) + 10}
    assert api.post("/ingest/owntracks", json=location, headers=basic(device_id, token)).json() == []
    shown = my_device(api, member, device_id)
    assert (shown["received"], shown["stored"], shown["dropped"]["noConsent"]) == (3, 0, 3)
    set_location_consent(api, member, True)
    later: dict[str, Any] = {**location, "tst": int(soon().timestamp())}
    assert api.post("/ingest/owntracks", json=later, headers=basic(device_id, token)).json() == []
    stored = wait_stored(api, member, 1, t - DAY, t + DAY)  # only the ping sent after consent was granted
    assert stored[0]["properties"]["time"] == iso(datetime.fromtimestamp(later["tst"], UTC))


def test_hostile_input_gets_problem_json_and_stores_nothing(api: httpx.Client, stack: Stack) -> None:
    member = add_member(api, register_owner(api))
    set_location_consent(api, member, True)
    _, token = make_device(api, member)
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    limit = stack.settings.max_body_bytes
    cases = [
        ("/ingest/owntracks", b"{not json", 422, "body"),
        ("/ingest/owntracks", b'{"_type":"location","lat":"1","lon":2,"tst":1}', 422, "lat"),
        ("/ingest/overland", b'{"locations": 5}', 422, "locations"),
        ("/ingest/overland", b'{"locations": [' + b"0," * (limit // 2) + b"0]}", 413, None),
        ("/ingest/traccar", b'{"location": {"timestamp": 1}}', 422, "location.coords"),
        ("/ingest/owntracks", b'{"_type":"location","lat":NaN,"lon":2,"tst":1}', 422, "body"),
    ]
    for path, raw, status, field in cases:
        r = api.post(path, content=raw, headers=auth)
        assert r.status_code == status and r.headers["content-type"] == "application/problem+json", (path, r.text)
        if field:
            assert field in {e["field"] for e in r.json()["errors"]}, r.text
    r = api.get("/ingest/gpslogger", params={"lat": "%LAT", "lon": "2", "time": "now", "token": token})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "lat"
    marker = soon()
    assert (
        api.post(
            "/ingest/owntracks",
            json={"_type": "location", "lat": 3.0, "lon": 4.0, "tst": int(marker.timestamp())},
            headers=auth,
        ).status_code
        == 200
    )
    [stored] = wait_stored(api, member, 1, marker - DAY, marker + DAY)  # the good one after the bad ones, alone
    assert stored["geometry"]["coordinates"] == [4.0, 3.0]


def test_revocation_removal_and_closure_end_tokens_and_tokens_are_never_logged(api: httpx.Client, stack: Stack) -> None:
    owner = register_owner(api)
    member = add_member(api, owner)
    set_location_consent(api, member, True)
    made = {
        name: make_device(api, user, name)
        for name, user in (("first", member), ("second", member), ("owner's phone", owner))
    }
    location = {"_type": "location", "lat": 1.0, "lon": 2.0, "tst": int(soon().timestamp())}

    def send(name: str) -> int:
        """By name, so that a failure message never shows a token."""
        return api.post("/ingest/owntracks", json=location, headers=basic(*made[name])).status_code

    assert send("first") == 200
    assert api.delete(f"/me/devices/{made['first'][0]}", headers=member.auth).status_code == 204
    assert send("first") == 401
    assert send("second") == 200
    listed = api.get(f"/accounts/{owner.account_id}/devices", headers=owner.auth).json()["items"]
    assert {d["deviceId"] for d in listed} == {device_id for device_id, _ in made.values()}
    assert "token" not in json.dumps(listed)
    assert api.get(f"/accounts/{owner.account_id}/devices", headers=member.auth).status_code == 403
    made["third"] = make_device(api, member, "third")
    assert (
        api.delete(
            f"/accounts/{owner.account_id}/members/{member.user_id}/devices/{made['third'][0]}", headers=owner.auth
        ).status_code
        == 204
    )
    assert send("third") == 401
    assert api.delete(f"/accounts/{owner.account_id}/members/{member.user_id}", headers=owner.auth).status_code == 204
    r = api.post("/ingest/owntracks", json=location, headers=basic(*made["second"]))
    assert r.status_code == 403 and r.json()["type"].endswith("/access-ended")
    assert send("owner's phone") == 200
    asked = api.post(f"/accounts/{owner.account_id}/closure", json={}, headers=owner.auth).json()
    closed = api.post(
        f"/accounts/{owner.account_id}/closure", json={"confirm": asked["confirmationPhrase"]}, headers=owner.auth
    )
    assert closed.status_code in (200, 202), closed.text
    assert send("owner's phone") == 403
    log_text = stack.host_log()
    for name, (_, token) in made.items():
        leaked = token in log_text or token[4:20] in log_text
        assert not leaked, f"the token of {name} is in the host log"


def test_devices_are_exported_without_the_hash_then_erased_with_their_tokens(api: httpx.Client) -> None:
    from tests.integration.test_data_requests_api import completed, export

    owner = register_owner(api)
    member = add_member(api, owner)
    set_location_consent(api, member, True)
    device_id, token = make_device(api, member, "Work phone - GPSLogger")
    assert (
        api.get("/ingest/gpslogger", params={"lat": "1", "lon": "2", "time": iso(soon()), "token": token}).status_code
        == 200
    )
    zf = export(api, member)
    [exported] = json.loads(zf.read("devices.json"))
    assert exported["device_id"] == device_id and exported["name"] == "Work phone - GPSLogger"
    assert exported["counters"]["received"] == 1 and "token_hash" not in exported
    assert token not in zf.read("devices.json").decode()
    r = api.post("/me/data-requests", json={"type": "erasure"}, headers=member.auth)
    done = completed(api, member, r.json()["requestId"])
    assert done["erased"]["devices"] == 1
    r = api.get("/ingest/gpslogger", params={"lat": "1", "lon": "2", "time": iso(soon()), "token": token})
    assert r.status_code == 401  # the token's lookup went with the device
    assert api.get("/me/devices", headers=member.auth).json()["items"] == []


def test_hostile_bodies_on_every_app_endpoint_are_refused_before_work(api: httpx.Client, stack: Stack) -> None:
    """The hostile bodies of issue 9 row 8, on every device endpoint that takes a body: 413 or 422, problem+json,
    nothing counted or stored."""
    import function_app  # noqa: F401 - registers every endpoint
    from functions._http import ENDPOINTS, Auth

    member = add_member(api, register_owner(api))
    set_location_consent(api, member, True)
    device_id, token = make_device(api, member)
    limit = stack.settings.max_body_bytes
    hostile = {
        "10 MB": (b'{"a": "' + b"x" * 10_000_000 + b'"}', 413),
        "just over the limit": (b'{"a": "' + b"x" * limit + b'"}', 413),
        "deeply nested": (b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}", 422),
        "invalid UTF-8": (b'{"a": "\xff\xfe\xfd"}', 422),
        "NaN": (b'{"a": NaN}', 422),
        "not an object": (b"[1, 2, 3]", 422),
    }
    targets = [e for e in ENDPOINTS if e.auth is Auth.DEVICE and e.method == "POST"]
    wrong = []
    for spec in targets:
        for ctype in ("application/json", "application/x-www-form-urlencoded"):
            for label, (raw, status) in hostile.items():
                r = api.post(
                    "/" + spec.route, content=raw, headers={"Authorization": f"Bearer {token}", "Content-Type": ctype}
                )
                if r.status_code != status or r.headers.get("content-type") != "application/problem+json":
                    wrong.append(f"{spec.route} {ctype} {label}: {r.status_code} {r.text[:120]}")
    assert not wrong, "\n".join(wrong)
    assert my_device(api, member, device_id)["received"] == 0


def test_windows_old_and_future_timestamps_apply_as_for_the_api(api: httpx.Client) -> None:
    """Tracking windows, retention age and the future skew judge app pings exactly as POST /api/me/locations; the
    app gets its success answer and the device page counts each reason."""
    member = add_member(api, register_owner(api))
    set_location_consent(api, member, True)
    device_id, token = make_device(api, member)
    now = datetime.now(UTC)
    closed_hour = (now + timedelta(hours=3)).strftime("%H:00")
    window_end = (now + timedelta(hours=4)).strftime("%H:00")
    schedule = {
        "timeZone": "UTC",
        "windows": [
            {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": closed_hour, "end": window_end}
        ],
    }
    assert api.put("/me/tracking-schedule", json=schedule, headers=member.auth).status_code == 200
    headers = basic(device_id, token)
    sends = [
        int(soon().timestamp()),  # outside the window
        int((now - timedelta(days=400)).timestamp()),  # older than the 365-day location retention
        int((now + timedelta(hours=1)).timestamp()),
    ]  # beyond PING_FUTURE_SKEW_SECONDS
    for tst in sends:
        r = api.post(
            "/ingest/owntracks", json={"_type": "location", "lat": 1.0, "lon": 2.0, "tst": tst}, headers=headers
        )
        assert (r.status_code, r.json()) == (200, [])
    shown = my_device(api, member, device_id)
    assert (shown["received"], shown["stored"], shown["dropped"]["outsideWindow"], shown["dropped"]["rejected"]) == (
        3,
        0,
        1,
        2,
    )
    assert (shown["dropped"]["tooOld"], shown["dropped"]["inFuture"], shown["dropped"]["unreadable"]) == (1, 1, 0)
    assert api.delete("/me/tracking-schedule", headers=member.auth).status_code == 204
    later = soon()
    api.post(
        "/ingest/owntracks",
        json={"_type": "location", "lat": 1.0, "lon": 2.0, "tst": int(later.timestamp())},
        headers=headers,
    )
    [stored] = wait_stored(api, member, 1, now - DAY, now + DAY)  # only the ping sent afterwards
    assert stored["properties"]["time"] == iso(later)


def test_a_revocation_cut_between_its_two_writes_refuses_the_token_and_a_retry_completes_it(
    api: httpx.Client, stack: Stack, monkeypatch: Any
) -> None:
    """Issue 28, on the emulator: the first write of a revocation (the device marked revoked) lands and the second
    (the token lookup's delete) is lost, as in a crash between them. The next request is already refused (the
    `active` check in device_auth.authenticate: the mutant that drops it survives every other test), and revoking
    again through the API deletes the lookup, keeping the first revocation's time."""
    import pytest

    from core.adapters import cosmos_devices
    from core.adapters.cosmos import build_cosmos_client
    from core.domain.devices import token_hash

    owner = register_owner(api)
    member = add_member(api, owner)
    set_location_consent(api, member, True)
    device_id, token = make_device(api, member)
    location = {"_type": "location", "lat": 1.0, "lon": 2.0, "tst": int(soon().timestamp())}
    first = api.post("/ingest/owntracks", json=location, headers=basic(device_id, token)).status_code
    assert first == 200

    store = cosmos_devices.CosmosDeviceStore(
        build_cosmos_client(stack.settings).get_database_client(stack.settings.cosmos_database)
    )
    device = store.get(user_id=member.user_id, device_id=device_id)
    assert device is not None and device.active
    cut_at = datetime.now(UTC).replace(microsecond=0)

    def crash(*_: Any) -> None:
        raise ConnectionError("the host stopped between the two writes")

    with monkeypatch.context() as patch:
        patch.setattr(cosmos_devices, "delete_lookup", crash)
        with pytest.raises(ConnectionError):
            store.revoke(device.model_copy(update={"revoked_at": cut_at, "revoked_by": member.user_id}))
    digest = token_hash(token)
    survived = store.lookup(digest) is not None
    assert survived, "the cut should have left the token's lookup behind"

    forms: dict[str, tuple[dict[str, str], dict[str, str]]] = {
        "basic": (basic(device_id, token), {}),
        "bearer": ({"Authorization": f"Bearer {token}"}, {}),
        "query": ({}, {"token": token}),
    }
    answers = {
        form: api.post("/ingest/owntracks", json=location, headers=h, params=p).status_code
        for form, (h, p) in forms.items()
    }  # by form, so that a failure message never shows the token
    assert answers == {"basic": 401, "bearer": 401, "query": 401}
    assert api.delete(f"/me/devices/{device_id}", headers=member.auth).status_code == 204
    gone = store.lookup(digest) is None
    assert gone, "revoking again should have deleted the token's lookup"
    assert my_device(api, member, device_id)["revokedAt"].startswith(cut_at.isoformat()[:19])
    last = api.post("/ingest/owntracks", json=location, headers=basic(device_id, token)).status_code
    assert last == 401
