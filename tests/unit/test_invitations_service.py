"""Pending invitations (issue 15): only pending, unexpired ones are listed; revoking ends the link; only the owner."""

from __future__ import annotations

import pytest

from core.domain.errors import Forbidden, Gone, NotFound
from core.domain.identity import Principal, Role
from core.services import invitations
from tests.unit.test_members_service import _accept, _invite, _setup


def test_lists_pending_only_and_revoking_ends_the_link() -> None:
    users, store, clock, owner = _setup()
    accepted = _invite(store, clock, owner, email="a@example.com")
    _accept(users, store, clock, accepted, "w1", email="a@example.com")
    revoked = _invite(store, clock, owner, email="r@example.com")
    _invite(store, clock, owner, email="p@example.com")
    listed = invitations.list_pending(principal=owner, account_id=owner.account_id, accounts=store, clock=clock)
    assert [i.email for i in listed.items] == ["r@example.com", "p@example.com"]
    assert all(i.token is None for i in listed.items)

    target = next(i for i in listed.items if i.email == "r@example.com")
    invitations.revoke(
        principal=owner, account_id=owner.account_id, invitation_id=target.invitation_id, accounts=store, clock=clock
    )
    with pytest.raises(Gone):
        _accept(users, store, clock, revoked, "w2", email="r@example.com")
    with pytest.raises(NotFound):  # not pending any more
        invitations.revoke(
            principal=owner,
            account_id=owner.account_id,
            invitation_id=target.invitation_id,
            accounts=store,
            clock=clock,
        )
    clock.advance(hours=2)  # past the one-hour lifetime: expired ones are not listed
    assert (
        invitations.list_pending(principal=owner, account_id=owner.account_id, accounts=store, clock=clock).items == []
    )


def test_only_the_owner_of_that_account() -> None:
    _, store, clock, owner = _setup()
    _invite(store, clock, owner)
    member = Principal("w9", None, owner.account_id, Role.MEMBER)
    other_owner = Principal("o2", None, "another-account", Role.OWNER)
    for who in (member, other_owner):
        with pytest.raises((Forbidden, NotFound)):
            invitations.list_pending(principal=who, account_id=owner.account_id, accounts=store, clock=clock)
    with pytest.raises(NotFound):
        invitations.revoke(
            principal=owner, account_id=owner.account_id, invitation_id="missing", accounts=store, clock=clock
        )
