"""In-memory fakes of the e-mail and policy ports, for unit tests of core services only."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from core.domain.email import (
    EMAIL_TEMPLATES,
    EmailPreferences,
    EmailStatus,
    OutboxEntry,
    OutboxState,
    OutgoingEmail,
    RenderedEmail,
)
from core.domain.policy import PolicyAcknowledgement, PolicyVersion


class FakeOutbox:
    def __init__(self) -> None:
        self.entries: dict[str, OutboxEntry] = {}
        self.dispatched: list[str] = []
        self.used: dict[tuple[str, str], datetime] = {}

    def create_if_absent(self, entry: OutboxEntry) -> bool:
        if entry.outbox_id in self.entries:
            return False
        self.entries[entry.outbox_id] = entry
        return True

    def get(self, outbox_id: str) -> OutboxEntry | None:
        return self.entries.get(outbox_id)

    def replace_if_unchanged(self, entry: OutboxEntry, *, expected: OutboxEntry) -> bool:
        if self.entries.get(entry.outbox_id) != expected:
            return False
        self.entries[entry.outbox_id] = entry
        return True

    def dispatch(self, outbox_id: str) -> None:
        self.dispatched.append(outbox_id)

    def mark_link_used(self, outbox_id: str, purpose: str, at: datetime) -> bool:
        if (outbox_id, purpose) in self.used:
            return False
        self.used[(outbox_id, purpose)] = at
        return True

    def list_stuck(self, before: datetime, limit: int) -> list[OutboxEntry]:
        found = [
            e
            for e in self.entries.values()
            if e.state is OutboxState.PENDING and (e.dispatched_at or e.created_at) < before
        ]
        return found[:limit]

    def ids_with_prefix(self, prefix: str) -> set[str]:
        return {k for k in self.entries if k.startswith(prefix)}

    def take(self) -> list[str]:
        """The queue: hand out every dispatched id once (as the host would deliver them)."""
        out, self.dispatched = self.dispatched, []
        return out


class FakeEmailProfiles:
    def __init__(self) -> None:
        self.statuses: dict[str, EmailStatus] = {}
        self.preferences: dict[str, EmailPreferences] = {}
        self.members: dict[str, str] = {}  # user id -> address on the member profile

    def get_status(self, user_id: str) -> EmailStatus | None:
        return self.statuses.get(user_id)

    def put_status(self, status: EmailStatus) -> None:
        self.statuses[status.user_id] = status

    def replace_status_if_unchanged(self, status: EmailStatus, *, expected: EmailStatus) -> bool:
        if self.statuses.get(status.user_id) != expected:
            return False
        self.statuses[status.user_id] = status
        return True

    def get_preferences(self, user_id: str) -> EmailPreferences | None:
        return self.preferences.get(user_id)

    def put_preferences(self, preferences: EmailPreferences) -> None:
        self.preferences[preferences.user_id] = preferences

    def verified_recipients(self) -> Iterator[EmailStatus]:
        yield from [s for s in self.statuses.values() if s.verified_address]

    def member_address(self, user_id: str) -> str | None:
        return self.members.get(user_id)


class FakeMailer:
    """Records what was sent; fails the first `fail_times` sends (a mail server that is down)."""

    def __init__(self, fail_times: int = 0) -> None:
        self.sent: list[OutgoingEmail] = []
        self.fail_times = fail_times
        self.calls = 0

    def send(self, email: OutgoingEmail) -> str:
        self.calls += 1
        if self.fail_times > 0:
            self.fail_times -= 1
            raise ConnectionRefusedError("mail server down")
        self.sent.append(email)
        return f"msg-{len(self.sent)}"

    def to(self, address: str) -> list[OutgoingEmail]:
        return [m for m in self.sent if m.to == address]


class FakePolicyStore:
    def __init__(self) -> None:
        self.versions: dict[str, PolicyVersion] = {}
        self.acks: dict[tuple[str, str, str], PolicyAcknowledgement] = {}

    def create_version(self, version: PolicyVersion) -> bool:
        if version.version_id in self.versions:
            return False
        self.versions[version.version_id] = version
        return True

    def get_version(self, version_id: str) -> PolicyVersion | None:
        return self.versions.get(version_id)

    def list_versions(self) -> list[PolicyVersion]:
        return list(self.versions.values())

    def put_acknowledgement(self, ack: PolicyAcknowledgement) -> None:
        self.acks[(ack.user_id, ack.version_id, ack.app)] = ack

    def list_acknowledgements(self, user_id: str) -> list[PolicyAcknowledgement]:
        return [a for (u, _, _), a in self.acks.items() if u == user_id]


class FakeEmailRenderer:
    """Renders any template the product has as its name and context (no Jinja files); refuses other names as the
    real renderer does. Pages name their title, message and button."""

    def __init__(self) -> None:
        self.rendered: list[str] = []

    def render(self, template: str, context: Mapping[str, Any]) -> RenderedEmail:
        if template not in EMAIL_TEMPLATES:
            raise ValueError(f"unknown e-mail template {template!r}")
        self.rendered.append(template)
        body = json.dumps(dict(context), sort_keys=True, default=str)
        return RenderedEmail(subject=f"[{template}]", text=body, html=f"<pre>{html.escape(body)}</pre>")

    def page(self, *, title: str, message: str, button: str | None = None) -> str:
        parts = [title, message] + ([button] if button else [])
        return "<main>" + "".join(f"<p>{html.escape(p)}</p>" for p in parts) + "</main>"
