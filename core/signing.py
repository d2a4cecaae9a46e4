"""HMAC-signed compact tokens for links (invitations, unsubscribe, tracking). Pure: stdlib only."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from core.domain.errors import Gone


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class LinkSigner:
    """Signs a small JSON payload with a purpose, so a token minted for one use is refused for another."""

    def __init__(self, key: bytes, *, previous_keys: list[bytes] | None = None) -> None:
        if len(key) < 16 or any(len(k) < 16 for k in previous_keys or []):
            raise ValueError("signing key too short")
        self._key = key
        self._verify_keys = [key, *(previous_keys or [])]

    def _mac(self, purpose: str, body: str, key: bytes | None = None) -> str:
        return _b64(hmac.new(key or self._key, f"{purpose}.{body}".encode(), hashlib.sha256).digest())

    def sign(self, purpose: str, payload: dict[str, Any], *, expires_at: datetime | None = None) -> str:
        data = dict(payload)
        if expires_at is not None:
            data["exp"] = int(expires_at.timestamp())
        body = _b64(json.dumps(data, separators=(",", ":"), sort_keys=True).encode())
        return f"{body}.{self._mac(purpose, body)}"

    def verify(self, purpose: str, token: str, *, now: datetime, allow_expired: bool = False) -> dict[str, Any]:
        """Answer the payload, or raise Gone for a token that is malformed, tampered, for another purpose or expired.
        With `allow_expired` a genuine but expired token is answered too (its `exp` tells), so that a caller can say
        "expired" rather than "not valid"."""
        try:
            body, mac = token.split(".", 1)
            # bytes, not str: compare_digest raises TypeError on non-ASCII text (a crafted link would be a 500)
            if not any(
                hmac.compare_digest(mac.encode(), self._mac(purpose, body, k).encode()) for k in self._verify_keys
            ):
                raise ValueError("bad signature")
            payload = json.loads(_unb64(body))
            if not isinstance(payload, dict):
                raise ValueError("bad payload")
        except (ValueError, UnicodeDecodeError) as exc:
            raise Gone("This link is not valid.") from exc
        exp = payload.get("exp")
        if isinstance(exp, int) and now.timestamp() > exp and not allow_expired:
            raise Gone("This link has expired.")
        return payload
