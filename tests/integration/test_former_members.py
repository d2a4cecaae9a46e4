"""Rights after leaving (issue 28), on the emulators: a removed member, a member who left and the users of a closed
account reach nothing of the account (403 access-ended on every account endpoint) and still reach exactly the rights
endpoints (`Auth.FORMER_OR_PRINCIPAL`): what is held about them, their export, erasure and their own requests."""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

import function_app  # noqa: F401 - registers every endpoint
from functions._http import ENDPOINTS, Auth
from tests.integration.conftest import User, add_member, register_owner
from tests.integration.test_data_requests_api import completed

_PARAM = re.compile(r"\{\*?([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\??\}")


def _fill(route: str, values: dict[str, str]) -> str:
    return "/" + _PARAM.sub(lambda m: values.get(m.group(1), uuid.uuid4().hex), route)


def _seed(api: httpx.Client, user: User, text: str) -> None:
    consent = {"granted": True, "deviceId": "phone-1", "appVersion": "5.0.0"}
    assert api.put("/me/consents/camera", json=consent, headers=user.auth).status_code == 200
    r = api.post("/me/notes", json={"text": text}, headers=user.auth)
    assert r.status_code == 201, r.text


def _account_endpoints_refused(api: httpx.Client, user: User) -> tuple[int, list[str]]:
    """Every endpoint that takes an active user of the account, called with the user's own ids: 403
    access-ended (a route that is switched off in this process answers 404 before anything else)."""
    ids = {"accountId": user.account_id, "userId": user.user_id}
    wrong, tried = [], 0
    for spec in [e for e in ENDPOINTS if e.auth is Auth.PRINCIPAL]:
        r = api.request(spec.method, _fill(spec.route, ids), json={} if spec.body else None, headers=user.auth)
        tried += 1
        if r.status_code == 404 and spec.available is not None:
            continue
        ended = r.status_code == 403 and r.json().get("type", "").endswith("/access-ended")
        if not ended:
            wrong.append(f"{spec.method} {spec.route}: {r.status_code}")
    return tried, wrong


def _export_names(api: httpx.Client, user: User) -> dict[str, bytes]:
    r = api.post("/me/data-requests", json={"type": "access"}, headers=user.auth)
    assert r.status_code == 202, r.text
    done = completed(api, user, r.json()["requestId"])
    blob = httpx.get(done["downloadUrl"], timeout=30)
    assert blob.status_code == 200
    with zipfile.ZipFile(io.BytesIO(blob.content)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _held(api: httpx.Client, user: User) -> dict[str, Any]:
    r = api.get("/me/held-data", headers=user.auth)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_a_removed_member_reaches_nothing_of_the_account_and_keeps_their_rights(
    api: httpx.Client, figure: Callable[..., None]
) -> None:
    owner = register_owner(api)
    member, colleague = add_member(api, owner), add_member(api, owner)
    _seed(api, member, "my own gate note")
    _seed(api, colleague, "colleague's private note")
    _seed(api, owner, "owner's business note")
    assert api.delete(f"/accounts/{owner.account_id}/members/{member.user_id}", headers=owner.auth).status_code == 204

    tried, wrong = _account_endpoints_refused(api, member)
    figure(
        5,
        f"removed member: {tried} account endpoints called with their own ids, {len(wrong)} not 403 access-ended",
        tried=tried,
        wrong=len(wrong),
    )
    assert not wrong, wrong
    for spec in [e for e in ENDPOINTS if e.auth is Auth.ADMIN]:
        r = api.request(spec.method, _fill(spec.route, {}), json={} if spec.body else None, headers=member.auth)
        assert r.status_code in (403, 404), f"{spec.method} {spec.route}: {r.status_code}"

    held = _held(api, member)
    assert (held["access"], held["accountId"], held["userId"]) == ("removed", owner.account_id, member.user_id)
    kinds = {k["kind"]: k for k in held["kinds"]}
    assert kinds["notes"]["items"] == 1 and kinds["profiles"]["items"] == 1
    assert all(k["rule"] for k in held["kinds"])
    for other in (owner, colleague):
        assert other.user_id not in str(held) and other.email not in str(held)

    files = _export_names(api, member)
    everything = b"".join(files.values())
    assert b"my own gate note" in everything
    assert b"colleague's private note" not in everything and b"owner's business note" not in everything
    assert owner.email.encode() not in everything and colleague.email.encode() not in everything

    refused = api.post("/me/data-requests", json={"type": "rectification"}, headers=member.auth)
    assert refused.status_code == 403 and refused.json()["type"].endswith("/access-ended")
    erasure = api.post("/me/data-requests", json={"type": "erasure"}, headers=member.auth)
    assert erasure.status_code == 202, erasure.text
    done = completed(api, member, erasure.json()["requestId"])
    assert done["erased"].get("notes") == 1
    listed = api.get("/me/data-requests", headers=member.auth).json()["items"]
    assert {r["type"] for r in listed} == {"access", "erasure"}
    after = {k["kind"]: k["items"] for k in _held(api, member)["kinds"]}
    assert "notes" not in after
    # The colleague and the owner are untouched and still see their own notes.
    for user, text in ((colleague, "colleague's private note"), (owner, "owner's business note")):
        assert text in api.get("/me/notes", headers=user.auth).text


def test_a_member_leaves_by_themselves_and_an_owner_cannot(api: httpx.Client) -> None:
    owner = register_owner(api)
    member = add_member(api, owner)
    r = api.post("/me/leave", headers=owner.auth)
    assert r.status_code == 409 and r.json()["type"].endswith("/conflict"), r.text
    assert api.get("/me", headers=owner.auth).status_code == 200

    left = api.post("/me/leave", headers=member.auth)
    assert left.status_code == 200, left.text
    assert (left.json()["status"], left.json()["userId"]) == ("removed", member.user_id)
    r = api.get("/me", headers=member.auth)
    assert r.status_code == 403 and r.json()["type"].endswith("/access-ended")
    assert api.post("/me/leave", headers=member.auth).status_code == 403  # gone already: access ended
    listed = api.get(f"/accounts/{owner.account_id}/members", headers=owner.auth).json()["items"]
    assert member.user_id not in {m["userId"] for m in listed}
    _, wrong = _account_endpoints_refused(api, member)
    assert not wrong, wrong
    assert _held(api, member)["access"] == "removed"


def test_after_closure_every_user_sees_only_what_is_held_about_them_and_until_when(api: httpx.Client) -> None:
    owner = register_owner(api)
    member = add_member(api, owner)
    _seed(api, member, "closing day note")
    path = f"/accounts/{owner.account_id}/closure"
    phrase = api.post(path, json={}, headers=owner.auth).json()["confirmationPhrase"]
    closed = api.post(path, json={"confirm": phrase}, headers=owner.auth)
    assert closed.status_code == 200, closed.text
    deadline = datetime.fromisoformat(closed.json()["retentionDeadline"])
    for user in (owner, member):
        _, wrong = _account_endpoints_refused(api, user)
        assert not wrong, wrong
        held = _held(api, user)
        assert held["access"] == "closed" and held["accountClosedAt"]
        for kind in held["kinds"]:
            assert kind["keptUntil"], kind
            if kind["kind"] in ("notes", "profiles"):
                assert datetime.fromisoformat(kind["keptUntil"]) == deadline
    assert {k["kind"] for k in _held(api, member)["kinds"]} >= {"notes", "profiles"}
    assert owner.user_id not in str(_held(api, member))
    r = api.post("/me/data-requests", json={"type": "access"}, headers=member.auth)
    assert r.status_code == 202 and completed(api, member, r.json()["requestId"])["downloadUrl"]
