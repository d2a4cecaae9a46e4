"""Issue 13, points 3 and 5, through the real host: date-times at the edges of the calendar are input errors (422
naming the field; one bad ping is rejected in the answer, the rest of its batch is kept), and a continuation token
that this service did not mint for that list is the client's error (422 naming `query.continuation`, never a 503
with Retry-After), on every paged endpoint."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

import function_app  # noqa: F401 - registers every endpoint
from functions._http import ENDPOINTS
from tests.integration.conftest import User, add_member, new_identity, register_owner
from tests.integration.tracking_helpers import CONSENT, iso, ping, set_location_consent, wait_for_stored

# Each one leaves the representable range when converted to UTC, or lies outside 2000-01-01..2100-01-01 UTC.
EDGE_DATES = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999Z",
    "1999-12-31T23:59:59Z",
    "2100-01-01T00:00:00Z",
]
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


def _fields(r: httpx.Response) -> list[str]:
    assert r.headers.get("content-type") == "application/problem+json", (r.status_code, r.text)
    return [e["field"] for e in r.json().get("errors", [])]


def _refused(r: httpx.Response, field: str) -> None:
    assert r.status_code == 422 and _fields(r) == [field], (r.status_code, r.text[:300])
    assert "retry-after" not in r.headers


# ---------------------------------------------------------------- date-times


def test_edge_timestamps_reject_only_their_own_pings(api: httpx.Client, member: User) -> None:
    set_location_consent(api, member, True)
    now = datetime.now(UTC)
    good = [ping(now + timedelta(milliseconds=50), 0), ping(now + timedelta(milliseconds=60), 1)]
    edges = [ping(now, 2, timestamp=text) for text in EDGE_DATES]
    batch = [good[0], *edges, good[1]]
    r = api.post("/me/locations", json={"pings": batch}, headers=member.auth)
    assert r.status_code == 202, r.text
    result = r.json()
    assert (result["received"], result["accepted"], result["rejectedCount"]) == (len(batch), 2, len(EDGE_DATES))
    assert [(x["index"], x["field"]) for x in result["rejected"]] == [(i + 1, "timestamp") for i in range(len(edges))]
    assert all("between 2000-01-01" in x["reason"] for x in result["rejected"]), result["rejected"]
    wait_for_stored(api, member, {p["id"] for p in good}, now - timedelta(minutes=1), now + timedelta(minutes=2))


def test_edge_capture_times_of_photo_upload_grants_are_refused(api: httpx.Client, member: User) -> None:
    r = api.put("/me/consents/camera", json={**CONSENT, "granted": True}, headers=member.auth)
    assert r.status_code == 200, r.text
    body = {"contentType": "image/jpeg", "sizeBytes": 1234}
    for text in EDGE_DATES:
        _refused(api.post("/me/photos", json={**body, "capturedAt": text}, headers=member.auth), "capturedAt")
    listing = api.get(f"/accounts/{member.account_id}/photos", headers=member.auth)
    assert listing.status_code == 200 and listing.json()["items"] == [], listing.text  # no grant was recorded
    ok = api.post("/me/photos", json={**body, "capturedAt": "2026-03-08T02:30:00-05:00"}, headers=member.auth)
    assert ok.status_code == 201, ok.text


def test_edge_note_times_are_refused(api: httpx.Client, member: User) -> None:
    for text in EDGE_DATES:
        _refused(api.post("/me/notes", json={"text": "at the edge", "at": text}, headers=member.auth), "at")
    assert api.get("/me/notes", headers=member.auth).json()["items"] == []
    note = api.post("/me/notes", json={"text": "fine"}, headers=member.auth).json()
    for text in EDGE_DATES[:2]:
        _refused(api.patch(f"/me/notes/{note['noteId']}", json={"at": text}, headers=member.auth), "at")
    assert api.get("/me/notes", headers=member.auth).json()["items"][0]["at"] is None


def test_edge_effective_dates_of_a_policy_version_are_refused(api: httpx.Client) -> None:
    admin = new_identity(admin=True)
    body = {"text": "A policy text long enough to be posted.", "summary": "Edge dates."}
    for text in ["9999-12-31T23:59:59-14:00", "2100-01-01T00:00:00Z"]:
        _refused(
            api.post("/admin/policy/versions", json={**body, "effectiveAt": text}, headers=admin.auth), "effectiveAt"
        )


def _list_paths(owner: User, member: User) -> list[tuple[str, User]]:
    return [
        (f"/accounts/{owner.account_id}/photos", owner),
        (f"/accounts/{owner.account_id}/notes", owner),
        ("/me/notes", member),
        ("/me/track", member),
        (f"/accounts/{owner.account_id}/members/{member.user_id}/track", owner),
    ]


def test_edge_from_and_to_filters_are_refused_on_every_list(api: httpx.Client, owner: User, member: User) -> None:
    filtered = sorted(
        e.route
        for e in ENDPOINTS
        if e.query is not None
        and "from_" in e.query.model_fields
        and "date-time" in json.dumps(e.query.model_json_schema())
    )  # timesheets take days
    paths = _list_paths(owner, member)
    assert len(filtered) == len(paths), filtered  # every list with a from/to filter is tried here
    for path, caller in paths:
        for name in ("from", "to"):
            for text in EDGE_DATES:
                _refused(api.get(path, params={name: text}, headers=caller.auth), f"query.{name}")
        assert api.get(path, headers=caller.auth).status_code == 200


# ---------------------------------------------------------------- continuation tokens

FORGED = [
    "abc\r\nX-Injected: 1",  # CR/LF: was a 503 with Retry-After (the SDK refused the header)
    "x\ny.z",
    '[{"compositeToken":"{\\"token\\":\\"-RID:~AAAA#RT:1#TRC:1\\"}","range":{"min":"","max":"FF"}}]',  # raw Cosmos
    "-RID:~AAAAAAAAAAA=#RT:1#TRC:5#ISV:2#IEO:65567",
    "eyJjIjoiLVJJRDp-QUFBQSNSVDoxIn0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # right shape, wrong signature
    "a.b",
    "\u00e9.\u00e9",
]


def _paged(owner: User, member: User) -> list[tuple[str, User]]:
    routes = sorted(e.route for e in ENDPOINTS if e.query is not None and "continuation" in e.query.model_fields)
    paths = [
        ("/me/access-log", member),
        (f"/accounts/{owner.account_id}/job-sites", owner),
        ("/me/job-sites", member),
        (f"/accounts/{owner.account_id}/devices", owner),
        (f"/accounts/{owner.account_id}/member-overview", owner),
        *_list_paths(owner, member),
    ]
    # access log, both job-site lists, the owner's devices, the members page, both note lists, photos, tracks
    assert len(routes) == len(paths) == 10, routes
    return paths


def test_invalid_continuation_tokens_are_a_422_on_every_paged_endpoint(
    api: httpx.Client, owner: User, member: User
) -> None:
    wrong: list[str] = []
    for path, caller in _paged(owner, member):
        for token in FORGED:
            r = api.get(path, params={"continuation": token}, headers=caller.auth)
            fields = _fields(r) if r.status_code < 500 else []
            if r.status_code != 422 or fields != ["query.continuation"] or "retry-after" in r.headers:
                wrong.append(f"GET {path} continuation={token[:30]!r}: {r.status_code} {r.text[:160]}")
    assert not wrong, "\n".join(wrong)


def _note_pages(api: httpx.Client, path: str, caller: User, **params: str) -> tuple[list[str], list[str]]:
    ids: list[str] = []
    tokens: list[str] = []
    token: str | None = None
    while True:
        query = {"limit": "1", **params, **({"continuation": token} if token else {})}
        r = api.get(path, params=query, headers=caller.auth)
        assert r.status_code == 200, r.text
        ids += [n["noteId"] for n in r.json()["items"]]
        token = r.json()["continuation"]
        if not token:
            return ids, tokens
        tokens.append(token)


def test_tokens_page_through_and_work_only_for_their_own_list(api: httpx.Client, owner: User, member: User) -> None:
    written = [
        api.post("/me/notes", json={"text": f"note {i}"}, headers=member.auth).json()["noteId"] for i in range(3)
    ]
    ids, tokens = _note_pages(api, "/me/notes", member)
    assert ids == written[::-1] and len(tokens) >= 2 and all(TOKEN_SHAPE.match(t) for t in tokens)
    first = tokens[0]
    stranger = register_owner(api)
    colleague = add_member(api, owner)
    elsewhere = [
        (f"/accounts/{owner.account_id}/notes", owner, {}),  # every worker's notes: another list
        (f"/accounts/{owner.account_id}/photos", owner, {"userId": member.user_id}),
        ("/me/notes", member, {"from": "2026-01-01T00:00:00Z"}),  # the same list with another filter
        ("/me/notes", colleague, {}),  # another worker of the same account
        (f"/accounts/{stranger.account_id}/notes", stranger, {}),  # another account
        ("/me/access-log", member, {}),
        ("/me/track", member, {}),
    ]
    for path, caller, params in elsewhere:
        _refused(api.get(path, params={**params, "continuation": first}, headers=caller.auth), "query.continuation")
    body, mac = first.split(".")
    for tampered in (f"{body[:-1]}{'A' if body[-1] != 'A' else 'B'}.{mac}", f"{body}.{mac[::-1]}", f"{body}."):
        _refused(api.get("/me/notes", params={"continuation": tampered}, headers=member.auth), "query.continuation")
    # The owner reading this one worker's notes reads the same list: the token continues it.
    r = api.get(
        f"/accounts/{owner.account_id}/notes",
        params={"userId": member.user_id, "limit": "1", "continuation": first},
        headers=owner.auth,
    )
    assert r.status_code == 200 and [n["noteId"] for n in r.json()["items"]] == [written[1]], r.text


def test_track_pages_carry_sealed_tokens_in_x_continuation(api: httpx.Client, member: User) -> None:
    set_location_consent(api, member, True)
    start = datetime.now(UTC)
    pings = [ping(start + timedelta(milliseconds=50 + i), i) for i in range(3)]
    assert api.post("/me/locations", json={"pings": pings}, headers=member.auth).json()["accepted"] == 3
    window = (start - timedelta(minutes=1), start + timedelta(minutes=2))
    wait_for_stored(api, member, {p["id"] for p in pings}, *window)
    params: dict[str, Any] = {"from": iso(window[0]), "to": iso(window[1]), "limit": "2"}
    first = api.get("/me/track", params=params, headers=member.auth)
    token = first.headers.get("x-continuation")
    assert first.status_code == 200 and token and TOKEN_SHAPE.match(token), first.headers
    second = api.get("/me/track", params={**params, "continuation": token}, headers=member.auth)
    assert second.status_code == 200 and "x-continuation" not in second.headers
    seen = [
        f["properties"]["id"]
        for doc in (first, second)
        for f in doc.json()["features"]
        if f["properties"]["kind"] == "ping"
    ]
    assert seen == [p["id"] for p in pings]
    shifted = {**params, "from": iso(window[0] - timedelta(seconds=1)), "continuation": token}
    _refused(api.get("/me/track", params=shifted, headers=member.auth), "query.continuation")


@pytest.mark.parametrize("token", ["abc\r\nX-Injected: 1", "abc\rdef"])
def test_a_crlf_token_never_reaches_the_database(api: httpx.Client, member: User, token: str) -> None:
    """The reported case: a 503 `dependency-unavailable` with Retry-After, so a client would retry forever."""
    r = api.get("/me/notes", params={"continuation": token}, headers=member.auth)
    _refused(r, "query.continuation")
    assert "dependency-unavailable" not in r.text
