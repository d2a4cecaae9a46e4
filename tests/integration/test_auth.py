"""Bearer tokens: every malformed, stale, foreign or forged token answers 401 and reaches no data."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import function_app  # noqa: F401 - registers every endpoint
from functions._http import ENDPOINTS, Auth
from scripts import dev_issuer
from tests.integration.conftest import User, add_member, bearer, register_owner


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(sub: str, **overrides: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": dev_issuer.ISSUER,
        "aud": dev_issuer.AUDIENCE,
        "sub": sub,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "email": f"{sub}@example.com",
    }
    claims.update(overrides)
    return claims


def _forged_tokens(sub: str, tmp_path: Path) -> dict[str, str]:
    key, kid = dev_issuer.ensure_keys()
    now = int(time.time())
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    good = jwt.encode(_claims(sub), key, algorithm="RS256", headers={"kid": kid})
    head, body, sig = good.split(".")
    return {
        "expired": jwt.encode(
            _claims(sub, exp=now - 3600, nbf=now - 7200), key, algorithm="RS256", headers={"kid": kid}
        ),
        "not yet valid": jwt.encode(
            _claims(sub, nbf=now + 3600, exp=now + 7200), key, algorithm="RS256", headers={"kid": kid}
        ),
        "wrong audience": jwt.encode(
            _claims(sub, aud="api://someone-else"), key, algorithm="RS256", headers={"kid": kid}
        ),
        "wrong issuer": jwt.encode(
            _claims(sub, iss="https://evil.example/"), key, algorithm="RS256", headers={"kid": kid}
        ),
        "badly signed": jwt.encode(_claims(sub), other_key, algorithm="RS256", headers={"kid": kid}),
        "unknown kid": jwt.encode(_claims(sub), other_key, algorithm="RS256", headers={"kid": "nobody"}),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{body}.",
        "HS256 with the public key": _hs256(public_pem, sub, kid),
        "body altered": f"{head}.{_b64({**_claims(sub), 'email': 'someone-else@example.com'})}.{sig}",
        "no exp": jwt.encode(
            {k: v for k, v in _claims(sub).items() if k != "exp"}, key, algorithm="RS256", headers={"kid": kid}
        ),
        "garbage": "not.a.token",
    }


def _hs256(secret: bytes, sub: str, kid: str) -> str:
    import hashlib
    import hmac

    header = _b64({"alg": "HS256", "typ": "JWT", "kid": kid})
    payload = _b64(_claims(sub))
    mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def test_missing_or_malformed_authorization_is_401(api: httpx.Client) -> None:
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"}):
        r = api.get("/me", headers=headers)
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"


def test_forged_and_stale_tokens_are_refused(api: httpx.Client, owner: User, tmp_path: Path) -> None:
    tokens = _forged_tokens(owner.user_id, tmp_path)
    for label, token in tokens.items():
        r = api.get("/me", headers=bearer(token))
        assert r.status_code == 401, f"{label}: {r.status_code} {r.text}"
        assert owner.email not in r.text
    # the genuine token still works, so the refusals above are about the tokens
    assert api.get("/me", headers=owner.auth).status_code == 200


@pytest.mark.parametrize("path", ["/health", "/openapi.json"])
def test_public_endpoints_need_no_token(api: httpx.Client, path: str) -> None:
    assert api.get(path).status_code == 200


def test_valid_token_without_account_is_told_to_register(api: httpx.Client) -> None:
    sub = f"u-{uuid.uuid4().hex[:10]}"
    r = api.get("/me", headers=bearer(dev_issuer.mint(sub, f"{sub}@example.com")))
    assert r.status_code == 403
    assert r.json()["type"].endswith("/not-registered")


_PARAM = re.compile(r"\{\*?([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\??\}")


def _path(route: str, values: dict[str, str]) -> str:
    return "/" + _PARAM.sub(lambda m: values.get(m.group(1), uuid.uuid4().hex), route)


def test_every_protected_endpoint_refuses_every_bad_token(
    api: httpx.Client, tmp_path: Path, figure: Callable[..., None]
) -> None:
    """Row 6 of issue 9: each forged, stale or foreign token on every endpoint that needs one answers 401 (before
    any body is read); a member's token on the owner's endpoints and an owner's on the platform admin's answer
    403 or 404, as docs and README say; nothing is changed."""
    owner = register_owner(api)
    member = add_member(api, owner)
    before = api.get(f"/accounts/{owner.account_id}/members", headers=owner.auth).json()
    tokens = _forged_tokens(owner.user_id, tmp_path)
    protected = [e for e in ENDPOINTS if e.auth is not Auth.NONE]
    ids = {"accountId": owner.account_id, "userId": owner.user_id}
    wrong = []
    for label, token in tokens.items():
        for spec in protected:
            r = api.request(spec.method, _path(spec.route, ids), json={} if spec.body else None, headers=bearer(token))
            if r.status_code != 401 or r.headers.get("content-type") != "application/problem+json":
                wrong.append(f"{label} on {spec.method} {spec.route}: {r.status_code}")
    # Documented as open to every user of the account: the retention in force, and each member's own photos and
    # notes (docs/privacy-and-retention.md, docs/photos-and-notes.md); asking for another user's answers 404.
    shared = {
        ("GET", "accounts/{accountId}/retention"),
        ("GET", "accounts/{accountId}/photos"),
        ("GET", "accounts/{accountId}/notes"),
    }
    owner_only = [
        e
        for e in ENDPOINTS
        if e.auth is Auth.PRINCIPAL
        and e.route.startswith("accounts/{accountId}")
        and not e.route.endswith("/track")
        and (e.method, e.route) not in shared
    ]
    valid_bodies = {
        "accounts/{accountId}/invitations": {"email": "someone@example.com", "fullName": "Someone"},
        "accounts/{accountId}/job-sites": {
            "name": "Yard",
            "area": {"kind": "circle", "centre": {"latitude": 44.97, "longitude": -93.26}},
        },
        "accounts/{accountId}/billing/card": {"setupIntentId": "seti_of_the_owner"},
    }
    valid_params = {"accounts/{accountId}/timesheets": {"from": "2026-01-05", "to": "2026-01-06"}}
    for spec in owner_only:
        body = valid_bodies.get(spec.route, {} if spec.body else None)
        r = api.request(
            spec.method, _path(spec.route, ids), json=body, params=valid_params.get(spec.route), headers=member.auth
        )
        if r.status_code not in (403, 404):
            wrong.append(f"member on {spec.method} {spec.route}: {r.status_code}")
    for method, route in sorted(shared - {("GET", "accounts/{accountId}/retention")}):
        r = api.request(method, _path(route, ids), params={"userId": owner.user_id}, headers=member.auth)
        if r.status_code != 404:
            wrong.append(f"member on {method} {route} for the owner's items: {r.status_code}")
    # a member's token on the owner's view of another member's track
    r = api.get(f"/accounts/{owner.account_id}/members/{owner.user_id}/track", headers=member.auth)
    if r.status_code not in (403, 404):
        wrong.append(f"member on another user's track: {r.status_code}")
    admin_only = [e for e in ENDPOINTS if e.auth is Auth.ADMIN]
    for spec in admin_only:
        for role, user in (("owner", owner), ("member", member)):
            r = api.request(spec.method, _path(spec.route, ids), json={} if spec.body else None, headers=user.auth)
            if r.status_code not in (403, 404):
                wrong.append(f"{role} on admin {spec.method} {spec.route}: {r.status_code}")
    tried = len(tokens) * len(protected) + len(owner_only) + 3 + 2 * len(admin_only)
    figure(
        6,
        f"{len(tokens)} bad tokens x {len(protected)} protected endpoints, plus a member token on "
        f"{len(owner_only) + 3} owner endpoints and owner and member tokens on {len(admin_only)} admin endpoints: "
        f"{tried} requests, {len(wrong)} wrongly answered",
        tokens=len(tokens),
        requests=tried,
        wrong=len(wrong),
    )
    assert not wrong, wrong
    assert api.get(f"/accounts/{owner.account_id}/members", headers=owner.auth).json() == before
    assert api.get("/me", headers=member.auth).status_code == 200


def test_device_tokens_and_bearer_jwts_never_stand_in_for_each_other(api: httpx.Client) -> None:
    """Device tokens (docs/devices.md): a device token, in each form an app can send it, is refused (401) by every
    endpoint that takes a bearer JWT; the member's and the owner's valid JWTs are refused by every device endpoint;
    nothing is changed."""
    owner = register_owner(api)
    member = add_member(api, owner)
    made = api.post("/me/devices", json={"name": "phone"}, headers=member.auth)
    assert made.status_code == 201, made.text
    device_id, token = made.json()["deviceId"], made.json()["token"]
    basic = "Basic " + base64.b64encode(f"{device_id}:{token}".encode()).decode()
    before = api.get("/me/devices", headers=member.auth).json()
    ids = {"accountId": owner.account_id, "userId": member.user_id, "deviceId": device_id}
    jwt_endpoints = [e for e in ENDPOINTS if e.auth not in (Auth.NONE, Auth.DEVICE)]
    device_endpoints = [e for e in ENDPOINTS if e.auth is Auth.DEVICE]
    assert device_endpoints and jwt_endpoints
    wrong = []
    for spec in jwt_endpoints:
        for label, headers, params in (
            ("bearer", {"Authorization": f"Bearer {token}"}, {}),
            ("basic", {"Authorization": basic}, {}),
            ("query", {}, {"token": token}),
        ):
            r = api.request(
                spec.method, _path(spec.route, ids), json={} if spec.body else None, headers=headers, params=params
            )
            if r.status_code != 401:
                wrong.append(f"device token ({label}) on {spec.method} {spec.route}: {r.status_code}")
    location = {"_type": "location", "lat": 1.0, "lon": 2.0, "tst": int(time.time())}
    for spec in device_endpoints:
        for user in (member, owner):
            r = api.request(
                spec.method, _path(spec.route, ids), json=location if spec.method == "POST" else None, headers=user.auth
            )
            if r.status_code != 401 or r.headers.get("content-type") != "application/problem+json":
                wrong.append(f"JWT on {spec.method} {spec.route}: {r.status_code}")
    assert not wrong, wrong
    assert api.get("/me/devices", headers=member.auth).json() == before  # nothing counted, nothing revoked
