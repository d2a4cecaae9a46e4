"""Open and click tracking for e-mails, done safely.

Tokens are HMAC-signed (core/signing.py) with their own purposes and carry the outbox id, and for a click the
exact target URL: the redirect goes only to that URL, so a changed or unsigned target is refused (no open
redirect). Tokens exist only in e-mails the outbox decided to track (never `legal` mail, never users who opted
out of optional e-mail; see outbox.decide).
"""

from __future__ import annotations

import base64
import logging
from urllib.parse import urlsplit

from core.domain.email import Click, OutboxState
from core.domain.errors import Gone
from core.ports import Clock, EmailRenderer, Outbox
from core.services.outbox import CLICK_PURPOSE, OPEN_PURPOSE
from core.signing import LinkSigner

log = logging.getLogger(__name__)

# The smallest transparent GIF: 1x1 pixel.
PIXEL_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
MAX_CLICKS_KEPT = 50


def record_open(*, token: str, outbox: Outbox, signer: LinkSigner, clock: Clock) -> bool:
    """Record that the e-mail was opened; answer whether a valid token was recorded. The pixel is served either
    way (an invalid token changes nothing and tells nothing)."""
    now = clock.now()
    try:
        payload = signer.verify(OPEN_PURPOSE, token, now=now)
    except Gone:
        return False
    outbox_id = str(payload.get("o", ""))
    for _ in range(3):
        entry = outbox.get(outbox_id) if outbox_id else None
        if entry is None or not entry.tracked or entry.state is not OutboxState.SENT:
            return False
        updated = entry.model_copy(update={"opened_at": entry.opened_at or now, "open_count": entry.open_count + 1})
        if outbox.replace_if_unchanged(updated, expected=entry):
            return True
    return False


def record_click(*, token: str, outbox: Outbox, signer: LinkSigner, clock: Clock) -> str:
    """Record the click and answer the signed target URL; a tampered or foreign token raises Gone (410)."""
    now = clock.now()
    payload = signer.verify(CLICK_PURPOSE, token, now=now)
    outbox_id, url = str(payload.get("o", "")), str(payload.get("u", ""))
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise Gone("This link is not valid.")
    for _ in range(3):
        entry = outbox.get(outbox_id) if outbox_id else None
        if entry is None or not entry.tracked:
            break  # the e-mail was purged or never tracked: still take the reader where the signed link goes
        clicks = [*entry.clicks, Click(url=url, at=now)][-MAX_CLICKS_KEPT:]
        updated = entry.model_copy(update={"clicks": clicks, "opened_at": entry.opened_at or now})
        if outbox.replace_if_unchanged(updated, expected=entry):
            break
    return url


def link_page(*, title: str, message: str, button: str | None = None, email_renderer: EmailRenderer) -> str:
    """The HTML page a link opened in a browser answers with (confirm, unsubscribe)."""
    return email_renderer.page(title=title, message=message, button=button)
