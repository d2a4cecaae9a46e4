"""The e-mail outbox: enqueue (idempotent by dedupe key), render, and send each entry at most once.

Any area that sends e-mail calls `enqueue_email(...)`; nothing here talks to a mail service directly. The
queue-triggered sender calls `deliver_message(...)` (EmailUseCases.deliver) with the outbox id from the
message. Rendering is behind the `core.ports.EmailRenderer` port (core/adapters/email_templates.py renders the
Jinja2 templates); enqueue checks the template's name against `core.domain.email.EMAIL_TEMPLATES`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from core.domain.email import (
    EMAIL_TEMPLATES,
    EmailCategory,
    OutboxEntry,
    OutboxEntryAdmin,
    OutboxState,
    OutgoingEmail,
    outbox_id_for,
    recipient_of,
)
from core.domain.errors import NotFound
from core.ports import Clock, EmailProfiles, EmailRenderer, Mailer, Outbox
from core.signing import LinkSigner

log = logging.getLogger(__name__)

MAX_CONTEXT_BYTES = 16 * 1024
REDISPATCH_AFTER = timedelta(minutes=5)  # an existing pending entry older than this may have lost its message
CLAIM_TIMEOUT = timedelta(minutes=10)  # a sender that claimed an entry longer ago than this has died

UNSUBSCRIBE_PURPOSE = "email-unsubscribe"
OPEN_PURPOSE = "email-open"
CLICK_PURPOSE = "email-click"
UNSUBSCRIBE_TTL = timedelta(days=365)


class EmailNotSent(RuntimeError):
    """The mail service did not accept the message; the queue retries it (then the poison queue keeps it)."""


class SendInProgress(RuntimeError):
    """Another sender holds this entry right now; the queue retries later and then finds it sent."""


# ---------------------------------------------------------------- enqueue


def enqueue_email(
    *,
    outbox: Outbox,
    category: EmailCategory,
    template: str,
    context: Mapping[str, Any],
    dedupe_key: str,
    clock: Clock,
    to_user_id: str | None = None,
    to_address: str | None = None,
) -> OutboxEntry:
    """Write one e-mail to the outbox and wake the sender. Idempotent: the same `dedupe_key` never makes a second
    e-mail (the first entry is answered). Give `to_user_id` whenever the recipient is a user (preferences,
    verification and tracking follow the user); `to_address` alone is for people who are not users yet
    (invitations) and only for transactional categories. `context` must be JSON (strings, numbers, lists, dicts).
    """
    entry, _ = enqueue_email_once(
        outbox=outbox,
        category=category,
        template=template,
        context=context,
        dedupe_key=dedupe_key,
        clock=clock,
        to_user_id=to_user_id,
        to_address=to_address,
    )
    return entry


def enqueue_email_once(
    *,
    outbox: Outbox,
    category: EmailCategory,
    template: str,
    context: Mapping[str, Any],
    dedupe_key: str,
    clock: Clock,
    to_user_id: str | None = None,
    to_address: str | None = None,
) -> tuple[OutboxEntry, bool]:
    """`enqueue_email`, also answering whether this call created the entry (False: it existed already)."""
    if not to_user_id and not to_address:
        raise ValueError("an e-mail needs to_user_id or to_address")
    if category.optional and not to_user_id:
        raise ValueError("optional e-mail goes to users only (their preferences decide)")
    if template not in EMAIL_TEMPLATES:
        raise ValueError(f"unknown e-mail template {template!r}")
    try:
        payload = json.dumps(dict(context), separators=(",", ":"), default=_reject)
    except (TypeError, ValueError) as exc:
        raise ValueError(str(exc)) from exc
    if len(payload.encode()) > MAX_CONTEXT_BYTES:
        raise ValueError("e-mail context too large")
    now = clock.now()
    entry = OutboxEntry(
        outbox_id=outbox_id_for(dedupe_key),
        dedupe_key=dedupe_key,
        category=category,
        template=template,
        to_user_id=to_user_id,
        to_address=to_address.strip() if to_address else None,
        context=json.loads(payload),
        created_at=now,
        dispatched_at=now,
    )
    if outbox.create_if_absent(entry):
        outbox.dispatch(entry.outbox_id)
        log.info("outbox %s queued (%s/%s)", entry.outbox_id, category.value, template)
        return entry, True
    existing = outbox.get(entry.outbox_id)
    if existing is None:  # deleted in between (purged): nothing more to do
        return entry, False
    if existing.state is OutboxState.PENDING and existing.created_at <= now - REDISPATCH_AFTER:
        outbox.dispatch(existing.outbox_id)  # its first message may have been lost; the sender is idempotent
    return existing, False


def _reject(value: object) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"e-mail context values must be JSON, not {type(value).__name__}")


def redispatch_stuck(
    *, outbox: Outbox, clock: Clock, older_than: timedelta = timedelta(hours=1), limit: int = 500
) -> int:
    """Timer work: wake the sender again for pending entries whose queue message may have been lost."""
    now = clock.now()
    count = 0
    for entry in outbox.list_stuck(now - older_than, limit):
        if outbox.replace_if_unchanged(entry.model_copy(update={"dispatched_at": now}), expected=entry):
            outbox.dispatch(entry.outbox_id)
            count += 1
    return count


# ---------------------------------------------------------------- send


@dataclass(frozen=True)
class Links:
    """Builds the absolute links written into e-mails (signed tokens; the base comes from settings)."""

    base_url: str
    signer: LinkSigner
    tracking_ttl: timedelta = timedelta(days=180)
    portal_base_url: str | None = None

    def api(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}/api/{path.lstrip('/')}"

    def web(self, path: str) -> str:
        """A page of the web app: under PORTAL_BASE_URL when set, else under the public base."""
        return f"{(self.portal_base_url or self.base_url).rstrip('/')}/{path.lstrip('/')}"

    def invitation(self, token: str) -> str:
        """The invitation e-mail's link: the portal's join page once PORTAL_BASE_URL is set; until then the API's
        documented preview of the invitation (GET /api/invitations/{token}), which says how to accept it."""
        if self.portal_base_url:
            return self.web(f"/join?invitation={quote(token, safe='')}")
        return self.api(f"invitations/{quote(token, safe='')}")

    def verification(self, token: str) -> str:
        """The verification e-mail's link: the portal's page that completes it once PORTAL_BASE_URL is set (it calls
        `POST /api/email/verify/{token}`); until then the API's confirm page."""
        if self.portal_base_url:
            return self.web(f"/verify-email?token={quote(token, safe='')}")
        return self.api(f"email/verify/{quote(token, safe='')}")

    def unsubscribe_token(self, *, entry: OutboxEntry, user_id: str, now: datetime) -> str:
        return self.signer.sign(
            UNSUBSCRIBE_PURPOSE,
            {"o": entry.outbox_id, "u": user_id, "c": entry.category.value},
            expires_at=now + UNSUBSCRIBE_TTL,
        )

    def unsubscribe(self, *, entry: OutboxEntry, user_id: str, now: datetime) -> str:
        """The List-Unsubscribe target of a new token (see one_click_unsubscribe)."""
        return self.one_click_unsubscribe(self.unsubscribe_token(entry=entry, user_id=user_id, now=now))

    def one_click_unsubscribe(self, token: str) -> str:
        """The List-Unsubscribe header's target: always the API, which takes the RFC 8058 one-click POST (a static
        portal page cannot)."""
        return self.api(f"email/unsubscribe/{quote(token, safe='')}")

    def unsubscribe_page(self, token: str) -> str:
        """The unsubscribe link in the e-mail's text: the portal's page once PORTAL_BASE_URL is set (it calls
        `POST /api/email/unsubscribe/{token}`), else the API's confirm page."""
        if self.portal_base_url:
            return self.web(f"/unsubscribe?token={quote(token, safe='')}")
        return self.api(f"email/unsubscribe/{quote(token, safe='')}")

    def open_pixel(self, *, entry: OutboxEntry, now: datetime) -> str:
        token = self.signer.sign(OPEN_PURPOSE, {"o": entry.outbox_id}, expires_at=now + self.tracking_ttl)
        return self.api(f"t/o/{quote(token, safe='')}")

    def click(self, *, entry: OutboxEntry, url: str, now: datetime) -> str:
        token = self.signer.sign(CLICK_PURPOSE, {"o": entry.outbox_id, "u": url}, expires_at=now + self.tracking_ttl)
        return self.api(f"t/c/{quote(token, safe='')}")


