"""Every endpoint that takes an account or user id, every verb, called by account A with account B's ids:
the answer must be indistinguishable from the answer for ids that do not exist."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx

import function_app  # noqa: F401 - registers every endpoint
from functions._http import ENDPOINTS, Auth
from tests.helpers import rid
from tests.integration.conftest import add_member, register_owner
from tests.integration.test_email import verification_link, verify_path, wait_for_mail

_PARAM = re.compile(r"\{\*?([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\??\}")


def _fill(route: str, values: dict[str, str]) -> str:
    return "/" + _PARAM.sub(lambda m: values.get(m.group(1), values["_other"]), route)


def _comparable(r: httpx.Response) -> tuple[int, str, Any]:
    try:
        body: Any = r.json()
    except ValueError:
        body = r.text
    return r.status_code, r.headers.get("content-type", ""), body


def test_no_endpoint_reveals_another_accounts_ids(api: httpx.Client, figure: Callable[..., None]) -> None:
    a_owner, b_owner = register_owner(api), register_owner(api)
    a_member, b_member = add_member(api, a_owner), add_member(api, b_owner)
    before = api.get(f"/accounts/{b_owner.account_id}/members", headers=b_owner.auth).json()
    missing = str(uuid.uuid4())
    targets = [e for e in ENDPOINTS if {"accountId", "userId"} & set(_PARAM.findall(e.route))]
    assert targets, "no endpoint takes an account or user id"
    tried, leaks = 0, []
    for spec in targets:
        for caller in (a_owner, a_member):
            for b_user in (b_owner, b_member):
                foreign = {"accountId": b_owner.account_id, "userId": b_user.user_id, "_other": missing}
                absent = {"accountId": missing, "userId": missing, "_other": missing}
                body: dict[str, Any] | None = {} if spec.body is not None else None
                r_foreign = api.request(spec.method, _fill(spec.route, foreign), json=body, headers=caller.auth)
                r_absent = api.request(spec.method, _fill(spec.route, absent), json=body, headers=caller.auth)
                tried += 1
                if (
                    _comparable(r_foreign) != _comparable(r_absent)
                    or _headers(r_foreign) != _headers(r_absent)
                    or r_foreign.status_code < 400
                ):
                    leaks.append(
                        f"{spec.method} {spec.route} as {(caller is a_owner and 'owner') or 'member'}: "
                        f"{r_foreign.status_code} vs {r_absent.status_code}"
                    )
    # A's own account path with B's user ids must not reach B's members either.
    for spec in [e for e in targets if "userId" in e.route and "accountId" in e.route]:
        ids = {"accountId": a_owner.account_id, "userId": b_member.user_id, "_other": missing}
        r = api.request(spec.method, _fill(spec.route, ids), json={} if spec.body else None, headers=a_owner.auth)
        tried += 1
        if r.status_code < 400:
            leaks.append(f"{spec.method} {spec.route} with B's user under A's account: {r.status_code}")
    figure(5, f"{tried} combinations tried (account and user ids), {len(leaks)} leaks", tried=tried, leaks=len(leaks))
    assert not leaks, leaks
    assert api.get(f"/accounts/{b_owner.account_id}/members", headers=b_owner.auth).json() == before
    assert api.get("/me", headers=b_member.auth).status_code == 200


_VOLATILE_HEADERS = {"date", "content-length", "server"}
_RESOURCE_PARAMS = {"noteId", "photoId", "requestId", "deviceId", "siteId", "invitationId", "zoneId"}


def _same_format(real_id: str) -> str:
    """An id that exists nowhere, in exactly the format of `real_id` (so a format check cannot tell them apart)."""
    fresh = iter(uuid.uuid4().hex * 4)
    return "".join(next(fresh) if c.isalnum() else c for c in real_id)


def _headers(r: httpx.Response) -> dict[str, str]:
    return {k.lower(): v for k, v in r.headers.items() if k.lower() not in _VOLATILE_HEADERS}


def _seed_resources(api: httpx.Client, member: Any) -> dict[str, str]:
    consent = {"granted": True, "deviceId": "phone-1", "appVersion": "5.0.0"}
    assert api.put("/me/consents/camera", json=consent, headers=member.auth).status_code == 200
    note = api.post("/me/notes", json={"text": "B's gate code"}, headers=member.auth)
    photo = api.post("/me/photos", json={"contentType": "image/jpeg", "sizeBytes": 1000}, headers=member.auth)
    request = api.post("/me/data-requests", json={"type": "rectification"}, headers=member.auth)
    device = api.post("/me/devices", json={"name": "B's phone"}, headers=member.auth)
    assert (note.status_code, photo.status_code, request.status_code) == (201, 201, 202), (note.text, photo.text)
    assert device.status_code == 201, device.text
    zone = api.post(
        "/me/private-zones", json={"latitude": 44.97, "longitude": -93.26, "radiusMeters": 200}, headers=member.auth
    )
    assert zone.status_code == 201, zone.text
    return {
        "noteId": note.json()["noteId"],
        "photoId": photo.json()["photoId"],
        "requestId": request.json()["requestId"],
        "deviceId": device.json()["deviceId"],
        "zoneId": zone.json()["zoneId"],
    }


def _seed_job_site(api: httpx.Client, owner: Any) -> str:
    area = {"kind": "circle", "centre": {"latitude": 44.97, "longitude": -93.26}, "radius": 100}
    r = api.post(f"/accounts/{owner.account_id}/job-sites", json={"name": "B's yard", "area": area}, headers=owner.auth)
    assert r.status_code == 201, r.text
    return str(r.json()["siteId"])


def test_no_endpoint_reveals_another_accounts_resources(api: httpx.Client, figure: Callable[..., None]) -> None:
    """Notes, photos (and their read links), data requests (and their exports): B's ids, used by A's owner and
    member in every route and body that takes them, answer exactly like ids that never existed: same status,
    same problem body, same headers."""
    a_owner, b_owner = register_owner(api), register_owner(api)
    a_member, b_member = add_member(api, a_owner), add_member(api, b_owner)
    b_ids = _seed_resources(api, b_member)
    b_ids["siteId"] = _seed_job_site(api, b_owner)
    invited = api.post(
        f"/accounts/{b_owner.account_id}/invitations", json={"email": "x@example.com"}, headers=b_owner.auth
    )
    assert invited.status_code == 201, invited.text
    b_ids["invitationId"] = invited.json()["invitationId"]
    absent_ids = {name: _same_format(value) for name, value in b_ids.items()}
    targets = [e for e in ENDPOINTS if _RESOURCE_PARAMS & set(_PARAM.findall(e.route))]
    assert {p for e in targets for p in _PARAM.findall(e.route)} >= _RESOURCE_PARAMS
    tried, leaks, statuses = 0, [], dict[int, int]()
    for spec in targets:
        for caller in (a_owner, a_member):
            for account in (caller.account_id, b_owner.account_id):
                foreign = {**b_ids, "accountId": account, "userId": caller.user_id, "_other": "x"}
                absent = {**absent_ids, "accountId": account, "userId": caller.user_id, "_other": "x"}
                body = (
                    ({"name": "changed"} if "siteId" in spec.route else {"text": "changed"})
                    if spec.method == "PATCH"
                    else ({} if spec.body is not None else None)
                )
                if spec.route.endswith("/apply-to-history"):  # a valid body: the probe reaches the zone lookup
                    body = {"confirmation": "REMOVE"}
                r_foreign = api.request(spec.method, _fill(spec.route, foreign), json=body, headers=caller.auth)
                r_absent = api.request(spec.method, _fill(spec.route, absent), json=body, headers=caller.auth)
                tried += 1
                statuses[r_foreign.status_code] = statuses.get(r_foreign.status_code, 0) + 1
                if (
                    _comparable(r_foreign) != _comparable(r_absent)
                    or _headers(r_foreign) != _headers(r_absent)
                    or r_foreign.status_code < 400
                ):
                    leaks.append(f"{spec.method} {spec.route}: {r_foreign.status_code} vs {r_absent.status_code}")
    # Ids inside bodies: a note pointing at B's photo, a photo pointing at B's note.
    body_probes: list[tuple[str, str, dict[str, Any], str]] = [
        ("POST", "/me/notes", {"text": "mine"}, "photoId"),
        ("POST", "/me/photos", {"contentType": "image/jpeg", "sizeBytes": 1000}, "noteId"),
    ]
    assert (
        api.put(
            "/me/consents/camera", json={"granted": True, "deviceId": "p", "appVersion": "5.0.0"}, headers=a_member.auth
        ).status_code
        == 200
    )
    for method, path, probe, field in body_probes:
        r_foreign = api.request(method, path, json={**probe, field: b_ids[field]}, headers=a_member.auth)
        r_absent = api.request(method, path, json={**probe, field: absent_ids[field]}, headers=a_member.auth)
        tried += 1
        if _comparable(r_foreign) != _comparable(r_absent) or r_foreign.status_code < 400:
            leaks.append(f"{method} {path} with B's {field}: {r_foreign.status_code} vs {r_absent.status_code}")
    # A SetupIntent of B's Stripe customer named in A's card-on-file request (issue 16).
    intent = api.post(f"/accounts/{b_owner.account_id}/billing/setup-intent", headers=b_owner.auth)
    assert intent.status_code == 201, intent.text
    b_seti = intent.json()["clientSecret"].split("_secret_")[0]
    path = f"/accounts/{a_owner.account_id}/billing/card"
    r_foreign = api.post(path, json={"setupIntentId": b_seti}, headers=a_owner.auth)
    r_absent = api.post(path, json={"setupIntentId": "seti_" + _same_format(b_seti[5:])}, headers=a_owner.auth)
    tried += 1
    if _comparable(r_foreign) != _comparable(r_absent) or r_foreign.status_code < 400:
        leaks.append(f"POST billing/card with B's SetupIntent: {r_foreign.status_code} vs {r_absent.status_code}")
    # Ids in query strings: the owner's timesheets filtered by B's site or B's member.
    day = {"from": "2026-01-05", "to": "2026-01-06"}
    for field, value, absent_value in (
        ("siteId", b_ids["siteId"], absent_ids["siteId"]),
        ("memberId", b_member.user_id, _same_format(b_member.user_id)),
    ):
        path = f"/accounts/{a_owner.account_id}/timesheets"
        r_foreign = api.get(path, params={**day, field: value}, headers=a_owner.auth)
        r_absent = api.get(path, params={**day, field: absent_value}, headers=a_owner.auth)
        tried += 1
        if _comparable(r_foreign) != _comparable(r_absent) or r_foreign.status_code != 404:
            leaks.append(f"GET timesheets with B's {field}: {r_foreign.status_code} vs {r_absent.status_code}")
    figure(
        5,
        f"{tried} combinations tried (note, photo, data-request, device, job-site, invitation and private-zone ids in routes and bodies), "
        f"{len(leaks)} leaks",
        tried=tried,
        leaks=len(leaks),
        statuses=statuses,
    )
    assert not leaks, leaks
    assert statuses.get(404, 0) >= len(targets), statuses  # the probes reached the lookups, not only a 403/422
    # B's resources are untouched.
    assert b_ids["noteId"] in {n["noteId"] for n in api.get("/me/notes", headers=b_member.auth).json()["items"]}
    r = api.get(f"/accounts/{b_owner.account_id}/job-sites/{b_ids['siteId']}", headers=b_owner.auth)
    assert r.status_code == 200 and r.json()["name"] == "B's yard", r.text
    mine = api.get(f"/me/data-requests/{b_ids['requestId']}", headers=b_member.auth)
    assert mine.status_code == 200, mine.text
    b_devices = api.get("/me/devices", headers=b_member.auth).json()["items"]
    assert [(d["deviceId"], d["revokedAt"]) for d in b_devices] == [(b_ids["deviceId"], None)]
    b_zones = api.get("/me/private-zones", headers=b_member.auth).json()["items"]
    assert [(z["zoneId"], z["historyApplied"]) for z in b_zones] == [(b_ids["zoneId"], None)]


def test_a_device_token_reaches_nothing_of_another_account(api: httpx.Client, figure: Callable[..., None]) -> None:
    """Device tokens (docs/devices.md): A's member's token, with B's ids in every route and in every field an app
    may send (OwnTracks tid/topic, Overland device_id, Traccar id and device_id), reads nothing (401 on every other
    endpoint) and writes only A's member's pings; B's track, latest position and devices are unchanged."""
    from datetime import UTC, datetime, timedelta

    from tests.helpers import wait_for
    from tests.integration.tracking_helpers import iso, latest, set_location_consent, track_ids

    a_owner, b_owner = register_owner(api), register_owner(api)
    a_member, b_member = add_member(api, a_owner), add_member(api, b_owner)
    set_location_consent(api, a_member, True)
    set_location_consent(api, b_member, True)
    b_device = api.post("/me/devices", json={"name": "B"}, headers=b_member.auth).json()["deviceId"]
    token = api.post("/me/devices", json={"name": "A"}, headers=a_member.auth).json()["token"]
    device_auth = {"Authorization": f"Bearer {token}"}
    foreign = {"accountId": b_owner.account_id, "userId": b_member.user_id, "deviceId": b_device, "_other": "x"}
    tried, leaks = 0, []
    for spec in [e for e in ENDPOINTS if e.auth is not Auth.NONE and e.auth is not Auth.DEVICE]:
        r = api.request(spec.method, _fill(spec.route, foreign), json={} if spec.body else None, headers=device_auth)
        tried += 1
        if r.status_code != 401:
            leaks.append(f"{spec.method} {spec.route}: {r.status_code}")
    t = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    sends = [
        (
            "/ingest/owntracks",
            {
                "json": {
                    "_type": "location",
                    "lat": 1.0,
                    "lon": 2.0,
                    "tst": int(t.timestamp()),
                    "tid": b_member.user_id[:2],
                    "topic": f"owntracks/{b_member.user_id}/x",
                }
            },
        ),
        (
            "/ingest/overland",
            {
                "json": {
                    "locations": [
                        {
                            "type": "Feature",
                            "geometry": {"type": "Point", "coordinates": [2.0, 1.001]},
                            "properties": {"timestamp": iso(t + timedelta(seconds=1)), "device_id": b_device},
                        }
                    ]
                }
            },
        ),
        (
            "/ingest/traccar",
            {
                "json": {
                    "location": {
                        "timestamp": iso(t + timedelta(seconds=2)),
                        "coords": {"latitude": 1.002, "longitude": 2.0},
                    },
                    "device_id": b_device,
                }
            },
        ),
        (
            "/ingest/traccar",
            {
                "params": {
                    "id": b_device,
                    "deviceid": b_member.user_id,
                    "lat": "1.003",
                    "lon": "2",
                    "timestamp": str(int(t.timestamp()) + 3),
                }
            },
        ),
    ]
    for path, kwargs in sends:
        r = api.post(path, headers=device_auth, **kwargs)  # type: ignore[arg-type]  # each case passes json= or params=; httpx's overloads cannot see that through **kwargs
        tried += 1
        if r.status_code != 200:
            leaks.append(f"{path}: {r.status_code} {r.text[:200]}")
    window = (t - timedelta(days=1), t + timedelta(days=1))
    mine = wait_for(
        lambda: (lambda ids: ids if len(ids) == 4 else None)(track_ids(api, a_member, *window)),
        what="A's member's four pings",
    )
    assert len(mine) == 4
    assert track_ids(api, b_member, *window) == []
    assert latest(api, b_owner)[b_member.user_id]["position"] is None
    assert [d["received"] for d in api.get("/me/devices", headers=b_member.auth).json()["items"]] == [0]
    figure(
        5, f"device token of account A: {tried} calls with B's ids, {len(leaks)} leaks", tried=tried, leaks=len(leaks)
    )
    assert not leaks, leaks


