"""The local portal server (scripts/portal_server.py): staticwebapp.config.json's fallback and headers applied as
Static Web Apps would, and the development sign-in only for APP_ENVIRONMENT=local on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from scripts import dev_issuer
from scripts.portal_server import SWA_CONFIG, build_server, widen_csp

API = "http://127.0.0.1:7999/api"


def _serve(dist: Path) -> Iterator[str]:
    server = build_server("127.0.0.1", 0, API, dist=dist)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>IndusTrack</title>")
    (tmp_path / "assets" / "app-1.js").write_text("export {};")
    return tmp_path


@pytest.fixture
def local(dist: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("APP_ENVIRONMENT", "local")
    yield from _serve(dist)


def test_the_shipped_policy_allows_no_inline_script_and_no_framing() -> None:
    csp = json.loads(SWA_CONFIG.read_text())["globalHeaders"]["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives["script-src"] == ["'self'"] and directives["frame-ancestors"] == ["'none'"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and directives["object-src"] == ["'none'"]


def test_routes_fallback_and_headers_as_static_web_apps(local: str) -> None:
    deep = httpx.get(f"{local}/members/u-1/day?date=2026-01-02")
    assert deep.status_code == 200 and "IndusTrack" in deep.text  # SPA fallback
    csp = deep.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self';" in csp
    connect = next(d for d in csp.split("; ") if d.startswith("connect-src"))
    assert "http://127.0.0.1:7999" in connect and "http://localhost:7999" in connect  # the local API only
    assert deep.headers["x-content-type-options"] == "nosniff"
    asset = httpx.get(f"{local}/assets/app-1.js")
    assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
    assert httpx.get(f"{local}/assets/missing.js").status_code == 404  # excluded from the fallback
    config = httpx.get(f"{local}/config.json")
    stripe = config.json().pop("stripe")  # localstripe's Stripe.js stand-in (test_billing_page_alone_admits_stripe)
    assert config.json() | {"stripe": stripe} == {
        "apiBase": API,
        "auth": {"mode": "dev"},
        "map": {"style": None, "pollSeconds": 15},
        "stripe": stripe,
    }
    assert config.headers["cache-control"] == "no-store"
    assert (
        widen_csp("default-src 'self'; img-src 'self'", ["http://a"]) == "default-src 'self'; img-src 'self' http://a"
    )


def test_development_sign_in_mints_a_token_for_a_loopback_client(local: str) -> None:
    r = httpx.post(f"{local}/dev/token", json={"sub": "u-portal-1", "email": "Pat@Example.com"})
    assert r.status_code == 200, r.text
    key, _ = dev_issuer.ensure_keys()
    claims = jwt.decode(r.json()["token"], key.public_key(), algorithms=["RS256"], audience=dev_issuer.AUDIENCE)
    assert (claims["sub"], claims["email"], claims["iss"]) == ("u-portal-1", "pat@example.com", dev_issuer.ISSUER)
    assert r.json()["expiresIn"] == 3600
    assert httpx.get(f"{local}/dev/identities").json()["items"] == [{"sub": "u-portal-1", "email": "pat@example.com"}]
    bad = httpx.post(f"{local}/dev/token", json={"sub": "", "email": "nope"})
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["sub", "email"]
    assert httpx.post(f"{local}/dev/token", content=b"sub=x", headers={"Content-Type": "text/plain"}).status_code == 415
    # A page on another origin (or a rebound DNS name) gets nothing.
    assert (
        httpx.post(
            f"{local}/dev/token", json={"sub": "u", "email": "a@b.c"}, headers={"Origin": "https://evil.example"}
        ).status_code
        == 403
    )
    assert (
        httpx.post(
            f"{local}/dev/token", json={"sub": "u", "email": "a@b.c"}, headers={"Host": "evil.example"}
        ).status_code
        == 404
    )


def test_no_development_sign_in_outside_local(dist: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENVIRONMENT", "azure")
    for base in _serve(dist):
        assert httpx.post(f"{base}/dev/token", json={"sub": "u", "email": "a@b.c"}).status_code == 404
        assert httpx.get(f"{base}/dev/identities").status_code == 404


def _directives(csp: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}


def test_the_billing_page_alone_admits_stripe_js(local: str) -> None:
    """Issue 16: Stripe's documented sources on /billing only; locally also localstripe's stand-in, which config.json
    names as the page's Stripe.js."""
    shipped = json.loads(SWA_CONFIG.read_text())
    [route] = [r for r in shipped["routes"] if r["route"] == "/billing"]
    billing = _directives(route["headers"]["Content-Security-Policy"])
    assert billing["script-src"] == ["'self'", "https://js.stripe.com", "https://*.js.stripe.com"]
    assert billing["frame-src"] == ["https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"]
    assert "https://api.stripe.com" in billing["connect-src"]
    glob = _directives(shipped["globalHeaders"]["Content-Security-Policy"])
    assert {k: v for k, v in billing.items() if k not in ("script-src", "frame-src", "connect-src")} == {
        k: v for k, v in glob.items() if k not in ("script-src", "connect-src")
    }  # otherwise the same policy

    js = httpx.get(f"{local}/config.json").json()["stripe"]
    stand_in = js["jsUrl"].removesuffix("/js.stripe.com/v3/")
    assert js["jsUrl"].endswith("/js.stripe.com/v3/") and js["publishableKey"].startswith("pk_")
    served = _directives(httpx.get(f"{local}/billing").headers["content-security-policy"])
    assert (
        stand_in in served["script-src"]
        and stand_in in served["connect-src"]
        and "https://js.stripe.com" in served["script-src"]
    )
    elsewhere = httpx.get(f"{local}/members").headers["content-security-policy"]
    assert "stripe" not in elsewhere and stand_in not in _directives(elsewhere)["script-src"]
