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


def test_previous_key_verifies_during_rotation_but_never_signs() -> None:
    old = LinkSigner(b"old-key-0123456789abcdef")
    token = old.sign("x", {"a": "1"})
    rotated = LinkSigner(b"new-key-0123456789abcdef", previous_keys=[b"old-key-0123456789abcdef"])
    assert rotated.verify("x", token, now=NOW)["a"] == "1"
    fresh = rotated.sign("x", {"a": "2"})
    with pytest.raises(Gone):
        old.verify("x", fresh, now=NOW)
    with pytest.raises(Gone):
        LinkSigner(b"new-key-0123456789abcdef").verify("x", token, now=NOW)


def test_unresolved_key_vault_reference_is_refused() -> None:
    from pydantic import ValidationError

    from core.settings import Settings

    with pytest.raises(ValidationError, match="Key Vault"):
        Settings(TOKEN_SIGNING_KEY="@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/x/)")
