"""A small local OpenID Connect provider shaped like Microsoft Entra ID's v2.0 endpoints, for proving the portal's
MSAL.js sign-in in a real browser without a tenant (tests/integration/test_portal_msal_browser.py, docs/portal.md).

    python -m scripts.oidc_provider --redirect-uri http://localhost:4280/ --email ada@example.com [--port 8443]

It serves, over https (MSAL.js refuses an http authority) with a certificate from a throwaway CA it creates:
- `/<tenant>/v2.0/.well-known/openid-configuration`: the discovery document, with Entra's field names and paths;
- `/<tenant>/oauth2/v2.0/authorize`: signs the configured test user in without a form and redirects to the
  registered redirect URI with a code (authorization code flow only, PKCE with S256 required, as Entra requires of
  single-page apps);
- `/<tenant>/oauth2/v2.0/token`: redeems a code once (checking client, redirect URI and the PKCE verifier) or a
  refresh token, answering an id_token for the portal and an access token for the API, both RS256 with a `kid`;
  like Entra for single-page apps it redeems only cross-origin requests (an Origin header) and answers CORS;
- `/<tenant>/discovery/v2.0/keys`: the JWKS;
- `/<tenant>/oauth2/v2.0/logout`: end-session; redirects to `post_logout_redirect_uri` when it is registered.

Every request is recorded (`OidcProvider.requests`) so a test can say which endpoints the browser reached. The
tokens are for local tests only: the signing key lives in memory and the CA key is thrown away once it has signed.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import ipaddress
import json
import logging
import secrets
import ssl
import sys
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from jwt.algorithms import RSAAlgorithm

log = logging.getLogger("industrack.oidc_provider")

TOKEN_SECONDS = 3600
CODE_SECONDS = 120  # an authorization code is short-lived and single-use
OIDC_SCOPES = {"openid", "profile", "email", "offline_access"}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def s256(verifier: str) -> str:
    """The PKCE code challenge of a verifier (RFC 7636, method S256)."""
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


@dataclass
class ProviderUser:
    """The person the authorize endpoint signs in. `oid` is the directory object id; as in Entra, `sub` is pairwise:
    derived from the object id and the token's audience, so the portal and the API see different values."""

    email: str
    name: str
    oid: str = field(default_factory=lambda: str(uuid.uuid4()))

    def sub_for(self, audience: str) -> str:
        return _b64url(hashlib.sha256(f"{self.oid}|{audience}".encode()).digest())


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    scopes: list[str]
    user: ProviderUser
    nonce: str | None
    challenge: str = ""
    expires_at: float = 0.0


@dataclass
class Certificates:
    """A throwaway CA and the provider's certificate for 127.0.0.1 and localhost, as PEM files in `directory`."""

    ca_file: Path
    cert_file: Path
    key_file: Path


def make_certificates(directory: Path, hosts: Sequence[str] = ("127.0.0.1", "localhost")) -> Certificates:
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "IndusTrack local OIDC test CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )  # keyCertSign, cRLSign
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    out = Certificates(directory / "ca.pem", directory / "provider.pem", directory / "provider-key.pem")
    out.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    out.cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    out.key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    out.key_file.chmod(0o600)
    return out


@dataclass
class Recorded:
    method: str
    path: str
    params: dict[str, str]
    status: int