def test_my_information_reaches_nobody_else(api: httpx.Client) -> None:
    """Endpoints of /me take no ids (the caller is the subject): a member's pending e-mail address is seen by neither
    their owner nor another member nor another account, its link changes only that member, and the windows preview
    stores nothing for anybody."""
    owner, stranger = register_owner(api), register_owner(api)
    member, other = add_member(api, owner), add_member(api, owner)
    new_address = f"{rid('moving-')}@example.com"
    r = api.patch("/me", json={"email": new_address, "fullName": "Mo Ving"}, headers=member.auth)
    assert r.status_code == 200, r.text
    assert r.json() == {**r.json(), "fullName": "Mo Ving", "email": member.email, "pendingEmail": new_address}
    listed = api.get(f"/accounts/{owner.account_id}/members", headers=owner.auth)
    assert new_address not in listed.text and "pendingEmail" not in listed.text
    assert api.get("/me", headers=other.auth).json()["pendingEmail"] is None
    assert new_address not in api.get(f"/accounts/{owner.account_id}/members", headers=stranger.auth).text
    preview = {"timeZone": "UTC", "windows": [{"days": ["mon"], "start": "08:00", "end": "17:00"}]}
    assert api.post("/me/tracking-schedule/preview", json=preview, headers=stranger.auth).status_code == 200
    assert api.get("/me/tracking-schedule", headers=member.auth).json()["restricted"] is False
    [mail] = wait_for_mail(new_address, subject="Confirm your e-mail address")
    assert api.post(verify_path(verification_link(mail))).status_code == 200
    emails = {
        m["userId"]: m["email"]
        for m in api.get(f"/accounts/{owner.account_id}/members", headers=owner.auth).json()["items"]
    }
    assert emails == {owner.user_id: owner.email, member.user_id: new_address, other.user_id: other.email}


