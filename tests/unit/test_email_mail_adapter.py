"""The mail adapters' message shape: multipart/alternative with both parts and the extra headers; ACS payload."""

from __future__ import annotations

import email
import email.policy
from typing import Any

from core.adapters.mail import AcsMailer, build_mailer, build_message
from core.domain.email import OutgoingEmail
from core.settings import Settings

EMAIL = OutgoingEmail(
    to="ada@example.com",
    subject="Hello",
    text="Plain body",
    html="<p>HTML body</p>",
    headers={
        "List-Unsubscribe": "<https://x.test/api/email/unsubscribe/t>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    },
    message_key="tips-123",
)


def test_smtp_message_has_text_then_html_and_the_headers() -> None:
    message = build_message(EMAIL, sender="no-reply@industrack.local")
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["X-IndusTrack-Outbox-Id"] == "tips-123" and parsed["To"] == "ada@example.com"
    assert str(parsed["From"]) == "IndusTrack <no-reply@industrack.local>"
    assert str(parsed["Message-ID"]).endswith("@industrack.local>")


class FakeAcsClient:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def begin_send(self, message: dict[str, Any]) -> Any:
        self.sent.append(message)

        class Poller:
            def result(self) -> dict[str, str]:
                return {"id": "acs-1", "status": "Succeeded"}

        return Poller()


def test_acs_payload_and_the_choice_by_settings() -> None:
    client = FakeAcsClient()
    assert AcsMailer(endpoint="https://acs.test", sender="DoNotReply@x.test", client=client).send(EMAIL) == "acs-1"
    [payload] = client.sent
    assert payload["recipients"] == {"to": [{"address": "ada@example.com"}]}
    assert payload["content"] == {"subject": "Hello", "plainText": "Plain body", "html": "<p>HTML body</p>"}
    assert payload["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    smtp = build_mailer(Settings(SMTP_HOST="", SMTP_PORT=2525, ACS_EMAIL_ENDPOINT=""))
    assert type(smtp).__name__ == "SmtpMailer" and smtp._host == "127.0.0.1" and smtp._port == 2525  # type: ignore[union-attr]  # the SMTP mailer's private fields, checked only after its type is
