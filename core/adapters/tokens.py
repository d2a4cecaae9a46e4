"""Bearer-token verification against an OpenID Connect issuer's JWKS (cached)."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import jwt
from jwt.algorithms import RSAAlgorithm

from core.domain.errors import DependencyUnavailable, Unauthenticated
from core.domain.identity import Identity

log = logging.getLogger(__name__)

ALLOWED_ALGORITHMS = ("RS256",)
_FORBIDDEN_ID_CHARS = set("/\\?#")


def load_jwks_document(uri: str, timeout: float = 5.0) -> dict[str, Any]:
    """Read a JWKS from https:// (Entra), http:// or file: (the local development issuer)."""
    if uri.startswith("file:"):
        path = uri.removeprefix("file://") if uri.startswith("file://") else uri.removeprefix("file:")
        doc: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
        return doc
    if not uri.startswith(("https://", "http://")):
        raise ValueError("AUTH_JWKS_URI must be https://, http:// or file:")
    with urllib.request.urlopen(uri, timeout=timeout) as resp:  # noqa: S310  # nosec B310 - scheme checked above
        fetched: dict[str, Any] = json.loads(resp.read())
        return fetched


class JwksTokenVerifier:
    """Validates signature (RS256 only, known kid), iss, aud, exp and nbf with a small leeway."""

    def __init__(
        self,
        *,
        jwks_uri: str,
        issuer: str,
        audience: str,
        leeway_seconds: int,
        admin_role: str,
        cache_seconds: int = 3600,
        min_refresh_seconds: int = 60,
    ) -> None:
        self._uri = jwks_uri
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_seconds
        self._admin_role = admin_role
        self._cache_seconds = cache_seconds
        self._min_refresh = min_refresh_seconds
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def _refresh(self, *, force: bool) -> None:
        with self._lock:
            age = time.monotonic() - self._fetched_at
            if self._keys and not force and age < self._cache_seconds:
                return
            if self._keys and force and age < self._min_refresh:
                return  # an unknown kid does not let a caller hammer the issuer
            try:
                doc = load_jwks_document(self._uri)
            except (OSError, ValueError) as exc:
                log.error("could not load signing keys: %s", type(exc).__name__)
                if not self._keys:
                    raise DependencyUnavailable("The token issuer's keys are unavailable.") from exc
                return
            keys: dict[str, Any] = {}
            for jwk in doc.get("keys", []):
                if jwk.get("kty") == "RSA" and jwk.get("kid") and jwk.get("use", "sig") == "sig":
                    keys[jwk["kid"]] = RSAAlgorithm.from_jwk(json.dumps(jwk))
            self._keys = keys
            self._fetched_at = time.monotonic()

    def _key_for(self, kid: str) -> Any:
        self._refresh(force=False)
        if kid not in self._keys:
            self._refresh(force=True)
        key = self._keys.get(kid)
        if key is None:
            raise Unauthenticated("The token is not valid.")
        return key

    def verify(self, token: str) -> Identity:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthenticated("The token is not valid.") from exc
        if header.get("alg") not in ALLOWED_ALGORITHMS or not isinstance(header.get("kid"), str):
            raise Unauthenticated("The token is not valid.")
        key = self._key_for(header["kid"])
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=list(ALLOWED_ALGORITHMS),
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("The token has expired.") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated("The token is not valid.") from exc
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub or len(sub) > 200 or _FORBIDDEN_ID_CHARS & set(sub):
            raise Unauthenticated("The token is not valid.")
        email = claims.get("email") or claims.get("preferred_username")
        roles = claims.get("roles") or []
        return Identity(
            user_id=sub,
            email=email if isinstance(email, str) else None,
            is_platform_admin=isinstance(roles, list) and self._admin_role in roles,
        )