def deliver(
    *,
    outbox_id: str,
    delivery: int,
    outbox: Outbox,
    email_profiles: EmailProfiles,
    mailer: Mailer,
    email_renderer: EmailRenderer,
    email_links: Links,
    sender_name: str = "IndusTrack",
    clock: Clock,
    email_max_deliveries: int,
    email_send_tries: int,
    email_retry_base_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
) -> OutboxState | None:
    """Queue work: send one outbox entry at most once. `delivery` is the queue's dequeue count (1 on first try).

    A redelivered message of a sent or suppressed entry changes nothing. A failure leaves the entry pending and
    raises (the host retries); on the last delivery the entry is marked failed and the message goes to the
    poison queue, from which a replay sends it (once).
    """
    entry = outbox.get(outbox_id)
    if entry is None:
        log.warning("outbox %s not found; nothing to send", outbox_id)
        return None
    if entry.state in (OutboxState.SENT, OutboxState.SUPPRESSED):
        log.info("outbox %s already %s; redelivery ignored", outbox_id, entry.state.value)
        return entry.state
    now = clock.now()
    if entry.state is OutboxState.SENDING:
        if entry.claimed_at is not None and now - entry.claimed_at < CLAIM_TIMEOUT:
            raise SendInProgress(outbox_id)
        # The sender that claimed it died mid-send: whether it went out is unknown. Mark it; a replay decides.
        failed = entry.model_copy(
            update={"state": OutboxState.FAILED, "last_error": "interrupted while sending; delivery unknown"}
        )
        outbox.replace_if_unchanged(failed, expected=entry)
        raise EmailNotSent(f"outbox {outbox_id}: an earlier send was interrupted")

    claimed = entry.model_copy(update={"state": OutboxState.SENDING, "claimed_at": now, "attempts": entry.attempts + 1})
    if not outbox.replace_if_unchanged(claimed, expected=entry):
        raise SendInProgress(outbox_id)  # somebody else claimed or changed it: look again later

    status = email_profiles.get_status(entry.to_user_id) if entry.to_user_id else None
    prefs = email_profiles.get_preferences(entry.to_user_id) if entry.to_user_id else None
    fallback = None
    if entry.category is EmailCategory.ACCOUNT and entry.to_user_id and not entry.to_address and status is None:
        fallback = email_profiles.member_address(entry.to_user_id)  # a user from before address verification existed
    decision = recipient_of(entry, status, prefs, fallback)
    if decision.address is None:
        done = claimed.model_copy(update={"state": OutboxState.SUPPRESSED, "suppressed_reason": decision.reason})
        outbox.replace_if_unchanged(done, expected=claimed)
        log.info("outbox %s suppressed: %s", outbox_id, decision.reason)
        return OutboxState.SUPPRESSED

    email = compose(
        entry=claimed,
        address=decision.address,
        tracked=decision.tracked,
        renderer=email_renderer,
        links=email_links,
        now=now,
        sender_name=sender_name,
    )
    error: Exception | None = None
    message_id = ""
    for attempt in range(email_send_tries):
        try:
            message_id = mailer.send(email)
            error = None
            break
        except Exception as exc:  # noqa: BLE001 - any refusal by the mail service counts as "not sent"
            error = exc
            log.warning("outbox %s: send try %d failed (%s)", outbox_id, attempt + 1, type(exc).__name__)
            if attempt + 1 < email_send_tries:
                sleep(email_retry_base_seconds * (2**attempt))
    if error is not None:
        last = delivery >= email_max_deliveries
        back = claimed.model_copy(
            update={
                "state": OutboxState.FAILED if last else OutboxState.PENDING,
                "claimed_at": None,
                "last_error": type(error).__name__,
            }
        )
        outbox.replace_if_unchanged(back, expected=claimed)
        if last:
            log.error(
                "outbox %s: not sent after %d deliveries; the message goes to the poison queue", outbox_id, delivery
            )
        raise EmailNotSent(f"outbox {outbox_id} not sent") from error

    sent = claimed.model_copy(
        update={
            "state": OutboxState.SENT,
            "sent_at": clock.now(),
            "sent_to": decision.address,
            "provider_message_id": message_id or None,
            "tracked": decision.tracked,
            "last_error": None,
        }
    )
    if not outbox.replace_if_unchanged(sent, expected=claimed):
        log.error("outbox %s: sent, but its state could not be recorded", outbox_id)
    log.info("outbox %s sent (%s/%s)", outbox_id, entry.category.value, entry.template)
    return OutboxState.SENT


