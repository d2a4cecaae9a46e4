from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.domain.errors import Gone
from core.signing import LinkSigner

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_round_trip_and_purpose_binding() -> None:
    s = LinkSigner(b"0123456789abcdef0123")
    token = s.sign("invitation", {"a": "1"}, expires_at=NOW + timedelta(hours=1))
    assert s.verify("invitation", token, now=NOW)["a"] == "1"
    with pytest.raises(Gone):
        s.verify("unsubscribe", token, now=NOW)


def test_tampered_expired_and_foreign_key_tokens_fail() -> None:
    s = LinkSigner(b"0123456789abcdef0123")
    token = s.sign("x", {"a": "1"}, expires_at=NOW + timedelta(minutes=5))
    body, mac = token.split(".")
    for bad in (f"{body}.{mac[:-1]}A", f"{body[:-1]}A.{mac}", "garbage", ""):
        with pytest.raises(Gone):
            s.verify("x", bad, now=NOW)
    with pytest.raises(Gone):
        s.verify("x", token, now=NOW + timedelta(minutes=6))
    with pytest.raises(Gone):
        LinkSigner(b"another-key-of-enough-length").verify("x", token, now=NOW)
