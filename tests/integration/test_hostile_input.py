"""Hostile bodies against every endpoint that takes one: refused with 413/422 before any work, never a 5xx."""

from __future__ import annotations

import re
import uuid

import httpx

import function_app  # noqa: F401 - registers every endpoint
from functions._http import ENDPOINTS, Auth
from tests.integration.conftest import Stack, User

_PARAM = re.compile(r"\{\*?([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\??\}")


def _path(route: str, owner: User) -> str:
    ids = {"accountId": owner.account_id, "userId": owner.user_id}
    return "/" + _PARAM.sub(lambda m: ids.get(m.group(1), str(uuid.uuid4())), route)


def test_hostile_bodies_are_refused_before_work(api: httpx.Client, owner: User, stack: Stack) -> None:
    limit = stack.settings.max_body_bytes
    hostile: dict[str, tuple[bytes, int]] = {
        "10 MB JSON": (b'{"a": "' + b"x" * (10 * 1024 * 1024) + b'"}', 413),
        "just over the limit": (b'{"a": "' + b"x" * limit + b'"}', 413),
        "deeply nested": (b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}", 422),
        "invalid UTF-8": (b'{"a": "\xff\xfe\xfd"}', 422),
        "NaN": (b'{"a": NaN}', 422),
        "Infinity": (b'{"a": -Infinity}', 422),
        "not an object": (b"[1, 2, 3]", 422),
    }
    me_before = api.get("/me", headers=owner.auth).json()
    targets = [e for e in ENDPOINTS if e.body is not None]
    tried = 0
    for spec in targets:
        headers = {"Content-Type": "application/json"}
        if spec.auth is not Auth.NONE:
            headers.update(owner.auth)
        for label, (raw, expected) in hostile.items():
            r = api.request(spec.method, _path(spec.route, owner), content=raw, headers=headers)
            tried += 1
            assert r.status_code < 500, f"{spec.method} {spec.route} {label}: {r.status_code}"
            if r.status_code in (401, 403, 404) and spec.auth is not Auth.PRINCIPAL:
                continue  # refused before the body was read (e.g. an identity-only or admin endpoint)
            assert r.status_code == expected, f"{spec.method} {spec.route} {label}: {r.status_code} {r.text[:200]}"
            assert r.headers["content-type"] == "application/problem+json"
    print(f"hostile bodies: {tried} requests over {len(targets)} endpoints, none accepted, no 5xx")
    assert api.get("/me", headers=owner.auth).json() == me_before


def test_wrong_content_type_on_every_body_endpoint_is_415(api: httpx.Client, owner: User) -> None:
    for spec in [e for e in ENDPOINTS if e.body is not None and e.auth is Auth.PRINCIPAL]:
        r = api.request(spec.method, _path(spec.route, owner), content=b"<x/>",
                        headers={**owner.auth, "Content-Type": "application/xml"})
        assert r.status_code in (415, 403, 404), f"{spec.method} {spec.route}: {r.status_code}"
