"""Continuation tokens of paged lists: opaque, signed, and bound to the list they continue.

A store answers its own cursor (for Cosmos DB, the SDK's continuation token: JSON the client must never write). The
API hands out `seal(scope, cursor)` instead: the cursor in base64url with an HMAC (the link-signing key, purpose
`page`) over the cursor and the list's scope (which list, whose data, which filters). `open` gives the cursor back
only for a token this service minted for that same scope; anything else — tampered, truncated, from another list or
another account, with CR/LF or any other text — is a 422 naming `query.continuation`, never a call to the store.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from core.domain.errors import FieldError, Gone, ValidationFailed
from core.signing import LinkSigner

FIELD = "query.continuation"


def invalid_token() -> ValidationFailed:
    return ValidationFailed(errors=[FieldError(FIELD, "is not a continuation token of this list")])


class PageTokens:
    def __init__(self, signer: LinkSigner) -> None:
        self._signer = signer

    @staticmethod
    def _purpose(scope: tuple[Any, ...]) -> str:
        text = json.dumps([None if part is None else str(part) for part in scope], separators=(",", ":"))
        return "page:" + hashlib.sha256(text.encode()).hexdigest()

    def seal_payload(self, scope: tuple[Any, ...], payload: dict[str, Any]) -> str:
        return self._signer.sign(self._purpose(scope), payload)

    def open_payload(self, scope: tuple[Any, ...], token: str) -> dict[str, Any]:
        try:
            # No expiry in page tokens: `now` only matters for an `exp` member, which they never carry.
            return self._signer.verify(self._purpose(scope), token, now=datetime.now(UTC))
        except Gone as exc:
            raise invalid_token() from exc

    def seal(self, scope: tuple[Any, ...], cursor: str | None) -> str | None:
        """The token to answer for the store's cursor (None: there is no next page)."""
        return None if cursor is None else self.seal_payload(scope, {"c": cursor})

    def open(self, scope: tuple[Any, ...], token: str | None) -> str | None:
        """The store's cursor in a token this service sealed for `scope`; raises a 422 for anything else."""
        if token is None:
            return None
        cursor = self.open_payload(scope, token).get("c")
        if not isinstance(cursor, str):
            raise invalid_token()
        return cursor
