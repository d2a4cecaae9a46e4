"""Address verification: signed, expiring, single-use links; registration and address change start one."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import unquote

import pytest

from core.domain.accounts import MePublic, MeUpdate
from core.domain.errors import Gone
from core.domain.identity import Identity, Principal, Role
from core.services import accounts, email_verification
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
        self.verification = EmailVerification(
            profiles=self.profiles,
            outbox=self.outbox,
            signer=SIGNER,
            links=Links(base_url="https://x.test", signer=SIGNER),
            ttl=timedelta(hours=24),
        )

    def register(self, user: str = "u1") -> Principal:
        result = accounts.register_account(
            identity=Identity(user, f"{user}@example.com"),
            data=_data().model_copy(update={"email": f"{user}@example.com"}),
            accounts=self.store,
            users=self.users,
            account_events=FakePublisher(),
            clock=self.clock,
            minimum_age=13,
            email_verification=self.verification,
        )
        return Principal(user, None, result.account.account_id, Role.OWNER)

    def token_of(self, outbox_id: str) -> str:
        url = str(self.outbox.entries[outbox_id].context["verify_url"])
        return unquote(url.rsplit("/", 1)[1])

    def verification_ids(self) -> list[str]:
        return [k for k, e in self.outbox.entries.items() if e.template == "email-verification"]

    def verify(self, token: str) -> str:
        return verify_email(
            token=token,
            email_profiles=self.profiles,
            accounts=self.store,
            outbox=self.outbox,
            signer=SIGNER,
            clock=self.clock,
        ).email

    def member_email(self, principal: Principal) -> str:
        member = self.store.get_member(principal.account_id, principal.user_id)
        assert member is not None
        return member.email

    def change(self, principal: Principal, address: str) -> MePublic:
        return accounts.update_me(
            principal=principal,
            changes=MeUpdate.model_validate({"email": address}),
            accounts=self.store,
            clock=self.clock,
            email_verification=self.verification,
        )


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


def test_address_change_waits_for_its_link_and_then_tells_the_old_address() -> None:
    w = World()
    principal = w.register()
    w.verify(w.token_of(w.verification_ids()[0]))
    w.clock.advance(minutes=1)
    me = w.change(principal, "new@example.com")
    # Nothing is applied yet: the profile, the address in use and where legal notices go all stay.
    assert me.email == "u1@example.com" and me.pending_email == "new@example.com" and me.email_verified
    assert w.member_email(principal) == "u1@example.com"
    status = w.profiles.statuses["u1"]
    assert status.address == "u1@example.com" and status.verified and status.pending_address == "new@example.com"
    assert not [e for e in w.outbox.entries.values() if e.template == "email-changed"]
    ids = w.verification_ids()
    assert len(ids) == 2
    second = next(i for i in ids if w.outbox.entries[i].to_address == "new@example.com")
    assert w.verify(w.token_of(second)) == "new@example.com"
    assert w.member_email(principal) == "new@example.com"
    status = w.profiles.statuses["u1"]
    assert (status.address, status.verified_address, status.pending_address) == ("new@example.com",) * 2 + (None,)
    changed = [e for e in w.outbox.entries.values() if e.template == "email-changed"]
    assert [(e.to_address, e.context["new_address"]) for e in changed] == [("u1@example.com", "new@example.com")]
    with pytest.raises(Gone):
        w.verify(w.token_of(second))  # single use, and nothing is sent twice
    assert len([e for e in w.outbox.entries.values() if e.template == "email-changed"]) == 1


def test_a_second_change_replaces_the_first_and_going_back_cancels() -> None:
    w = World()
    principal = w.register()
    w.verify(w.token_of(w.verification_ids()[0]))
    w.change(principal, "a@example.com")
    w.change(principal, "a@example.com")  # a retry: the same link stays valid, nothing new is sent
    assert len(w.verification_ids()) == 2
    first = w.token_of(w.verification_ids()[1])
    w.change(principal, "b@example.com")
    with pytest.raises(Gone):
        w.verify(first)  # replaced by the link to b
    assert w.member_email(principal) == "u1@example.com"
    me = w.change(principal, "U1@example.com")  # back to the address in use (another letter case): cancelled
    assert me.pending_email is None and me.email == "U1@example.com"
    to_b = w.token_of(w.verification_ids()[-1])
    with pytest.raises(Gone):
        w.verify(to_b)
    assert w.profiles.statuses["u1"].pending_address is None and w.member_email(principal) == "U1@example.com"


def test_resend_goes_to_the_pending_address_and_a_half_done_change_completes_on_retry() -> None:
    w = World()
    principal = w.register()
    w.verify(w.token_of(w.verification_ids()[0]))
    w.change(principal, "n@example.com")
    pending = email_verification.resend_verification(
        principal=principal, accounts=w.store, email_verification=w.verification, clock=w.clock
    )
    assert pending.email == "n@example.com"
    latest = w.verification_ids()[-1]
    assert w.outbox.entries[latest].to_address == "n@example.com"
    token = w.token_of(latest)
    # The status write succeeds but the profile write after it fails: the same link, used again, completes it.
    put_member = w.store.put_member
    w.store.put_member = lambda member: (_ for _ in ()).throw(ConnectionError("down"))  # type: ignore[method-assign]  # the fake store's method replaced to fail once, as Cosmos DB would
    with pytest.raises(ConnectionError):
        w.verify(token)
    w.store.put_member = put_member  # type: ignore[method-assign]  # the fake store's method replaced to fail once, as Cosmos DB would
    assert w.member_email(principal) == "u1@example.com"
    assert w.verify(token) == "n@example.com"
    assert w.member_email(principal) == "n@example.com"
    with pytest.raises(Gone):
        w.verify(token)


def test_changing_other_fields_sends_nothing() -> None:
    w = World()
    principal = w.register()
    before = len(w.outbox.entries)
    accounts.update_me(
        principal=principal,
        changes=MeUpdate.model_validate({"phone": "+1 555 0100"}),
        accounts=w.store,
        clock=w.clock,
        email_verification=w.verification,
    )
    accounts.update_me(
        principal=principal,
        changes=MeUpdate.model_validate({"email": "U1@example.com"}),
        accounts=w.store,
        clock=w.clock,
        email_verification=w.verification,
    )
    assert len(w.outbox.entries) == before