def test_page_views_name_no_one_else_and_their_counts_are_for_platform_admins(api: httpx.Client) -> None:
    """Optional analytics (docs/privacy-signals.md): a page view belongs to the token's person, a body naming
    another account's ids is refused, and the counts answer neither an owner nor a member of any account."""
    a_owner, b_owner = register_owner(api), register_owner(api)
    a_member = add_member(api, a_owner)
    for extra in ({"accountId": b_owner.account_id}, {"userId": b_owner.user_id}):
        r = api.post("/analytics/page-views", json={"path": "/me", "consent": True, **extra}, headers=a_owner.auth)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == next(iter(extra)), r.text
    for caller in (a_owner, a_member, b_owner):
        r = api.get("/admin/analytics/page-views", headers=caller.auth)
        assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"


def test_an_invitation_link_reveals_only_its_own_invitation(api: httpx.Client) -> None:
    """The public join preview and acceptance (issue 29) are keyed by a signed token: A's token re-written to name
    B's account and invitation (the signature then fails) answers exactly like one naming ids that never existed,
    and says nothing of B; B's genuine token shows B's invitation whoever asks, with or without a sign-in."""
    import base64
    import json
    from urllib.parse import quote

    a_owner, b_owner = register_owner(api), register_owner(api)
    a_inv = api.post(
        f"/accounts/{a_owner.account_id}/invitations", json={"email": "a@example.com"}, headers=a_owner.auth
    )
    b_inv = api.post(
        f"/accounts/{b_owner.account_id}/invitations", json={"email": "b@example.com"}, headers=b_owner.auth
    )
    assert (a_inv.status_code, b_inv.status_code) == (201, 201), (a_inv.text, b_inv.text)
    body, mac = a_inv.json()["token"].split(".", 1)
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))

    def rewritten(account_id: str, invitation_id: str) -> str:
        changed = {**payload, "a": account_id, "i": invitation_id}
        text = base64.urlsafe_b64encode(json.dumps(changed, separators=(",", ":"), sort_keys=True).encode())
        return quote(f"{text.decode().rstrip('=')}.{mac}", safe="")

    foreign = rewritten(b_owner.account_id, b_inv.json()["invitationId"])
    absent = rewritten(str(uuid.uuid4()), str(uuid.uuid4()))
    for method, suffix in (("GET", ""), ("POST", "/accept")):
        for headers in ({}, a_owner.auth):
            if method == "POST" and not headers:
                continue  # accepting needs a sign-in: 401 before the token is read
            r_foreign = api.request(method, f"/invitations/{foreign}{suffix}", json={}, headers=headers)
            r_absent = api.request(method, f"/invitations/{absent}{suffix}", json={}, headers=headers)
            assert _comparable(r_foreign) == _comparable(r_absent) and r_foreign.status_code == 410, r_foreign.text
            assert _headers(r_foreign) == _headers(r_absent)
            assert "b@example.com" not in r_foreign.text and b_owner.account_id not in r_foreign.text
    b_token = quote(b_inv.json()["token"], safe="")
    seen = [api.get(f"/invitations/{b_token}", headers=h) for h in ({}, a_owner.auth, b_owner.auth)]
    assert all(r.status_code == 200 for r in seen) and len({r.text for r in seen}) == 1
    assert seen[0].json()["email"] == "b@example.com"
