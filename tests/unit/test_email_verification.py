"""Address verification: signed, expiring, single-use links; registration and address change start one."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import unquote

import pytest

from core.domain.accounts import MeUpdate
from core.domain.errors import Gone
from core.domain.identity import Identity, Principal, Role
from core.services import accounts
from core.services.email_verification import EmailVerification, verify_email
from core.services.outbox import Links
from core.signing import LinkSigner
from tests.unit.fakes import FakeAccountStore, FakeClock, FakePublisher, FakeUserStore
from tests.unit.fakes_email import FakeEmailProfiles, FakeOutbox
from tests.unit.test_accounts_service import _data

SIGNER = LinkSigner(b"unit-test-signing-key-0123456789")


class World:
    def __init__(self) -> None:
        self.outbox, self.profiles, self.clock = FakeOutbox(), FakeEmailProfiles(), FakeClock()
        self.store, self.users = FakeAccountStore(), FakeUserStore()
        self.verification = EmailVerification(profiles=self.profiles, outbox=self.outbox, signer=SIGNER,
                                              links=Links(base_url="https://x.test", signer=SIGNER),
                                              ttl=timedelta(hours=24))

    def register(self, user: str = "u1") -> Principal:
        result = accounts.register_account(
            identity=Identity(user, f"{user}@example.com"),
            data=_data().model_copy(update={"email": f"{user}@example.com"}), accounts=self.store,
            users=self.users, events=FakePublisher(), clock=self.clock, minimum_age=13,
            verification=self.verification)
        return Principal(user, None, result.account.account_id, Role.OWNER)

    def token_of(self, outbox_id: str) -> str:
        url = str(self.outbox.entries[outbox_id].context["verify_url"])
        return unquote(url.rsplit("/", 1)[1])

    def verification_ids(self) -> list[str]:
        return [k for k, e in self.outbox.entries.items() if e.template == "email-verification"]

    def verify(self, token: str) -> str:
        return verify_email(token=token, profiles=self.profiles, signer=SIGNER, clock=self.clock).email


def test_registration_sends_one_link_that_verifies_once() -> None:
    w = World()
    w.register()
    [vid] = w.verification_ids()
    entry = w.outbox.entries[vid]
    assert entry.to_address == "u1@example.com" and entry.category == "account"
    assert not w.profiles.statuses["u1"].verified
    token = w.token_of(vid)
    assert w.verify(token) == "u1@example.com"
    status = w.profiles.statuses["u1"]
    assert status.verified and status.verified_address == "u1@example.com"
    with pytest.raises(Gone):
        w.verify(token)  # single use


def test_a_retried_registration_sends_no_second_link() -> None:
    w = World()
    w.register()
    w.users.users["u1"] = w.users.users["u1"].model_copy(update={"registering": True})  # stopped half-way
    w.register()
    assert len(w.verification_ids()) == 1


def test_an_expired_link_is_refused() -> None:
    w = World()
    w.register()
    token = w.token_of(w.verification_ids()[0])
    w.clock.advance(hours=25)
    with pytest.raises(Gone, match="expired"):
        w.verify(token)
    assert not w.profiles.statuses["u1"].verified


def test_a_tampered_link_is_refused() -> None:
    w = World()
    w.register()
    token = w.token_of(w.verification_ids()[0])
    body, mac = token.split(".")
    with pytest.raises(Gone):
        w.verify(body[:-2] + ("AA" if not body.endswith("AA") else "BB") + "." + mac)
    with pytest.raises(Gone):
        w.verify(SIGNER.sign("invitation", {"u": "u1"}))  # a token of another purpose


def test_address_change_needs_a_new_verification_and_the_old_link_stops_working() -> None:
    w = World()
    principal = w.register()
    first = w.token_of(w.verification_ids()[0])
    w.verify(first)
    w.clock.advance(minutes=1)
    accounts.update_me(principal=principal, changes=MeUpdate.model_validate({"email": "new@example.com"}),
                       accounts=w.store, clock=w.clock, verification=w.verification)
    status = w.profiles.statuses["u1"]
    assert status.address == "new@example.com" and not status.verified
    assert status.verified_address == "u1@example.com"  # legal notices still reach the proven address
    changed = [e for e in w.outbox.entries.values() if e.template == "email-changed"]
    assert [e.to_address for e in changed] == ["u1@example.com"]
    ids = w.verification_ids()
    assert len(ids) == 2
    second = w.token_of(next(i for i in ids if w.outbox.entries[i].to_address == "new@example.com"))
    assert w.verify(second) == "new@example.com"
    assert w.profiles.statuses["u1"].verified_address == "new@example.com"


def test_changing_other_fields_sends_nothing() -> None:
    w = World()
    principal = w.register()
    before = len(w.outbox.entries)
    accounts.update_me(principal=principal, changes=MeUpdate.model_validate({"phone": "+1 555 0100"}),
                       accounts=w.store, clock=w.clock, verification=w.verification)
    accounts.update_me(principal=principal, changes=MeUpdate.model_validate({"email": "U1@example.com"}),
                       accounts=w.store, clock=w.clock, verification=w.verification)
    assert len(w.outbox.entries) == before