def compose(
    *,
    entry: OutboxEntry,
    address: str,
    tracked: bool,
    renderer: EmailRenderer,
    links: Links,
    now: datetime,
    sender_name: str = "IndusTrack",
) -> OutgoingEmail:
    """Render the entry with its links: unsubscribe for optional mail, open pixel and click links when tracked."""
    headers: dict[str, str] = {}
    unsubscribe_url: str | None = None
    if entry.category.optional and entry.to_user_id:
        token = links.unsubscribe_token(entry=entry, user_id=entry.to_user_id, now=now)
        unsubscribe_url = links.unsubscribe_page(token)
        headers["List-Unsubscribe"] = f"<{links.one_click_unsubscribe(token)}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"

    def link(url: str) -> str:
        return links.click(entry=entry, url=url, now=now) if tracked else url

    context: dict[str, Any] = {
        **entry.context,
        "category": entry.category.value,
        "sender_name": sender_name,
        "unsubscribe_url": unsubscribe_url,
        "pixel_url": links.open_pixel(entry=entry, now=now) if tracked else None,
        "preferences_note": entry.category.optional,
        "link": link,
        "web_url": links.web,
        "invitation_url": links.invitation,
        "api_url": links.api,
    }
    rendered = renderer.render(entry.template, context)
    return OutgoingEmail(
        to=address,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        headers=headers,
        message_key=entry.outbox_id,
    )


