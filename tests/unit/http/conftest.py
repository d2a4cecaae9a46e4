"""The HTTP seam without emulators: a real RS256 issuer key in a temporary JWKS file, the real JwksTokenVerifier,
the composition root with in-memory stores put in place of the ones that would reach Azure, and the triggers as the
Functions host calls them (func.HttpRequest in, func.HttpResponse out)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import azure.functions as func
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from core import bootstrap
from core.adapters.tokens import JwksTokenVerifier
from core.bootstrap import Container
from core.bootstrap.clients import Clients
from core.domain.accounts import UserRecord
from core.domain.identity import Role
from core.settings import Settings
from tests.unit.fakes import FakeUserStore
from tests.unit.roots import ADMIN_ROLE, AUDIENCE, ISSUER

LEEWAY = 60
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
MEMBER, ADMIN, NEWCOMER = "user-member", "user-admin", "user-new"


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    body: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": MEMBER,
        "email": "m@example.com",
        "iat": now,
        "nbf": now - 5,
        "exp": now + 600,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def token(*, key: Any = KEY, kid: str = "k1", alg: str = "RS256", **overrides: Any) -> str:
    return jwt.encode(claims(**overrides), key, algorithm=alg, headers={"kid": kid})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(alg: str = "none", **overrides: Any) -> str:
    """`alg: none`: a header and claims, no signature."""
    head = _b64(json.dumps({"alg": alg, "typ": "JWT", "kid": "k1"}).encode())
    return f"{head}.{_b64(json.dumps(claims(**overrides)).encode())}."


def hs256_with_public_key(**overrides: Any) -> str:
    """The classic key-confusion forgery: HMAC-SHA256 keyed with the issuer's public key (which anyone can read)."""
    secret = KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode())
    body = _b64(json.dumps(claims(**overrides)).encode())
    signature = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(signature)}"


@pytest.fixture
def verifier(tmp_path: Path) -> JwksTokenVerifier:
    jwk = RSAAlgorithm.to_jwk(KEY.public_key(), as_dict=True)
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}))
    return JwksTokenVerifier(
        jwks_uri=f"file:{tmp_path / 'jwks.json'}",
        issuer=ISSUER,
        audience=AUDIENCE,
        leeway_seconds=LEEWAY,
        admin_role=ADMIN_ROLE,
    )


@pytest.fixture
def deps(verifier: JwksTokenVerifier, monkeypatch: pytest.MonkeyPatch) -> Iterator[Container]:
    """The process's composition root, with the token verifier above and in-memory sign-in records."""
    container = Container(
        Settings(MAX_BODY_BYTES="2048", AUTH_ISSUER=ISSUER, AUTH_AUDIENCE=AUDIENCE, AUTH_ADMIN_ROLE=ADMIN_ROLE)
    )
    users = FakeUserStore()
    for user_id in (MEMBER, ADMIN):
        users.create_user(
            UserRecord(
                user_id=user_id,
                account_id="acc-1",
                role=Role.MEMBER,
                registering=False,
                created_at=container.clock.now(),
            )
        )
    container.__dict__["token_verifier"] = verifier
    container.__dict__["users"] = users
    monkeypatch.setattr(bootstrap, "_container", container)
    yield container


def triggers(*blueprints: func.Blueprint) -> dict[str, Callable[[func.HttpRequest], func.HttpResponse]]:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
    for bp in blueprints:
        app.register_functions(bp)
    return {str(f.get_function_name()): f.get_user_function() for f in app.get_functions()}


def request(
    method: str,
    url: str,
    *,
    bearer: str | None = None,
    body: bytes | None = None,
    content_type: str | None = "application/json",
    headers: dict[str, str] | None = None,
) -> func.HttpRequest:
    all_headers = dict(headers or {})
    if bearer is not None:
        all_headers["Authorization"] = f"Bearer {bearer}"
    if body is not None and content_type is not None:
        all_headers["Content-Type"] = content_type
    return func.HttpRequest(method=method, url=url, headers=all_headers, params={}, route_params={}, body=body or b"")


def problem_of(response: func.HttpResponse, status: int, code: str) -> dict[str, Any]:
    """The RFC 9457 shape every error has: type under our base, title, status; no-store."""
    assert response.status_code == status, response.get_body()
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["Cache-Control"] == "no-store"
    doc: dict[str, Any] = json.loads(response.get_body())
    assert doc["type"] == f"https://industrack.com/problems/{code}" and doc["status"] == status
    assert isinstance(doc["title"], str) and doc["title"]
    assert set(doc) <= {"type", "title", "status", "detail", "errors"}
    return doc


@pytest.fixture
def no_azure_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    """The root's builders of SDK clients (core/bootstrap/clients.py) fail the test if anything reaches them, on
    every root of the test (the area tests also check each root's attributes: tests/unit/http/areas.py)."""

    def refuse(root: object) -> Any:
        raise AssertionError("a root of fakes reached for an Azure client")

    for name in ("cosmos_client", "queue_service", "blob_service"):
        monkeypatch.setattr(Clients, name, property(refuse))
