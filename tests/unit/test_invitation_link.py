"""The invitation e-mail's link: the portal's join page when PORTAL_BASE_URL is set, else the API's preview."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.adapters.email_templates import JinjaEmailRenderer
from core.domain.accounts import InvitationAccept, InvitationCreate, InvitationStatus
from core.domain.errors import Gone, InvitationExpired, InvitationRevoked, InvitationUsed
from core.domain.identity import Identity, Principal, Role
from core.services import invitations, members
from core.services.outbox import Links, compose
from core.signing import LinkSigner
from tests.unit.fakes import FakeAccountStore, FakeClock, FakePublisher, FakeUserStore
from tests.unit.fakes_billing import FakeBillingStore
from tests.unit.fakes_email import FakeEmailProfiles, FakeOutbox, FakePolicyStore
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
        policy=FakePolicyStore(),
    )
    assert inv.token
    preview = members.preview_invitation(
        token=inv.token, accounts=store, signer=SIGNER, clock=clock, policy=FakePolicyStore()
    )
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
        members.preview_invitation(
            token=inv.token, accounts=store, signer=SIGNER, clock=clock, policy=FakePolicyStore()
        )


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
        policy=FakePolicyStore(),
    )
    assert inv.token
    clock.advance(hours=2)
    with pytest.raises(Gone):
        members.preview_invitation(
            token=inv.token, accounts=store, signer=SIGNER, clock=clock, policy=FakePolicyStore()
        )


def _named_account_invitation(
    outbox: FakeOutbox | None = None,
) -> tuple[FakeUserStore, FakeAccountStore, FakeClock, str]:
    users, store, clock, owner = _setup()
    account = store.get_account(owner.account_id)
    assert account is not None
    store.put_account(account.model_copy(update={"company_name": "Acme Roofing"}))
    inv = members.invite_member(
        principal=owner,
        account_id=owner.account_id,
        data=InvitationCreate.model_validate({"email": "w@example.com", "fullName": "Wes Worker"}),
        accounts=store,
        signer=SIGNER,
        clock=clock,
        invitation_ttl=timedelta(hours=1),
        outbox=outbox if outbox is not None else FakeOutbox(),
        billing=FakeBillingStore(),
        policy=FakePolicyStore(),
    )
    assert inv.token
    return users, store, clock, inv.token


def test_the_preview_names_the_company_the_inviter_the_policy_and_what_joining_means() -> None:
    _, store, clock, token = _named_account_invitation()
    preview = members.preview_invitation(
        token=token, accounts=store, signer=SIGNER, clock=clock, policy=FakePolicyStore()
    )
    assert (preview.state, preview.account_name, preview.inviter_name) == ("valid", "Acme Roofing", "Ada Owner")
    assert (preview.policy_version, preview.policy_path) == ("2023-06-15", "/api/policy/versions/2023-06-15")
    topics = [p.topic for p in preview.collected]
    assert topics == ["location", "photos-notes", "metadata", "when", "who-sees", "private-zones", "rights"]
    assert "account owner" in " ".join(p.text for p in preview.collected)


def test_the_invitation_email_names_the_company_and_inviter_and_links_the_policy_and_the_join_page() -> None:
    outbox = FakeOutbox()
    _named_account_invitation(outbox)
    [entry] = outbox.entries.values()
    links = Links(base_url="https://api.example", signer=SIGNER, portal_base_url="https://portal.example")
    mail = compose(
        entry=entry,
        address="w@example.com",
        tracked=False,
        renderer=JinjaEmailRenderer(),
        links=links,
        now=FakeClock().now(),
    )
    assert mail.subject == "Ada Owner invites you to join Acme Roofing on IndusTrack"
    for part in (mail.text, mail.html):
        assert "Acme Roofing" in part and "Ada Owner" in part
        assert "https://api.example/api/policy/versions/2023-06-15" in part
        assert "https://portal.example/join?invitation=" in part
        assert "private zones" in part and "tracking windows" in part and "account owner sees" in part


def test_an_invitation_email_queued_before_the_company_was_named_still_renders() -> None:
    outbox = FakeOutbox()
    _named_account_invitation(outbox)
    [entry] = outbox.entries.values()
    old = entry.model_copy(update={"context": {k: entry.context[k] for k in ("token", "full_name", "expires_at")}})
    mail = compose(
        entry=old,
        address="w@example.com",
        tracked=False,
        renderer=JinjaEmailRenderer(),
        links=Links(base_url="https://api.example", signer=SIGNER),
        now=FakeClock().now(),
    )
    assert mail.subject == "An account owner invites you to join their team on IndusTrack"
    assert "What joining means" not in mail.text


@pytest.mark.parametrize(
    ("make", "refusal", "code"),
    [
        ("accepted", InvitationUsed, "invitation-used"),
        ("revoked", InvitationRevoked, "invitation-revoked"),
        ("expired-by-time", InvitationExpired, "invitation-expired"),
        ("expired-by-timer", InvitationExpired, "invitation-expired"),
    ],
)
def test_an_invitation_that_can_no_longer_be_used_says_why_on_preview_and_on_accept(
    make: str, refusal: type[Gone], code: str
) -> None:
    users, store, clock, token = _named_account_invitation()
    owner_account = next(iter(store.invitations.values())).account_id
    [invitation] = store.list_invitations(owner_account)
    owner = Principal("u1", None, owner_account, Role.OWNER)
    if make == "accepted":
        members.accept_invitation(
            identity=Identity("w1", "w@example.com"),
            token=token,
            data=InvitationAccept(),
            accounts=store,
            users=users,
            account_events=FakePublisher(),
            signer=SIGNER,
            clock=clock,
            email_profiles=FakeEmailProfiles(),
            billing=FakeBillingStore(),
        )
    elif make == "revoked":
        invitations.revoke(
            principal=owner,
            account_id=owner_account,
            invitation_id=invitation.invitation_id,
            accounts=store,
            clock=clock,
        )
    else:
        clock.advance(hours=2)
        if make == "expired-by-timer":
            assert members.expire_invitations(accounts=store, clock=clock) == 1
            assert store.list_invitations(owner_account)[0].status is InvitationStatus.EXPIRED
    with pytest.raises(refusal) as seen:
        members.preview_invitation(token=token, accounts=store, signer=SIGNER, clock=clock, policy=FakePolicyStore())
    assert seen.value.code == code and seen.value.status == 410
    with pytest.raises(refusal):
        members.accept_invitation(
            identity=Identity("w2", "w@example.com"),
            token=token,
            data=InvitationAccept(),
            accounts=store,
            users=users,
            account_events=FakePublisher(),
            signer=SIGNER,
            clock=clock,
            email_profiles=FakeEmailProfiles(),
            billing=FakeBillingStore(),
        )


def test_a_forged_link_reveals_nothing_and_is_plain_gone() -> None:
    _, store, clock, token = _named_account_invitation()
    body, mac = token.split(".", 1)
    for forged in ("not-a-token", f"{body}.{mac[:-2]}xx", SIGNER.sign("invitation", {"a": "nope", "i": "nope"})):
        with pytest.raises(Gone) as seen:
            members.preview_invitation(
                token=forged, accounts=store, signer=SIGNER, clock=clock, policy=FakePolicyStore()
            )
        assert seen.value.code == "gone" and "Acme" not in seen.value.detail