def admin_view(*, outbox_id: str, outbox: Outbox) -> OutboxEntryAdmin:
    """Platform admin: an entry's state (for deciding on a poison-queue replay), without address or content."""
    entry = outbox.get(outbox_id_for(outbox_id)) if outbox_id else None
    if entry is None:
        raise NotFound()
    return OutboxEntryAdmin(
        outbox_id=entry.outbox_id,
        category=entry.category,
        template=entry.template,
        state=entry.state,
        attempts=entry.attempts,
        created_at=entry.created_at,
        sent_at=entry.sent_at,
        last_error=entry.last_error,
        suppressed_reason=entry.suppressed_reason,
        tracked=entry.tracked,
        opened_at=entry.opened_at,
        open_count=entry.open_count,
        click_count=len(entry.clicks),
    )


def deliver_message(
    *,
    outbox_id: str,
    delivery: int,
    outbox: Outbox,
    email_profiles: EmailProfiles,
    mailer: Mailer,
    email_renderer: EmailRenderer,
    email_links: Links,
    clock: Clock,
    email_max_deliveries: int,
    email_send_tries: int,
    email_retry_base_seconds: float,
) -> OutboxState | None:
    """Queue work: send one outbox message (`deliver`), and log how it ended."""
    state = deliver(
        outbox_id=outbox_id,
        delivery=delivery,
        outbox=outbox,
        email_profiles=email_profiles,
        mailer=mailer,
        email_renderer=email_renderer,
        email_links=email_links,
        clock=clock,
        email_max_deliveries=email_max_deliveries,
        email_send_tries=email_send_tries,
        email_retry_base_seconds=email_retry_base_seconds,
    )
    log.info("outbox message %s handled: %s", outbox_id, state)
    return state


def redispatch_stuck_messages(*, outbox: Outbox, clock: Clock) -> int:
    """The hourly safety net: queue again the entries whose queue message was lost; answers how many."""
    count = redispatch_stuck(outbox=outbox, clock=clock)
    log.info("outbox: %d stuck entries queued again", count)
    return count
