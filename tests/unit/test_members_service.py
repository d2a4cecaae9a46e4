from __future__ import annotations

from datetime import timedelta

import pytest

from core.domain.accounts import InvitationAccept, InvitationCreate, InvitationStatus
from core.domain.errors import Conflict, Forbidden, Gone
from core.domain.identity import Identity, Principal, Role
from core.services import members
from core.signing import LinkSigner
from tests.unit.fakes import FakeAccountStore, FakeClock, FakePublisher, FakeUserStore
from tests.unit.fakes_billing import FakeBillingStore
from tests.unit.fakes_email import FakeEmailProfiles, FakeOutbox, FakePolicyStore
from tests.unit.test_accounts_service import _register

SIGNER = LinkSigner(b"unit-test-signing-key-0123456789")


def _setup() -> tuple[FakeUserStore, FakeAccountStore, FakeClock, Principal]:
    users, store, clock = FakeUserStore(), FakeAccountStore(), FakeClock()
    result = _register(users, store, FakePublisher(), clock)
    return users, store, clock, Principal("u1", None, result.account.account_id, Role.OWNER)


def _invite(store: FakeAccountStore, clock: FakeClock, owner: Principal, email: str = "w@example.com") -> str:
    inv = members.invite_member(
        principal=owner,
        account_id=owner.account_id,
        data=InvitationCreate.model_validate({"email": email}),
        accounts=store,
        signer=SIGNER,
        clock=clock,
        invitation_ttl=timedelta(hours=1),
        outbox=FakeOutbox(),
        billing=FakeBillingStore(),
        policy=FakePolicyStore(),
    )
    assert inv.token
    return inv.token


def _accept(
    users: FakeUserStore,
    store: FakeAccountStore,
    clock: FakeClock,
    token: str,
    who: str,
    email: str = "w@example.com",
    profiles: FakeEmailProfiles | None = None,
) -> object:
    return members.accept_invitation(
        identity=Identity(who, email),
        token=token,
        data=InvitationAccept(),
        accounts=store,
        users=users,
        account_events=FakePublisher(),
        signer=SIGNER,
        clock=clock,
        email_profiles=profiles if profiles is not None else FakeEmailProfiles(),
        billing=FakeBillingStore(),
    )


def test_invitation_expires() -> None:
    users, store, clock, owner = _setup()
    token = _invite(store, clock, owner)
    clock.advance(hours=2)
    with pytest.raises(Gone):
        _accept(users, store, clock, token, "w1")


def test_invitation_single_use_and_address_bound() -> None:
    users, store, clock, owner = _setup()
    token = _invite(store, clock, owner)
    with pytest.raises(Forbidden):
        _accept(users, store, clock, token, "w1", email="other@example.com")
    _accept(users, store, clock, token, "w1")
    with pytest.raises(Gone):
        _accept(users, store, clock, token, "w2")


def test_owner_of_one_account_cannot_join_another() -> None:
    users, store, clock, owner = _setup()
    token = _invite(store, clock, owner, email="ada@example.com")
    with pytest.raises(Conflict):
        _accept(users, store, clock, token, "u1", email="ada@example.com")


def test_expire_invitations_marks_only_stale_pending_ones() -> None:
    users, store, clock, owner = _setup()
    _invite(store, clock, owner)
    clock.advance(hours=2)
    fresh = _invite(store, clock, owner, email="fresh@example.com")
    assert members.expire_invitations(accounts=store, clock=clock) == 1
    statuses = sorted(i.status.value for i in store.invitations.values())
    assert statuses == [InvitationStatus.EXPIRED.value, InvitationStatus.PENDING.value]
    assert members.expire_invitations(accounts=store, clock=clock) == 0
    _accept(users, store, clock, fresh, "w9", email="fresh@example.com")


def test_invitation_enqueues_one_invitation_email() -> None:
    _users, store, clock, owner = _setup()
    outbox = FakeOutbox()
    inv = members.invite_member(
        principal=owner,
        account_id=owner.account_id,
        data=InvitationCreate.model_validate({"email": "W@example.com"}),
        accounts=store,
        signer=SIGNER,
        clock=clock,
        invitation_ttl=timedelta(hours=1),
        outbox=outbox,
        billing=FakeBillingStore(),
        policy=FakePolicyStore(),
    )
    [entry] = outbox.entries.values()
    assert entry.outbox_id == f"invitation-{inv.invitation_id}" and outbox.dispatched == [entry.outbox_id]
    assert entry.to_address == "w@example.com" and entry.category == "account" and entry.template == "invitation"
    assert entry.context["token"] == inv.token


def test_accepting_the_emailed_invitation_verifies_that_address() -> None:
    users, store, clock, owner = _setup()
    token = _invite(store, clock, owner, email="W@Example.com")
    profiles = FakeEmailProfiles()
    assert profiles.get_status("w1") is None
    _accept(users, store, clock, token, "w1", email="w@example.com", profiles=profiles)
    status = profiles.get_status("w1")
    assert status is not None and status.verified and status.verified_via == "invitation"
    assert status.verified_address == "w@example.com" and status.verified_at == clock.now()
    assert status.pending_nonce is None and status.created_at == clock.now()
