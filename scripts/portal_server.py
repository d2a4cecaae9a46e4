"""Serves the built owner portal (portal/dist) locally, as Azure Static Web Apps would, plus the development sign-in.

    python -m scripts.portal_server [--port 4280] [--api http://localhost:7071/api]
    python -m scripts.portal_server --dist portal/dist-azure --config msal-config.json   # MSAL against a local
                                                                     # provider (scripts/oidc_provider.py)

- The routes, navigation fallback and global headers of portal/staticwebapp.config.json are applied to every answer,
  so the browser tests see the Content-Security-Policy that ships. Locally the API and Azurite's blob endpoint are
  other origins than https ones, so they are added to `connect-src` and `img-src` (and nothing else is changed).
- /config.json is the runtime configuration for this stack (apiBase from --api, development sign-in, blank map, and
  localstripe's Stripe.js stand-in for the billing page: STRIPE_API_BASE + /js.stripe.com/v3/). A policy that admits
  https://js.stripe.com (the /billing route's) also admits localstripe's origin in script-src and connect-src.
- The development sign-in: POST /dev/token {"sub", "email", "admin"?} answers a token from the development issuer
  (scripts/dev_issuer.py; with the platform-admin role when "admin" is true) and GET /dev/identities the identities
  signed in before. Both exist only when
  APP_ENVIRONMENT=local, and only for a loopback client on a loopback Host; the server binds to 127.0.0.1.
- `--config` serves that file as /config.json instead (and no development sign-in), e.g. an MSAL one.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import logging
import mimetypes
import re
import sys
import threading
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "portal" / "dist"
SWA_CONFIG = ROOT / "portal" / "staticwebapp.config.json"
TOKEN_MINUTES = 60
_SUB = re.compile(r"^[A-Za-z0-9._@:-]{1,128}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}$")
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
LOCALSTRIPE = "http://127.0.0.1:8420"  # localstripe's default address (core/adapters/stripe_billing.py)

log = logging.getLogger("industrack.portal")


STRIPE_JS = "https://js.stripe.com"
LOCAL_PUBLISHABLE_KEY = "pk_test_localstripe"  # localstripe takes any pk_ key: a placeholder, not a credential


def widen_csp(csp: str, origins: list[str], stripe_origin: str | None = None) -> str:
    """Add local origins to connect-src and img-src of a policy (the local API and blob endpoint are http). A policy
    that admits Stripe.js (the billing page's) also admits the local stand-in: `stripe_origin` joins script-src and
    connect-src."""
    out = []
    stripe_page = stripe_origin is not None and STRIPE_JS in csp
    for part in (p.strip() for p in csp.split(";") if p.strip()):
        name = part.split()[0]
        if name in ("connect-src", "img-src") and origins:
            part = " ".join([part, *origins])
        if stripe_page and name in ("script-src", "connect-src"):
            part = f"{part} {stripe_origin}"
        out.append(part)
    return "; ".join(out)


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def local_blob_origin() -> str | None:
    """Azurite's blob endpoint, where the photos' read links point (from the storage connection string)."""
    from core.settings import Settings

    raw = Settings().storage_connection_string
    if raw is None:
        return None
    match = re.search(r"BlobEndpoint=([^;]+)", raw.get_secret_value())
    return _origin(match.group(1)) if match else None


class Portal:
    def __init__(
        self,
        dist: Path,
        swa: Mapping[str, Any],
        api: str,
        local_origins: list[str],
        dev_sign_in: bool,
        poll_seconds: int = 15,
        stripe_base: str | None = None,
        config: Mapping[str, Any] | None = None,
    ):
        self.dist = dist.resolve()
        self.config = config
        self.swa = swa
        self.api = api.rstrip("/")
        self.dev_sign_in = dev_sign_in
        self.poll_seconds = poll_seconds
        self.stripe_base = stripe_base.rstrip("/") if stripe_base else None
        self.identities: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.local_origins = local_origins
        self.global_headers = self._widened(dict(swa.get("globalHeaders", {})))

    def _widened(self, headers: dict[str, str]) -> dict[str, str]:
        if "Content-Security-Policy" in headers:
            stripe = _origin(self.stripe_base) if self.stripe_base else None
            headers["Content-Security-Policy"] = widen_csp(
                headers["Content-Security-Policy"], self.local_origins, stripe
            )
        return headers

    def route_headers(self, path: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for route in self.swa.get("routes", []):
            if fnmatch.fnmatchcase(path, route["route"]):
                out.update(self._widened(dict(route.get("headers", {}))))
        return out

    def file_for(self, path: str) -> Path | None:
        candidate = (self.dist / path.lstrip("/")).resolve()
        if candidate.is_file() and candidate.is_relative_to(self.dist):
            return candidate
        return None

    def fallback_applies(self, path: str) -> bool:
        fallback = self.swa.get("navigationFallback", {})
        return bool(fallback) and not any(fnmatch.fnmatchcase(path, p) for p in fallback.get("exclude", []))

    def config_json(self) -> bytes:
        if self.config is not None:
            return json.dumps(self.config).encode()
        doc: dict[str, Any] = {
            "apiBase": self.api,
            "auth": {"mode": "dev"},
            "map": {"style": None, "pollSeconds": self.poll_seconds},
        }
        if self.stripe_base:  # localstripe serves its Stripe.js stand-in under /js.stripe.com/v3/
            doc["stripe"] = {"jsUrl": f"{self.stripe_base}/js.stripe.com/v3/", "publishableKey": LOCAL_PUBLISHABLE_KEY}
        return json.dumps(doc).encode()

    def remember(self, sub: str, email: str, admin: bool = False) -> None:
        with self.lock:
            self.identities = [i for i in self.identities if i["sub"] != sub]
            self.identities.insert(0, {"sub": sub, "email": email, **({"admin": True} if admin else {})})
            del self.identities[20:]


def make_handler(portal: Portal) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "IndusTrackPortal"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s %s", self.address_string(), format % args)

        def _send(self, status: int, body: bytes, content_type: str, path: str, requested: str | None = None) -> None:
            """`path` is the file served; `requested` the path asked for when the SPA fallback served index.html
            (its route's headers, e.g. the billing page's policy, apply to that answer too)."""
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            route = {**portal.route_headers(path), **(portal.route_headers(requested) if requested else {})}
            for name, value in {**portal.global_headers, **route}.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, status: int, doc: Any) -> None:
            self._send(status, json.dumps(doc).encode(), "application/json", "/dev")

        def _dev_allowed(self) -> bool:
            host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]")
            return portal.dev_sign_in and self.client_address[0] in _LOOPBACK and host in _LOOPBACK

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path == "/config.json":
                self._send(200, portal.config_json(), "application/json", path)
                return
            if path == "/dev/identities":
                if not self._dev_allowed():
                    self._json(404, {"title": "Not found"})
                    return
                with portal.lock:
                    self._json(200, {"items": list(portal.identities)})
                return
            found = portal.file_for(path)
            requested = None
            if found is None and portal.fallback_applies(path):
                found, requested, path = portal.file_for("/index.html"), path, "/index.html"
            if found is None:
                self._send(404, b"Not found", "text/plain; charset=utf-8", path)
                return
            ctype = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
            if ctype.startswith("text/") or ctype in ("application/javascript", "text/javascript"):
                ctype += "; charset=utf-8"
            self._send(200, found.read_bytes(), ctype, path, requested)

        do_HEAD = do_GET  # noqa: N815

        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            if path != "/dev/token" or not self._dev_allowed():
                self._json(404, {"title": "Not found"})
                return
            origin = self.headers.get("Origin")
            if origin and urlsplit(origin).hostname not in _LOOPBACK:
                self._json(403, {"title": "Forbidden"})
                return
            if (self.headers.get("Content-Type") or "").split(";")[0].strip() != "application/json":
                self._json(415, {"title": "Unsupported media type"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(min(length, 4096)) or b"{}")
            except ValueError:
                body = None
            sub = str(body.get("sub", "")) if isinstance(body, dict) else ""
            email = str(body.get("email", "")) if isinstance(body, dict) else ""
            errors = [
                {"field": f, "message": "invalid"}
                for f, ok in (("sub", _SUB.match(sub)), ("email", _EMAIL.match(email)))
                if not ok
            ]
            if errors:
                self._json(422, {"title": "Validation failed", "status": 422, "errors": errors})
                return
            from scripts import dev_issuer

            admin = isinstance(body, dict) and body.get("admin") is True  # the platform-admin role (admin pages)
            token = dev_issuer.mint(sub, email.lower(), admin=admin, minutes=TOKEN_MINUTES)
            portal.remember(sub, email.lower(), admin)
            self._json(200, {"token": token, "expiresIn": TOKEN_MINUTES * 60})

        def do_OPTIONS(self) -> None:
            self._send(HTTPStatus.METHOD_NOT_ALLOWED, b"", "text/plain", urlsplit(self.path).path)

    return Handler


def build_server(
    host: str,
    port: int,
    api: str,
    dist: Path = DIST,
    poll_seconds: int = 15,
    config: Mapping[str, Any] | None = None,
) -> ThreadingHTTPServer:
    """`config` replaces the local config.json (e.g. an MSAL one for the Azure build, whose sign-in then goes to
    the issuer it names); the development sign-in is served only with the local config."""
    from core.settings import Settings

    if not (dist / "index.html").exists():
        raise SystemExit(f"{dist} has no build: run `npm run portal:build` first")
    swa = json.loads(SWA_CONFIG.read_text())
    local = [o for o in {_origin(api), local_blob_origin()} if o]
    local += [o.replace("127.0.0.1", "localhost") for o in local if "127.0.0.1" in o]
    settings = Settings()
    is_local = settings.is_local and host in _LOOPBACK and config is None
    stripe_base = (settings.stripe_api_base or LOCALSTRIPE) if settings.is_local else None
    portal = Portal(
        dist,
        swa,
        api,
        sorted(set(local)),
        dev_sign_in=is_local,
        poll_seconds=poll_seconds,
        stripe_base=stripe_base,
        config=config,
    )
    server = ThreadingHTTPServer((host, port), make_handler(portal))
    server.daemon_threads = True
    return server


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.portal_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4280)
    parser.add_argument("--api", default="http://localhost:7071/api")
    parser.add_argument("--dist", type=Path, default=DIST, help="the build to serve (portal/dist-azure: MSAL only)")
    parser.add_argument("--config", type=Path, default=None, help="a config.json to serve instead of the local one")
    args = parser.parse_args()
    from devhost.config import load_settings_file

    load_settings_file(ROOT / "local.settings.json")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stderr)
    config = json.loads(args.config.read_text(encoding="utf-8")) if args.config else None
    server = build_server(args.host, args.port, args.api, dist=args.dist, config=config)
    log.info("serving the portal on http://localhost:%d/", args.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
