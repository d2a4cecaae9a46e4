"""Row 7 of issue 9, mass assignment: every body the owner or a worker can send, each with a field that only the
server may set, is refused with a 422 naming that field, and nothing stored changes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

import function_app  # noqa: F401 - registers every endpoint
from functions._http import ENDPOINTS
from tests.integration.conftest import User, add_member, register_owner

CONSENT = {"granted": True, "deviceId": "phone-1", "appVersion": "5.0.0"}
NOW = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")

# Fields a client must never set: ownership, role, identity, audit times, retention, consent ledger timestamps.
SERVER_FIELDS: dict[str, Any] = {
    "accountId": "acc-" + uuid.uuid4().hex,
    "userId": "u-" + uuid.uuid4().hex,
    "role": "owner",
    "id": "x",
    "createdAt": "2001-01-01T00:00:00Z",
    "updatedAt": "2001-01-01T00:00:00Z",
    "status": "active",
    "retention": {"locationDays": 100000},
    "grantedAt": "2001-01-01T00:00:00Z",
    "recordedAt": "2001-01-01T00:00:00Z",
    "withdrawnAt": None,
    "policyVersion": "1999-01-01",
}


def _ping() -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "timestamp": NOW,
        "latitude": 44.97,
        "longitude": -93.26,
        "horizontalAccuracy": 8.0,
        "source": "gps",
    }


def _bodies(owner: User, note_id: str) -> list[tuple[User | None, str, str, dict[str, Any]]]:
    """A valid body for each endpoint a user sends one to; None as the caller means "the worker"."""
    account = owner.account_id
    return [
        (None, "PATCH", "/me", {"phone": "+1 612 555 0100"}),
        (None, "PUT", "/me/consents/location", CONSENT),
        (None, "PUT", "/me/email-preferences", {"categories": {"tips": False}}),
        (None, "POST", "/me/notes", {"text": "gate code"}),
        (None, "PATCH", f"/me/notes/{note_id}", {"text": "gate code changed"}),
        (None, "POST", "/me/photos", {"contentType": "image/jpeg", "sizeBytes": 1000}),
        (None, "POST", "/me/policy-acknowledgements", {"versionId": "2023-06-15", "app": "ios"}),
        (None, "POST", "/me/data-requests", {"type": "rectification"}),
        (
            None,
            "PUT",
            "/me/tracking-schedule",
            {"timeZone": "UTC", "windows": [{"days": ["mon"], "start": "07:00", "end": "18:00"}]},
        ),
        (None, "POST", "/me/locations", {"pings": [_ping()]}),
        (owner, "PUT", f"/accounts/{account}/retention", {"locationDays": 30}),
        (owner, "POST", f"/accounts/{account}/invitations", {"email": "new@example.com", "fullName": "New Worker"}),
        (owner, "PATCH", "/me", {"phone": "+1 612 555 0101"}),
        (owner, "POST", f"/accounts/{account}/closure", {}),
    ]


def _snapshot(api: httpx.Client, owner: User, member: User) -> list[Any]:
    account = owner.account_id
    reads = [
        (member, "/me"),
        (member, "/me/consents"),
        (member, "/me/email-preferences"),
        (member, "/me/notes"),
        (member, "/me/tracking-schedule"),
        (member, "/me/data-requests"),
        (owner, "/me"),
        (owner, f"/accounts/{account}/members"),
        (owner, f"/accounts/{account}/retention"),
        (owner, f"/accounts/{account}/photos"),
    ]
    out = []
    for user, path in reads:
        r = api.get(path, headers=user.auth)
        out.append((path, r.status_code, r.json()))
    return out


def test_server_owned_fields_are_refused_everywhere(api: httpx.Client, figure: Callable[..., None]) -> None:
    owner = register_owner(api)
    member = add_member(api, owner)
    assert api.put("/me/consents/camera", json=CONSENT, headers=member.auth).status_code == 200
    note = api.post("/me/notes", json={"text": "first"}, headers=member.auth)
    assert note.status_code == 201, note.text
    bodies = _bodies(owner, note.json()["noteId"])
    body_routes = {e.method for e in ENDPOINTS if e.body is not None}
    assert {m for _, m, _, _ in bodies} == body_routes  # every verb that takes a body is tried
    before = _snapshot(api, owner, member)
    tried, wrong = 0, []
    for caller, method, path, valid in bodies:
        user = caller or member
        for field, value in SERVER_FIELDS.items():
            if field in valid:
                continue
            body = {**valid, field: value}
            if path == "/me/locations":  # the field inside a ping, where a worker would slip it in
                body = {"pings": [{**_ping(), field: value}]}
            r = api.request(method, path, json=body, headers=user.auth)
            tried += 1
            names = (
                " ".join(str(e.get("field", "")) + str(e.get("loc", "")) for e in r.json().get("errors", []))
                if r.headers.get("content-type") == "application/problem+json"
                else ""
            )
            if path == "/me/locations" and r.status_code == 202:
                # per-ping validation: the ping carrying the field is rejected by index, naming it; none is accepted
                result = r.json()
                names = " ".join(str(x) for x in result.get("rejected", []))
                if result["accepted"] == 0 and result["rejectedCount"] == 1 and field in names:
                    continue
            if r.status_code != 422 or field not in names:
                wrong.append(f"{method} {path} with {field}: {r.status_code} {r.text[:160]}")
    after = _snapshot(api, owner, member)
    changed = [b[0] for b, a in zip(before, after, strict=True) if b != a]
    figure(
        7,
        f"{tried} requests: {len(SERVER_FIELDS)} server-owned fields x {len(bodies)} bodies, "
        f"{len(wrong)} not refused, {len(changed)} stored records changed",
        fields=len(SERVER_FIELDS),
        requests=tried,
        not_refused=len(wrong),
        changed=len(changed),
    )
    assert not wrong, wrong[:10]
    assert not changed, [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    # every valid body is accepted as it is, so the refusals above are about the extra field
    for caller, method, path, valid in bodies[:4]:
        r = api.request(method, path, json=valid, headers=(caller or member).auth)
        assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text}"