class OidcProvider:
    """The provider; `start()` binds and serves in a daemon thread, `stop()` closes. Set `user` to who signs in next."""

    def __init__(
        self,
        *,
        client_id: str,
        audience: str,
        redirect_uris: Sequence[str],
        directory: Path,
        user: ProviderUser | None = None,
        tenant_id: str | None = None,
        api_scope: str = "access_as_user",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.client_id = client_id
        self.audience = audience.rstrip("/")
        self.redirect_uris = list(redirect_uris)
        self.tenant_id = tenant_id or str(uuid.uuid4())
        self.api_scope = api_scope
        self.user = user
        self.certificates = make_certificates(directory)
        self._signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = _b64url(secrets.token_bytes(9))
        self._lock = threading.Lock()
        self._codes: dict[str, _Grant] = {}
        self._refresh: dict[str, _Grant] = {}
        self.requests: list[Recorded] = []
        self._server = _TlsServer((host, port), _handler(self), self.certificates)
        self._thread: threading.Thread | None = None

    # Addresses, as Entra names them (https://login.microsoftonline.com/<tenant>/...).
    @property
    def origin(self) -> str:
        host = self._server.server_address[0]
        host = host.decode() if isinstance(host, bytes) else host
        return f"https://{host}:{self._server.server_port}"

    @property
    def authority(self) -> str:
        """What MSAL.js is configured with (Entra's authority is the issuer without /v2.0)."""
        return f"{self.origin}/{self.tenant_id}"

    @property
    def issuer(self) -> str:
        return f"{self.authority}/v2.0"

    @property
    def jwks_uri(self) -> str:
        return f"{self.authority}/discovery/v2.0/keys"

    def discovery(self) -> dict[str, Any]:
        base = f"{self.authority}/oauth2/v2.0"
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "end_session_endpoint": f"{base}/logout",
            "jwks_uri": self.jwks_uri,
            "userinfo_endpoint": f"{self.origin}/oidc/userinfo",
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": sorted(OIDC_SCOPES),
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "nbf",
                "name",
                "nonce",
                "oid",
                "preferred_username",
                "tid",
                "ver",
            ],
            "request_uri_parameter_supported": False,
            "frontchannel_logout_supported": True,
            "http_logout_supported": True,
            "tenant_region_scope": "EU",
            "cloud_instance_name": "local.test",
        }

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self._signing_key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}

    def start(self) -> OidcProvider:
        self._thread = threading.Thread(target=self._server.serve_forever, name="oidc-provider", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> OidcProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def hits(self, endpoint: str) -> list[Recorded]:
        """The recorded requests whose path ends with `endpoint` (e.g. "/authorize", "/token", "/logout")."""
        with self._lock:
            return [r for r in self.requests if r.path.endswith(endpoint)]

    # Tokens.
    def _sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self._signing_key, algorithm="RS256", headers={"kid": self.kid, "typ": "JWT"})

    def _client_info(self, user: ProviderUser) -> str:
        return _b64url(json.dumps({"uid": user.oid, "utid": self.tenant_id}).encode())

    def _resource_scopes(self, scopes: Sequence[str]) -> list[str]:
        """The API scopes asked for, `.default` read as the API's one delegated scope (what Entra grants)."""
        out = []
        for scope in scopes:
            if scope in OIDC_SCOPES:
                continue
            if scope.endswith("/.default"):
                scope = f"{scope.removesuffix('/.default')}/{self.api_scope}"
            out.append(scope)
        return out

    def _tokens(self, grant: _Grant) -> dict[str, Any]:
        now = int(time.time())
        user = grant.user
        common = {"iss": self.issuer, "iat": now, "nbf": now, "exp": now + TOKEN_SECONDS, "tid": self.tenant_id}
        id_claims = {
            **common,
            "aud": grant.client_id,
            "sub": user.sub_for(grant.client_id),
            "oid": user.oid,
            "name": user.name,
            "preferred_username": user.email,
            "ver": "2.0",
        }
        if grant.nonce:
            id_claims["nonce"] = grant.nonce
        resource = self._resource_scopes(grant.scopes)
        body: dict[str, Any] = {
            "token_type": "Bearer",  # nosec B105 - the OAuth token type, not a secret
            "scope": " ".join(resource or grant.scopes),
            "expires_in": TOKEN_SECONDS,
            "ext_expires_in": TOKEN_SECONDS,
            "id_token": self._sign(id_claims),
            "client_info": self._client_info(user),
        }
        if resource:
            body["access_token"] = self._sign(
                {
                    **common,
                    "aud": self.audience,
                    "sub": user.sub_for(self.audience),
                    "oid": user.oid,
                    "azp": grant.client_id,
                    "name": user.name,
                    "preferred_username": user.email,
                    "scp": " ".join(s.rsplit("/", 1)[-1] for s in resource),
                    "ver": "2.0",
                }
            )
        if "offline_access" in grant.scopes:
            refresh = secrets.token_urlsafe(32)
            with self._lock:
                self._refresh[refresh] = grant
            body["refresh_token"] = refresh
        return body

    # Endpoints: each returns (status, headers, body).
    def authorize(self, q: Mapping[str, str]) -> tuple[int, dict[str, str], bytes]:
        redirect_uri = q.get("redirect_uri", "")
        if q.get("client_id") != self.client_id or redirect_uri not in self.redirect_uris:
            return _page(400, "The client or its redirect URI is not registered with this provider.")
        state = q.get("state", "")
        separator = "?" if q.get("response_mode") == "query" else "#"

        def back(params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
            if state:
                params["state"] = state
            return 302, {"Location": redirect_uri + separator + urlencode(params)}, b""

        scopes = q.get("scope", "").split()
        if q.get("response_type") != "code":
            return back({"error": "unsupported_response_type", "error_description": "Only the code flow is served."})
        if "openid" not in scopes:
            return back({"error": "invalid_scope", "error_description": "The openid scope is required."})
        if not q.get("code_challenge") or q.get("code_challenge_method") != "S256":
            return back({"error": "invalid_request", "error_description": "PKCE with S256 is required."})
        if self.user is None:
            return back({"error": "login_required", "error_description": "No test user is set on the provider."})
        grant = _Grant(
            client_id=self.client_id,
            redirect_uri=redirect_uri,
            scopes=scopes,
            user=self.user,
            nonce=q.get("nonce"),
            challenge=q["code_challenge"],
            expires_at=time.monotonic() + CODE_SECONDS,
        )
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._codes[code] = grant
        return back({"code": code, "client_info": self._client_info(self.user), "session_state": str(uuid.uuid4())})

    def token(self, form: Mapping[str, str], origin: str | None) -> tuple[int, dict[str, Any]]:
        if not origin:  # Entra redeems a single-page app's codes only through cross-origin requests
            return 400, _error("invalid_request", "Tokens for single-page apps are redeemed by cross-origin requests.")
        if form.get("client_id") != self.client_id:
            return 400, _error("unauthorized_client", "Unknown client.")
        kind = form.get("grant_type")
        if kind == "authorization_code":
            with self._lock:
                grant = self._codes.pop(form.get("code", ""), None)  # single use, even when the checks below fail
            if grant is None or grant.expires_at < time.monotonic():
                return 400, _error("invalid_grant", "The code is unknown, used or expired.")
            if form.get("redirect_uri") != grant.redirect_uri:
                return 400, _error("invalid_grant", "The redirect URI differs from the authorization request's.")
            verifier = form.get("code_verifier", "")
            if not verifier or not secrets.compare_digest(s256(verifier), grant.challenge):
                return 400, _error("invalid_grant", "The PKCE code verifier does not match the code challenge.")
            return 200, self._tokens(grant)
        if kind == "refresh_token":
            with self._lock:
                grant = self._refresh.pop(form.get("refresh_token", ""), None)  # rotated on every use
            if grant is None:
                return 400, _error("invalid_grant", "The refresh token is unknown or used.")
            asked = form.get("scope", "").split()
            return 200, self._tokens(
                _Grant(grant.client_id, grant.redirect_uri, asked or grant.scopes, grant.user, None)
            )
        return 400, _error("unsupported_grant_type", "Only authorization_code and refresh_token are served.")

    def logout(self, q: Mapping[str, str]) -> tuple[int, dict[str, str], bytes]:
        target = q.get("post_logout_redirect_uri", "")
        if target in self.redirect_uris:
            state = q.get("state")
            return 302, {"Location": target + (("?" + urlencode({"state": state})) if state else "")}, b""
        return _page(200, "You signed out.")


def _error(code: str, description: str) -> dict[str, Any]:
    return {"error": code, "error_description": description, "timestamp": dt.datetime.now(dt.UTC).isoformat()}


def _page(status: int, text: str) -> tuple[int, dict[str, str], bytes]:
    body = f"<!doctype html><title>Local OIDC provider</title><p>{text}</p>".encode()
    return status, {"Content-Type": "text/html; charset=utf-8"}, body


class _TlsServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], certs: Certificates) -> None:
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.minimum_version = ssl.TLSVersion.TLSv1_2
        self.tls.load_cert_chain(certs.cert_file, certs.key_file)
        super().__init__(address, handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake in the request's own thread: a client that connects and stalls never blocks the others.
        try:
            request = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            log.debug("TLS handshake with %s failed: %s", client_address, e)
            return
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("request from %s failed", client_address, exc_info=True)


def _handler(provider: OidcProvider) -> type[BaseHTTPRequestHandler]:
    tenant = f"/{provider.tenant_id}"

    class Handler(BaseHTTPRequestHandler):
        server_version = "LocalOidc"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s %s", self.address_string(), format % args)

        def _cors(self) -> dict[str, str]:
            origin = self.headers.get("Origin")
            return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"} if origin else {}

        def _answer(self, status: int, headers: Mapping[str, str], body: bytes, params: dict[str, str]) -> None:
            path = urlsplit(self.path).path
            with provider._lock:
                provider.requests.append(Recorded(self.command, path, params, status))
            self.send_response(status)
            for name, value in {**self._cors(), "Cache-Control": "no-store", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, doc: Any, params: dict[str, str]) -> None:
            self._answer(status, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(doc).encode(), params)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            q = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path == f"{tenant}/v2.0/.well-known/openid-configuration":
                self._json(200, provider.discovery(), q)
            elif parts.path == f"{tenant}/discovery/v2.0/keys":
                self._json(200, provider.jwks(), q)
            elif parts.path == f"{tenant}/oauth2/v2.0/authorize":
                self._answer(*provider.authorize(q), params=q)
            elif parts.path == f"{tenant}/oauth2/v2.0/logout":
                self._answer(*provider.logout(q), params=q)
            else:
                self._json(404, _error("not_found", "No such endpoint on this provider."), q)

        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            length = min(int(self.headers.get("Content-Length") or 0), 64 * 1024)
            raw = self.rfile.read(length).decode("utf-8", errors="replace")
            form = {k: v[0] for k, v in parse_qs(raw).items()}
            recorded = {k: v for k, v in form.items() if k in ("grant_type", "client_id", "redirect_uri", "scope")}
            if path != f"{tenant}/oauth2/v2.0/token":
                self._json(404, _error("not_found", "No such endpoint on this provider."), recorded)
                return
            status, doc = provider.token(form, self.headers.get("Origin"))
            self._json(status, doc, recorded)

        def do_OPTIONS(self) -> None:  # the preflight of the token request (MSAL.js sends its own headers)
            asked = self.headers.get("Access-Control-Request-Headers", "")
            headers = {"Access-Control-Allow-Methods": "GET, POST, OPTIONS", "Access-Control-Max-Age": "600"}
            if asked:
                headers["Access-Control-Allow-Headers"] = asked
            self._answer(204, headers, b"", {})

    return Handler


def main(argv: Sequence[str] | None = None) -> int:
    cli = argparse.ArgumentParser(prog="python -m scripts.oidc_provider", description=__doc__.split("\n")[0])
    cli.add_argument("--host", default="127.0.0.1")
    cli.add_argument("--port", type=int, default=8443)
    cli.add_argument("--client-id", default="00000000-0000-4000-8000-00000000c11e", help="the portal's client id")
    cli.add_argument("--audience", default="api://industrack", help="the API's AUTH_AUDIENCE")
    cli.add_argument("--redirect-uri", action="append", required=True, help="a registered redirect URI (repeatable)")
    cli.add_argument("--email", required=True, help="the test user who signs in")
    cli.add_argument("--name", default="Local Test User")
    cli.add_argument("--dir", type=Path, default=Path(".local") / "oidc-provider", help="where the TLS files go")
    args = cli.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stderr)
    provider = OidcProvider(
        client_id=args.client_id,
        audience=args.audience,
        redirect_uris=args.redirect_uri,
        directory=args.dir,
        user=ProviderUser(email=args.email, name=args.name),
        host=args.host,
        port=args.port,
    )
    print(f"authority      {provider.authority}   (config.json auth.msal.authority; client id {args.client_id})")
    print(f"AUTH_ISSUER    {provider.issuer}")
    print(f"AUTH_JWKS_URI  {provider.jwks_uri}")
    print(f"CA certificate {provider.certificates.ca_file}   (trust it: SSL_CERT_FILE for the host, or the browser)")
    try:
        provider.start()
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        provider.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
