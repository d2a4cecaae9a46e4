"""The continuation-token sealer of the paged lists, with a test key (the real one: core/services/paging.py)."""

from __future__ import annotations

from core.services.paging import PageTokens
from core.signing import LinkSigner


def page_tokens() -> PageTokens:
    return PageTokens(LinkSigner(b"unit-test-page-token-key-0123456789"))
