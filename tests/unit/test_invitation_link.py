"""The invitation e-mail's link: the portal's join page when PORTAL_BASE_URL is set, else the API's preview."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.domain.accounts import InvitationAccept, InvitationCreate
from core.domain.errors import Gone
from core.domain.identity import Identity
from core.services import members
from core.services.outbox import Links
from core.signing import LinkSigner
from tests.unit.fakes import FakePublisher
from tests.unit.fakes_billing import FakeBillingStore
from tests.unit.fakes_email import FakeEmailProfiles, FakeOutbox
from tests.unit.test_members_service import _setup

SIGNER = LinkSigner(b"unit-test-signing-key-0123456789")


def test_the_link_points_at_the_portal_only_when_its_base_is_set() -> None:
    api_only = Links(base_url="http://localhost:7071", signer=SIGNER)
    assert api_only.invitation("a.b/c") == "http://localhost:7071/api/invitations/a.b%2Fc"
    portal = Links(base_url="http://localhost:7071", signer=SIGNER, portal_base_url="https://portal.example/")
    assert portal.invitation("a.b") == "https://portal.example/join?invitation=a.b"


def test_the_preview_shows_how_to_accept_until_the_invitation_is_used_or_expired() -> None:
    users, store, clock, owner = _setup()
    inv = members.invite_member(
        principal=owner,
        account_id=owner.account_id,
        data=InvitationCreate.model_validate({"email": "w@example.com"}),
        accounts=store,
        signer=SIGNER,
        clock=clock,
        invitation_ttl=timedelta(hours=1),
        outbox=FakeOutbox(),
        billing=FakeBillingStore(),
    )
    assert inv.token
    preview = members.preview_invitation(token=inv.token, accounts=store, signer=SIGNER, clock=clock)
    assert preview.email == "w@example.com" and preview.accept_path == f"/api/invitations/{inv.token}/accept"
    members.accept_invitation(
        identity=Identity("w1", "w@example.com"),
        token=inv.token,
        data=InvitationAccept(),
        accounts=store,
        users=users,
        account_events=FakePublisher(),
        signer=SIGNER,
        clock=clock,
        email_profiles=FakeEmailProfiles(),
        billing=FakeBillingStore(),
    )
    with pytest.raises(Gone):
        members.preview_invitation(token=inv.token, accounts=store, signer=SIGNER, clock=clock)


def test_an_expired_invitation_has_no_preview() -> None:
    _, store, clock, owner = _setup()
    inv = members.invite_member(
        principal=owner,
        account_id=owner.account_id,
        data=InvitationCreate.model_validate({"email": "w@example.com"}),
        accounts=store,
        signer=SIGNER,
        clock=clock,
        invitation_ttl=timedelta(hours=1),
        outbox=FakeOutbox(),
        billing=FakeBillingStore(),
    )
    assert inv.token
    clock.advance(hours=2)
    with pytest.raises(Gone):
        members.preview_invitation(token=inv.token, accounts=store, signer=SIGNER, clock=clock)
