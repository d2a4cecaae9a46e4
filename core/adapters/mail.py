"""Mail port adapters: SMTP (the loopback server locally) and Azure Communication Services Email (in Azure).

`build_mailer` picks ACS when ACS_EMAIL_ENDPOINT is set, SMTP (SMTP_HOST:SMTP_PORT) otherwise.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

from core.adapters.identity import shared_credential
from core.adapters.telemetry import dependency
from core.domain.email import OutgoingEmail
from core.settings import Settings

log = logging.getLogger(__name__)

SENDER_NAME = "IndusTrack"


def build_message(email: OutgoingEmail, *, sender: str) -> EmailMessage:
    """A multipart/alternative message: the plain-text part first, the HTML part second."""
    message = EmailMessage()
    message["From"] = formataddr((SENDER_NAME, sender))
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Message-ID"] = make_msgid(idstring=email.message_key[:40], domain=sender.rpartition("@")[2] or None)
    message["X-IndusTrack-Outbox-Id"] = email.message_key
    for name, value in email.headers.items():
        message[name] = value
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    return message


class SmtpMailer:
    def __init__(self, *, host: str, port: int, sender: str, timeout: float = 10.0) -> None:
        self._host, self._port, self._sender, self._timeout = host, port, sender, timeout

    def send(self, email: OutgoingEmail) -> str:
        message = build_message(email, sender=self._sender)
        with dependency("SMTP", self._host), smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
            refused = smtp.send_message(message, from_addr=self._sender, to_addrs=[email.to])
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)
        return str(message["Message-ID"])


class AcsMailer:
    """Azure Communication Services Email with the Function App's managed identity."""

    def __init__(self, *, endpoint: str, sender: str, client: Any | None = None) -> None:
        if client is None:
            from azure.communication.email import EmailClient

            client = EmailClient(endpoint, shared_credential())
        self._client = client
        self._sender = sender

    def send(self, email: OutgoingEmail) -> str:
        message: dict[str, Any] = {
            "senderAddress": self._sender,
            "recipients": {"to": [{"address": email.to}]},
            "content": {"subject": email.subject, "plainText": email.text, "html": email.html},
            "headers": {**email.headers, "X-IndusTrack-Outbox-Id": email.message_key},
        }
        poller = self._client.begin_send(message)
        result = poller.result()
        status = str(result.get("status", "")) if isinstance(result, dict) else ""
        if status.lower() not in ("succeeded", ""):
            raise RuntimeError(f"ACS e-mail not accepted: {status}")
        return str(result.get("id", "")) if isinstance(result, dict) else ""


def build_mailer(settings: Settings) -> SmtpMailer | AcsMailer:
    if settings.acs_email_endpoint:
        return AcsMailer(endpoint=settings.acs_email_endpoint, sender=settings.email_sender_address)
    return SmtpMailer(
        host=settings.smtp_host or "127.0.0.1",
        port=settings.smtp_port,
        sender=settings.email_sender_address,
        timeout=settings.smtp_timeout_seconds,
    )
