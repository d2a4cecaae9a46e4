"""Preferences per category, one-click unsubscribe (single use, tamper-proof), open/click tracking tokens."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from core.adapters.email_templates import JinjaEmailRenderer
from core.domain.email import EmailCategory, EmailPreferencesUpdate, EmailStatus
from core.domain.errors import Gone, ValidationFailed
from core.domain.identity import Principal, Role
from core.services import email_preferences, email_tracking
from core.services.outbox import CLICK_PURPOSE, Links, deliver, enqueue_email
from core.signing import LinkSigner
from tests.unit.fakes import FakeClock
from tests.unit.fakes_email import FakeEmailProfiles, FakeMailer, FakeOutbox

SIGNER = LinkSigner(b"unit-test-signing-key-0123456789")
LINKS = Links(base_url="https://app.example.test", signer=SIGNER)
ME = Principal("u1", None, "a1", Role.MEMBER)


class World:
    def __init__(self) -> None:
        self.outbox, self.profiles, self.mailer, self.clock = (
            FakeOutbox(),
            FakeEmailProfiles(),
            FakeMailer(),
            FakeClock(),
        )
        now = self.clock.now()
        self.profiles.put_status(
            EmailStatus(
                user_id="u1",
                account_id="a1",
                address="ada@example.com",
                verified=True,
                verified_address="ada@example.com",
                created_at=now,
                updated_at=now,
            )
        )

    def send_tip(self, key: str) -> str:
        enqueue_email(
            outbox=self.outbox,
            category=EmailCategory.TIPS,
            template="tips",
            to_user_id="u1",
            context={"title": "T", "body": "b", "url": "https://industrack.com/tips/1"},
            dedupe_key=key,
            clock=self.clock,
        )
        for outbox_id in self.outbox.take():
            deliver(
                outbox_id=outbox_id,
                delivery=1,
                outbox=self.outbox,
                email_profiles=self.profiles,
                mailer=self.mailer,
                email_renderer=JinjaEmailRenderer(),
                email_links=LINKS,
                clock=self.clock,
                email_max_deliveries=5,
                email_send_tries=1,
                email_retry_base_seconds=0.5,
            )
        return key

    def unsubscribe(self, token: str) -> object:
        return email_preferences.unsubscribe(
            token=token, outbox=self.outbox, email_profiles=self.profiles, signer=SIGNER, clock=self.clock
        )


def _token(header: str) -> str:
    return unquote(header.strip("<>").rsplit("/", 1)[1])


def test_defaults_subscribe_to_everything_and_transactional_cannot_be_turned_off() -> None:
    w = World()
    prefs = email_preferences.get_preferences(principal=ME, email_profiles=w.profiles)
    assert all(c.subscribed for c in prefs.categories) and prefs.verified
    assert {c.category for c in prefs.categories if c.transactional} == {EmailCategory.ACCOUNT, EmailCategory.LEGAL}
    with pytest.raises(ValidationFailed) as err:
        email_preferences.update_preferences(
            principal=ME,
            data=EmailPreferencesUpdate.model_validate({"categories": {"legal": False, "tips": False}}),
            email_profiles=w.profiles,
            clock=w.clock,
        )
    assert [e.field for e in err.value.errors] == ["categories.legal"]
    assert w.profiles.get_preferences("u1") is None  # bad input changes nothing


def test_opting_out_and_back_in() -> None:
    w = World()
    out = email_preferences.update_preferences(
        principal=ME,
        data=EmailPreferencesUpdate.model_validate({"categories": {"tips": False, "account": True}}),
        email_profiles=w.profiles,
        clock=w.clock,
    )
    assert {c.category: c.subscribed for c in out.categories}[EmailCategory.TIPS] is False
    w.send_tip("t1")
    assert w.mailer.sent == []
    email_preferences.update_preferences(
        principal=ME,
        data=EmailPreferencesUpdate.model_validate({"categories": {"tips": True}}),
        email_profiles=w.profiles,
        clock=w.clock,
    )
    w.send_tip("t2")
    assert len(w.mailer.sent) == 1


def test_unknown_category_is_refused_by_the_model() -> None:
    with pytest.raises(ValueError):
        EmailPreferencesUpdate.model_validate({"categories": {"marketing-spam": False}})


def test_unsubscribe_link_works_once_and_a_tampered_one_fails() -> None:
    w = World()
    w.send_tip("t1")
    token = _token(w.mailer.sent[0].headers["List-Unsubscribe"])
    body, mac = token.split(".")
    with pytest.raises(Gone):
        w.unsubscribe(body + "." + mac[:-3] + ("AAA" if not mac.endswith("AAA") else "BBB"))
    forged = SIGNER.sign("email-unsubscribe", {"o": "t1", "u": "u1", "c": "legal"})
    with pytest.raises(Gone):
        w.unsubscribe(forged)  # even a signed token cannot turn off legal mail
    assert w.profiles.get_preferences("u1") is None
    assert w.unsubscribe(token).category is EmailCategory.TIPS  # type: ignore[attr-defined]  # the unsubscribe answer of this token is an opt-out with its category
    assert w.profiles.get_preferences("u1").opted_out == [EmailCategory.TIPS]  # type: ignore[union-attr]  # the entry exists here (created above); None would fail the test
    with pytest.raises(Gone, match="already been used"):
        w.unsubscribe(token)
    w.send_tip("t2")
    assert len(w.mailer.sent) == 1


def test_click_redirects_only_to_the_signed_target() -> None:
    w = World()
    w.send_tip("t1")
    html = w.mailer.sent[0].html
    start = html.index("https://app.example.test/api/t/c/")
    token = unquote(html[start : html.index('"', start)].rsplit("/", 1)[1])
    assert (
        email_tracking.record_click(token=token, outbox=w.outbox, signer=SIGNER, clock=w.clock)
        == "https://industrack.com/tips/1"
    )
    entry = w.outbox.entries["t1"]
    assert [c.url for c in entry.clicks] == ["https://industrack.com/tips/1"] and entry.opened_at is not None
    payload = SIGNER.verify(CLICK_PURPOSE, token, now=w.clock.now())
    body = token.split(".")[0]
    evil = LinkSigner(b"another-key-that-is-long-enough").sign(CLICK_PURPOSE, {**payload, "u": "https://evil.test"})
    with pytest.raises(Gone):
        email_tracking.record_click(
            token=evil.split(".")[0] + "." + token.split(".")[1], outbox=w.outbox, signer=SIGNER, clock=w.clock
        )
    with pytest.raises(Gone):
        email_tracking.record_click(token=body + ".", outbox=w.outbox, signer=SIGNER, clock=w.clock)
    javascript = SIGNER.sign(CLICK_PURPOSE, {"o": "t1", "u": "javascript:alert(1)"})
    with pytest.raises(Gone):
        email_tracking.record_click(token=javascript, outbox=w.outbox, signer=SIGNER, clock=w.clock)


def test_open_pixel_records_valid_tokens_only() -> None:
    w = World()
    w.send_tip("t1")
    html = w.mailer.sent[0].html
    start = html.index("https://app.example.test/api/t/o/")
    token = unquote(html[start : html.index('"', start)].rsplit("/", 1)[1])
    assert email_tracking.record_open(token="garbage", outbox=w.outbox, signer=SIGNER, clock=w.clock) is False
    assert email_tracking.record_open(token=token, outbox=w.outbox, signer=SIGNER, clock=w.clock) is True
    assert email_tracking.record_open(token=token, outbox=w.outbox, signer=SIGNER, clock=w.clock) is True
    assert w.outbox.entries["t1"].open_count == 2
    assert email_tracking.PIXEL_GIF.startswith(b"GIF89a") and len(email_tracking.PIXEL_GIF) < 64


def test_job_site_visit_mail_is_opt_in_for_owners_only_and_its_unsubscribe_link_turns_it_off() -> None:
    w = World()
    owner = Principal("u1", None, "a1", Role.OWNER)
    visits = EmailCategory.JOB_SITE_VISITS
    prefs = {
        c.category: c.subscribed
        for c in email_preferences.get_preferences(principal=owner, email_profiles=w.profiles).categories
    }
    assert prefs[visits] is False and prefs[EmailCategory.TIPS] is True  # off until turned on
    member_view = email_preferences.get_preferences(principal=ME, email_profiles=w.profiles)
    assert visits not in {c.category for c in member_view.categories}  # only owners receive these
    turn_on = EmailPreferencesUpdate.model_validate({"categories": {"job-site-visits": True}})
    with pytest.raises(ValidationFailed) as err:
        email_preferences.update_preferences(principal=ME, data=turn_on, email_profiles=w.profiles, clock=w.clock)
    assert [e.field for e in err.value.errors] == ["categories.job-site-visits"]

    def visit_mail(key: str) -> None:
        enqueue_email(
            outbox=w.outbox,
            category=visits,
            template="job-site-visit",
            to_user_id="u1",
            dedupe_key=key,
            clock=w.clock,
            context={
                "member_name": "W",
                "site_name": "Yard",
                "kind": "enter",
                "local_time": "10:05",
                "date": "2026-06-01",
                "time_zone": "UTC",
            },
        )
        for outbox_id in w.outbox.take():
            deliver(
                outbox_id=outbox_id,
                delivery=1,
                outbox=w.outbox,
                email_profiles=w.profiles,
                mailer=w.mailer,
                email_renderer=JinjaEmailRenderer(),
                email_links=LINKS,
                clock=w.clock,
                email_max_deliveries=5,
                email_send_tries=1,
                email_retry_base_seconds=0.5,
            )

    visit_mail("v0")
    assert w.mailer.sent == [] and w.outbox.get("v0").suppressed_reason == "opted out"  # type: ignore[union-attr]  # the entry exists here (created above); None would fail the test
    email_preferences.update_preferences(principal=owner, data=turn_on, email_profiles=w.profiles, clock=w.clock)
    visit_mail("v1")
    [mail] = w.mailer.sent
    assert mail.subject == "W arrived at Yard" and "10:05" in mail.text
    assert w.unsubscribe(_token(mail.headers["List-Unsubscribe"])) is not None
    stored = w.profiles.get_preferences("u1")
    assert stored is not None and stored.opted_in == [] and stored.opted_out == []  # other categories untouched
    visit_mail("v2")
    assert len(w.mailer.sent) == 1
