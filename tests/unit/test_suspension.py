"""Suspension (core/services/suspension.py): it blocks the writes that add data or seats, in every area, and
nothing else; reading, exporting, correcting and deleting stay allowed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from core.domain.accounts import InvitationAccept, InvitationCreate, InvitationStatus
from core.domain.billing import BillingRecord, BillingStatus
from core.domain.consent import Capability
from core.domain.errors import AccountSuspended
from core.domain.events import BillingStatusChanged
from core.domain.identity import Identity
from core.domain.media import MediaQuery, MyNotesQuery, NoteUpdate
from core.services import members, notes, photos, suspension
from tests.fixtures import images
from tests.unit.fakes import FakePublisher
from tests.unit.fakes_billing import FakeBillingStore
from tests.unit.fakes_email import FakeEmailProfiles, FakeOutbox, FakePolicyStore
from tests.unit.fakes_paging import page_tokens
from tests.unit.test_members_service import SIGNER, _setup
from tests.unit.test_notes_service import World as NotesWorld
from tests.unit.test_photos_service import OWNER, WORKER
from tests.unit.test_photos_service import World as PhotosWorld
from tests.unit.test_tracking_ingest import World as PingsWorld
from tests.unit.test_tracking_ingest import ping

T0 = datetime(2026, 6, 1, tzinfo=UTC)


def hold(store: FakeBillingStore, account_id: str, status: BillingStatus = BillingStatus.SUSPENDED) -> None:
    store.records[account_id] = BillingRecord(
        account_id=account_id, customer_id="cus_1", status=status, status_since=T0, created_at=T0, updated_at=T0
    )


@pytest.mark.parametrize("status", [s for s in BillingStatus if s is not BillingStatus.SUSPENDED])
def test_only_the_suspended_status_holds_an_account(status: BillingStatus) -> None:
    store = FakeBillingStore()
    suspension.ensure_may_add(account_id="a1", what=suspension.Addition.PHOTOS, billing=store)  # no record yet
    hold(store, "a1", status)
    suspension.ensure_may_add(account_id="a1", what=suspension.Addition.PHOTOS, billing=store)
    hold(store, "a1")
    with pytest.raises(AccountSuspended) as refused:
        suspension.ensure_may_add(account_id="a1", what=suspension.Addition.PHOTOS, billing=store)
    assert refused.value.status == 403 and refused.value.code == "account-suspended"
    assert "photos" in refused.value.detail and "exported" in refused.value.detail
    suspension.ensure_may_add(account_id="a2", what=suspension.Addition.PHOTOS, billing=store)  # another account


def _refused(action: Callable[[], object]) -> None:
    with pytest.raises(AccountSuspended):
        action()


def test_photos_no_new_upload_but_reads_and_earlier_grants_go_on() -> None:
    w = PhotosWorld()
    w.grant(WORKER, Capability.CAMERA, at=w.clock.now() - timedelta(hours=1))
    earlier = w.request(WORKER, images.jpeg())  # granted before the suspension
    hold(w.billing, "a1")
    _refused(lambda: w.request(WORKER, images.jpeg()))
    assert [p.photo_id for p in w.store.photos.values()] == [earlier]  # nothing new stored
    w.upload(WORKER, earlier, images.jpeg())
    photos.complete_upload(
        principal=WORKER, photo_id=earlier, media=w.store, photo_blobs=w.blobs, photo_jobs=w.jobs, clock=w.clock
    )
    assert w.process(WORKER, earlier) == "ready"  # accepted before: never lost
    listed = photos.list_photos(
        principal=OWNER,
        account_id="a1",
        query=MediaQuery(),
        media=w.store,
        access_log=w.log,
        clock=w.clock,
        page_tokens=page_tokens(),
        photo_blobs=w.blobs,
        photo_limits=photos.PhotoLimits(),
    )
    assert [p.photo_id for p in listed.items] == [earlier]


def test_notes_no_new_note_but_reading_editing_and_deleting_stay() -> None:
    w = NotesWorld()
    mine = w.create(WORKER)
    hold(w.billing, "a1")
    _refused(lambda: w.create(WORKER))
    assert [n.note_id for n in w.store.notes.values()] == [mine]
    notes.update_note(
        principal=WORKER,
        note_id=mine,
        data=NoteUpdate.model_validate({"text": "fixed"}),
        media=w.store,
        consents=w.ledger,
        clock=w.clock,
        private_zones=w.zones,
    )
    assert [
        n.text
        for n in notes.list_my_notes(
            principal=WORKER, query=MyNotesQuery(), media=w.store, page_tokens=page_tokens()
        ).items
    ] == ["fixed"]
    notes.delete_note(principal=WORKER, note_id=mine, media=w.store)


def test_no_invitation_and_no_joining_while_suspended() -> None:
    users, store, clock, owner = _setup()
    billing = FakeBillingStore()

    def invite(email: str) -> str:
        inv = members.invite_member(
            principal=owner,
            account_id=owner.account_id,
            data=InvitationCreate.model_validate({"email": email}),
            accounts=store,
            signer=SIGNER,
            clock=clock,
            invitation_ttl=timedelta(hours=1),
            outbox=FakeOutbox(),
            billing=billing,
            policy=FakePolicyStore(),
        )
        assert inv.token
        return inv.token

    token = invite("w@example.com")  # sent before the suspension
    hold(billing, owner.account_id)
    _refused(lambda: invite("x@example.com"))
    assert [i.email for i in store.invitations.values()] == ["w@example.com"]
    _refused(
        lambda: members.accept_invitation(
            identity=Identity("w1", "w@example.com"),
            token=token,
            data=InvitationAccept(),
            accounts=store,
            users=users,
            account_events=FakePublisher(),
            signer=SIGNER,
            clock=clock,
            billing=billing,
            email_profiles=FakeEmailProfiles(),
        )
    )
    assert users.get_user("w1") is None  # no seat taken, and the invitation can still be used once paid
    assert [i.status for i in store.invitations.values()] == [InvitationStatus.PENDING]
    hold(billing, owner.account_id, BillingStatus.ACTIVE)
    joined = members.accept_invitation(
        identity=Identity("w1", "w@example.com"),
        token=token,
        data=InvitationAccept(),
        accounts=store,
        users=users,
        account_events=FakePublisher(),
        signer=SIGNER,
        clock=clock,
        billing=billing,
        email_profiles=FakeEmailProfiles(),
    )
    assert joined.user_id == "w1"
    assert [
        m.user_id for m in members.list_members(principal=owner, account_id=owner.account_id, accounts=store).items
    ] == [owner.user_id, "w1"]


def _hold_pings(w: PingsWorld, status: BillingStatus = BillingStatus.SUSPENDED) -> None:
    """A status change as billing makes it: raised as `BillingStatusChanged`, which keeps the ingest gate current."""
    record = BillingRecord(
        account_id="a1", customer_id="cus_1", status=status, status_since=T0, created_at=T0, updated_at=T0
    )
    current = w.billing.get("a1")
    with w.gate.reactions.changing(BillingStatusChanged(account_id="a1")):
        if current is None:
            assert w.gate.billing.create_if_absent(record)
        else:
            assert w.gate.billing.replace_if_unchanged(record, expected=current)


def test_no_pings_while_suspended() -> None:
    w = PingsWorld()
    w.consent(True)
    w.clock.advance(minutes=1)
    _hold_pings(w)
    _refused(lambda: w.ingest([ping(w.clock.now())]))
    assert w.queue.messages == []
    _hold_pings(w, BillingStatus.PAST_DUE)  # the grace period still takes data
    assert w.ingest([ping(w.clock.now())]).accepted == 1
