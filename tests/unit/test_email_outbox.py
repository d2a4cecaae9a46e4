"""Outbox: idempotent enqueue, at-most-once sending under redelivery, retries then failure, suppression rules,
templates with escaped HTML, unsubscribe headers on optional mail only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest

from core.adapters.email_templates import PARTS, TEMPLATES_DIR, JinjaEmailRenderer
from core.domain.email import EMAIL_TEMPLATES, EmailCategory, EmailPreferences, EmailStatus, OutboxState, RenderedEmail
from core.services import outbox as svc
from core.services.outbox import EmailNotSent, Links, SendInProgress, deliver, enqueue_email
from core.signing import LinkSigner
from tests.unit.fakes import FakeClock
from tests.unit.fakes_email import FakeEmailProfiles, FakeMailer, FakeOutbox

SIGNER = LinkSigner(b"unit-test-signing-key-0123456789")
LINKS = Links(base_url="https://app.example.test", signer=SIGNER)
RENDERER = JinjaEmailRenderer()


def _status(
    user: str = "u1", *, verified: bool = True, address: str = "ada@example.com", clock: FakeClock | None = None
) -> EmailStatus:
    now = (clock or FakeClock()).now()
    return EmailStatus(
        user_id=user,
        account_id="a1",
        address=address,
        verified=verified,
        verified_address=address if verified else None,
        created_at=now,
        updated_at=now,
    )


class World:
    def __init__(self, fail_times: int = 0) -> None:
        self.outbox, self.profiles, self.mailer, self.clock = (
            FakeOutbox(),
            FakeEmailProfiles(),
            FakeMailer(fail_times),
            FakeClock(),
        )
        self.sleeps: list[float] = []

    def enqueue(
        self,
        category: EmailCategory = EmailCategory.ACCOUNT,
        template: str = "payment-failed",
        key: str = "k1",
        *,
        context: Mapping[str, Any] | None = None,
        to_user_id: str | None = "u1",
        to_address: str | None = None,
    ) -> str:
        entry = enqueue_email(
            outbox=self.outbox,
            category=category,
            template=template,
            context={"name": "Ada"} if context is None else context,
            dedupe_key=key,
            clock=self.clock,
            to_user_id=to_user_id,
            to_address=to_address,
        )
        return entry.outbox_id

    def deliver(self, outbox_id: str, delivery: int = 1, max_deliveries: int = 5, tries: int = 1) -> object:
        return deliver(
            outbox_id=outbox_id,
            delivery=delivery,
            outbox=self.outbox,
            email_profiles=self.profiles,
            mailer=self.mailer,
            email_renderer=RENDERER,
            email_links=LINKS,
            clock=self.clock,
            email_max_deliveries=max_deliveries,
            email_send_tries=tries,
            email_retry_base_seconds=0.5,
            sleep=self.sleeps.append,
        )

    def run_queue(self) -> None:
        for outbox_id in self.outbox.take():
            self.deliver(outbox_id)


def test_enqueue_is_idempotent_by_dedupe_key() -> None:
    w = World()
    first = w.enqueue(key="payment-failed-inv1")
    second = w.enqueue(key="payment-failed-inv1", context={"name": "Other"})
    assert first == second == "payment-failed-inv1"
    assert len(w.outbox.entries) == 1 and w.outbox.dispatched == [first]
    assert w.outbox.entries[first].context == {"name": "Ada"}


def test_unsafe_dedupe_keys_become_a_digest_id() -> None:
    w = World()
    outbox_id = w.enqueue(key="a/b?c#d")
    assert outbox_id.startswith("k-") and "/" not in outbox_id
    assert w.enqueue(key="a/b?c#d") == outbox_id


def test_enqueue_refuses_unknown_template_optional_without_user_and_non_json() -> None:
    w = World()
    with pytest.raises(ValueError, match="template"):
        w.enqueue(template="no-such-template")
    with pytest.raises(ValueError, match="optional"):
        w.enqueue(category=EmailCategory.TIPS, template="tips", to_user_id=None, to_address="x@example.com")
    with pytest.raises(ValueError, match="JSON"):
        w.enqueue(context={"x": object()})
    with pytest.raises(ValueError, match="needs"):
        w.enqueue(to_user_id=None)
    assert w.outbox.entries == {}


def test_an_old_pending_entry_is_dispatched_again_but_a_fresh_one_is_not() -> None:
    w = World()
    outbox_id = w.enqueue()
    w.enqueue()
    assert w.outbox.dispatched == [outbox_id]
    w.clock.advance(minutes=10)
    w.enqueue()
    assert w.outbox.dispatched == [outbox_id, outbox_id]


def test_redelivered_message_sends_once() -> None:
    w = World()
    w.profiles.put_status(_status())
    outbox_id = w.enqueue()
    for _ in range(3):
        w.deliver(outbox_id)
    assert len(w.mailer.sent) == 1
    entry = w.outbox.entries[outbox_id]
    assert entry.state is OutboxState.SENT and entry.sent_to == "ada@example.com" and entry.attempts == 1


def test_a_claimed_entry_is_not_sent_by_a_second_sender() -> None:
    w = World()
    w.profiles.put_status(_status())
    outbox_id = w.enqueue()
    entry = w.outbox.entries[outbox_id]
    w.outbox.entries[outbox_id] = entry.model_copy(update={"state": OutboxState.SENDING, "claimed_at": w.clock.now()})
    with pytest.raises(SendInProgress):
        w.deliver(outbox_id)
    assert w.mailer.calls == 0
    # A claim older than the function timeout: the first sender died; delivery unknown, so nothing is sent
    # automatically and the entry is marked failed (a replay decides).
    w.clock.advance(minutes=11)
    with pytest.raises(EmailNotSent):
        w.deliver(outbox_id)
    assert w.mailer.calls == 0 and w.outbox.entries[outbox_id].state is OutboxState.FAILED


def test_failures_retry_with_backoff_then_fail_then_replay_sends_once() -> None:
    w = World(fail_times=100)
    w.profiles.put_status(_status())
    outbox_id = w.enqueue()
    for delivery in range(1, 5):
        with pytest.raises(EmailNotSent):
            w.deliver(outbox_id, delivery=delivery, tries=3)
        assert w.outbox.entries[outbox_id].state is OutboxState.PENDING
    assert w.sleeps[:2] == [0.5, 1.0]  # in-process backoff between tries: 0.5 s, then 1 s
    with pytest.raises(EmailNotSent):
        w.deliver(outbox_id, delivery=5, tries=3)
    entry = w.outbox.entries[outbox_id]
    assert entry.state is OutboxState.FAILED and entry.attempts == 5 and entry.last_error == "ConnectionRefusedError"
    assert w.mailer.sent == []
    w.mailer.fail_times = 0
    assert w.deliver(outbox_id, delivery=1) is OutboxState.SENT  # the replayed message
    assert w.deliver(outbox_id, delivery=1) is OutboxState.SENT  # replayed twice: still one e-mail
    assert len(w.mailer.sent) == 1


def test_missing_entry_is_acknowledged() -> None:
    assert World().deliver("nope") is None


def test_unverified_address_gets_transactional_mail_only() -> None:
    w = World()
    w.profiles.put_status(_status(verified=False))
    account = w.enqueue(key="a")
    tips = w.enqueue(
        category=EmailCategory.TIPS, template="tips", key="t", context={"title": "Tip", "body": "Use filters."}
    )
    w.run_queue()
    assert w.outbox.entries[account].state is OutboxState.SENT
    assert w.outbox.entries[tips].state is OutboxState.SUPPRESSED
    assert w.outbox.entries[tips].suppressed_reason == "address not verified"


def test_legal_mail_goes_to_the_last_verified_address() -> None:
    w = World()
    status = _status(address="old@example.com")
    w.profiles.put_status(status.model_copy(update={"address": "new@example.com", "verified": False}))
    outbox_id = w.enqueue(
        category=EmailCategory.LEGAL,
        template="policy-notice",
        key="n",
        context={
            "version_id": "2026-01-01",
            "summary": "s",
            "effective_date": "2026-01-31",
            "policy_url": "https://x.test/p",
        },
    )
    w.run_queue()
    assert w.outbox.entries[outbox_id].sent_to == "old@example.com"


def test_legal_mail_without_any_verified_address_is_suppressed_not_lost() -> None:
    w = World()
    w.profiles.put_status(_status(verified=False))
    outbox_id = w.enqueue(
        category=EmailCategory.LEGAL,
        template="policy-notice",
        key="n",
        context={"version_id": "v", "summary": "s", "effective_date": "d", "policy_url": "u"},
    )
    w.run_queue()
    entry = w.outbox.entries[outbox_id]
    assert entry.state is OutboxState.SUPPRESSED and entry.suppressed_reason == "no verified address"


def test_opt_out_stops_optional_mail_but_not_legal_or_account_mail() -> None:
    w = World()
    w.profiles.put_status(_status())
    w.profiles.put_preferences(EmailPreferences(user_id="u1", opted_out=[EmailCategory.PRODUCT_UPDATES]))
    update = w.enqueue(
        category=EmailCategory.PRODUCT_UPDATES,
        template="product-update",
        key="p",
        context={"title": "New", "body": "b"},
    )
    tips = w.enqueue(category=EmailCategory.TIPS, template="tips", key="t", context={"title": "T", "body": "b"})
    legal = w.enqueue(
        category=EmailCategory.LEGAL,
        template="policy-notice",
        key="n",
        context={"version_id": "v", "summary": "s", "effective_date": "d", "policy_url": "u"},
    )
    w.run_queue()
    states = {k: w.outbox.entries[k].state for k in (update, tips, legal)}
    assert states == {update: OutboxState.SUPPRESSED, tips: OutboxState.SENT, legal: OutboxState.SENT}


def test_optional_mail_has_unsubscribe_headers_and_tracking_transactional_has_neither_header() -> None:
    w = World()
    w.profiles.put_status(_status())
    w.enqueue(
        category=EmailCategory.TIPS,
        template="tips",
        key="t",
        context={"title": "T", "body": "b", "url": "https://industrack.com/tips/1"},
    )
    w.enqueue(
        category=EmailCategory.LEGAL,
        template="policy-notice",
        key="n",
        context={"version_id": "v", "summary": "s", "effective_date": "d", "policy_url": "https://x.test/p"},
    )
    w.run_queue()
    tips, legal = w.mailer.sent
    assert tips.headers["List-Unsubscribe"].startswith("<https://app.example.test/api/email/unsubscribe/")
    assert tips.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/api/t/o/" in tips.html and "/api/t/c/" in tips.html
    assert "List-Unsubscribe" not in legal.headers
    assert "/api/t/" not in legal.html and "/api/t/" not in legal.text  # never tracking in legal mail
    assert w.outbox.entries["t"].tracked and not w.outbox.entries["n"].tracked


def test_no_tracking_for_users_who_opted_out_of_optional_mail() -> None:
    w = World()
    w.profiles.put_status(_status())
    w.profiles.put_preferences(EmailPreferences(user_id="u1", opted_out=[EmailCategory.PRODUCT_UPDATES]))
    w.enqueue(
        category=EmailCategory.TIPS,
        template="tips",
        key="t",
        context={"title": "T", "body": "b", "url": "https://industrack.com/tips/1"},
    )
    w.enqueue(key="acct")
    w.run_queue()
    assert [m.html.count("/api/t/") for m in w.mailer.sent] == [0, 0]
    assert "https://industrack.com/tips/1" in w.mailer.sent[0].html


def test_html_in_a_name_is_escaped_in_html_and_the_subject_stays_one_line() -> None:
    w = World()
    w.profiles.put_status(_status())
    w.enqueue(
        category=EmailCategory.TIPS,
        template="tips",
        key="t",
        context={"title": "Hi\r\nBcc: evil@example.com", "body": "<script>alert(1)</script>", "name": "<b>Ada</b>"},
    )
    w.run_queue()
    [m] = w.mailer.sent
    assert "<b>Ada</b>" not in m.html and "&lt;b&gt;Ada&lt;/b&gt;" in m.html
    assert "<script>" not in m.html and "&lt;script&gt;" in m.html
    assert "\n" not in m.subject and "\r" not in m.subject
    assert "<b>Ada</b>" in m.text  # plain text is not markup


def test_the_template_catalogue_is_exactly_the_templates_shipped() -> None:
    """enqueue checks names against EMAIL_TEMPLATES without reading files: the list and the files must agree."""
    shipped = {p.name.split(".")[0] for p in TEMPLATES_DIR.iterdir() if not p.name.startswith("_") and p.is_file()}
    assert shipped == set(EMAIL_TEMPLATES)
    for name in EMAIL_TEMPLATES:
        assert all((TEMPLATES_DIR / f"{name}.{part}").is_file() for part in PARTS), name
        assert JinjaEmailRenderer().exists(name)


def test_sending_renders_through_the_renderer_it_is_given() -> None:
    """The sender renders with the EmailRenderer port passed in (no module-level renderer): a stand-in's text is
    what goes out."""

    class Stamp:
        def __init__(self) -> None:
            self.asked: list[str] = []

        def render(self, template: str, context: Mapping[str, Any]) -> RenderedEmail:
            self.asked.append(template)
            return RenderedEmail(subject="stamped", text="stamped text", html="<!DOCTYPE html><p>stamped</p>")

        def page(self, *, title: str, message: str, button: str | None = None) -> str:
            return title

    w = World()
    w.profiles.put_status(_status())
    outbox_id = w.enqueue(category=EmailCategory.ACCOUNT, template="payment-failed", key="stamp")
    stamp = Stamp()
    assert (
        deliver(
            outbox_id=outbox_id,
            delivery=1,
            outbox=w.outbox,
            email_profiles=w.profiles,
            mailer=w.mailer,
            email_renderer=stamp,
            email_links=LINKS,
            clock=w.clock,
            email_max_deliveries=5,
            email_send_tries=1,
            email_retry_base_seconds=0.5,
        )
        is OutboxState.SENT
    )
    assert stamp.asked == ["payment-failed"]
    [m] = w.mailer.sent
    assert (m.subject, m.text) == ("stamped", "stamped text")


def test_every_shipped_template_renders_both_parts() -> None:
    names = sorted(EMAIL_TEMPLATES)
    assert {
        "email-verification",
        "invitation",
        "policy-notice",
        "payment-failed",
        "account-closed",
        "data-request-access",
        "data-request-erasure",
        "product-update",
        "tips",
        "job-site-visit",
    } <= set(names)
    entry_ctx = {
        "name": "A",
        "address": "a@x.test",
        "verify_url": "https://x.test/v",
        "ttl_hours": 24,
        "token": "t",
        "full_name": "A",
        "expires_at": "2026-01-01",
        "version_id": "v",
        "summary": "s",
        "effective_date": "d",
        "policy_url": "https://x.test/p",
        "closedAt": "c",
        "retentionDeadline": "r",
        "requestId": "r1",
        "title": "T",
        "body": "B",
        "new_address": "n@x.test",
        "member_name": "W",
        "site_name": "S",
        "kind": "enter",
        "local_time": "10:05",
        "date": "2026-01-01",
        "time_zone": "UTC",
    }
    w = World()
    w.profiles.put_status(_status())
    for name in names:
        w.enqueue(key=f"r-{name}", template=name, context=entry_ctx)
    w.run_queue()
    assert len(w.mailer.sent) == len(names)
    for m in w.mailer.sent:
        assert m.subject and m.text.strip() and m.html.lstrip().startswith("<!DOCTYPE html>")


def test_redispatch_stuck_wakes_the_sender_for_old_pending_entries() -> None:
    w = World()
    outbox_id = w.enqueue()
    w.outbox.take()
    assert svc.redispatch_stuck(outbox=w.outbox, clock=w.clock) == 0
    w.clock.advance(hours=2)
    assert svc.redispatch_stuck(outbox=w.outbox, clock=w.clock, older_than=timedelta(hours=1)) == 1
    assert w.outbox.take() == [outbox_id]
    assert svc.redispatch_stuck(outbox=w.outbox, clock=w.clock, older_than=timedelta(hours=1)) == 0


def test_account_mail_to_a_user_without_an_address_record_uses_the_member_profile() -> None:
    w = World()
    w.profiles.members["u1"] = "ada@example.com"
    account = w.enqueue(key="a")
    tips = w.enqueue(category=EmailCategory.TIPS, template="tips", key="t", context={"title": "T", "body": "b"})
    w.run_queue()
    assert w.outbox.entries[account].sent_to == "ada@example.com"
    assert w.outbox.entries[tips].state is OutboxState.SUPPRESSED  # optional mail still needs a verified address
    w.profiles.members.clear()
    w.enqueue(key="b")
    w.run_queue()
    assert w.outbox.entries["b"].suppressed_reason == "no address"
