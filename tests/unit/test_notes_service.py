"""Notes: create, edit (updatedAt moves), delete, list; links to own photos only; places need location consent;
tenancy and logged owner reads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from core.domain.consent import Capability, ConsentEntry
from core.domain.errors import Forbidden, NotFound, ValidationFailed
from core.domain.identity import Principal, Role
from core.domain.media import MediaQuery, MyNotesQuery, NoteCreate, NotePublic, NoteUpdate, Photo, PhotoContentType
from core.domain.tracking import AccessedData
from core.services import notes
from tests.unit.fakes import FakeClock
from tests.unit.fakes_billing import FakeBillingStore
from tests.unit.fakes_media import FakeMediaStore
from tests.unit.fakes_paging import page_tokens
from tests.unit.fakes_tracking import FakeAccessLog, FakeConsentLedger, FakePrivateZoneStore

OWNER = Principal(user_id="o1", email="o1@example.com", account_id="a1", role=Role.OWNER)
WORKER = Principal(user_id="u1", email="u1@example.com", account_id="a1", role=Role.MEMBER)
COLLEAGUE = Principal(user_id="u2", email="u2@example.com", account_id="a1", role=Role.MEMBER)
STRANGER = Principal(user_id="o9", email="o9@example.com", account_id="a9", role=Role.OWNER)
PLACE = {"latitude": 44.98, "longitude": -93.27}


class World:
    def __init__(self) -> None:
        self.store, self.ledger, self.log, self.clock = (
            FakeMediaStore(),
            FakeConsentLedger(),
            FakeAccessLog(),
            FakeClock(),
        )
        self.billing = FakeBillingStore()
        self.zones = FakePrivateZoneStore()

    def create(self, who: Principal, **body: object) -> str:
        return notes.create_note(
            principal=who,
            data=NoteCreate.model_validate({"text": "hello", **body}),
            media=self.store,
            consents=self.ledger,
            clock=self.clock,
            billing=self.billing,
            private_zones=self.zones,
        ).note_id

    def update(self, who: Principal, note_id: str, **body: object) -> NotePublic:
        return notes.update_note(
            principal=who,
            note_id=note_id,
            data=NoteUpdate.model_validate(body),
            media=self.store,
            consents=self.ledger,
            clock=self.clock,
            private_zones=self.zones,
        )

    def photo(self, who: Principal, photo_id: str) -> None:
        now = self.clock.now()
        self.store.create_photo(
            Photo(
                photo_id=photo_id,
                account_id=who.account_id,
                user_id=who.user_id,
                declared_type=PhotoContentType.JPEG,
                declared_size=1,
                created_at=now,
                upload_expires_at=now,
                captured_at=now,
                quarantine_blob="q",
            )
        )

    def grant_location(self, who: Principal) -> None:
        self.ledger.append(
            ConsentEntry(
                entry_id=f"c{len(self.ledger.entries)}",
                account_id=who.account_id,
                user_id=who.user_id,
                capability=Capability.LOCATION,
                granted=True,
                recorded_at=self.clock.now(),
                device_id="d",
                app_version="1",
                policy_version="2023-06-15",
            )
        )


@pytest.fixture
def world() -> World:
    return World()


def test_text_is_required_and_at_most_10000_characters() -> None:
    NoteCreate.model_validate({"text": "x" * 10_000})
    for bad in ({"text": "x" * 10_001}, {"text": "   "}, {}, {"text": "ok", "userId": "u2"}):
        with pytest.raises(ValidationError):
            NoteCreate.model_validate(bad)


def test_edit_keeps_created_at_and_moves_updated_at(world: World) -> None:
    note_id = world.create(WORKER, at="2026-06-01T08:00:00Z")
    created = world.store.notes[("a1", note_id)].created_at
    world.clock.advance(minutes=5)
    got = world.update(WORKER, note_id, text="changed")
    assert got.text == "changed" and got.created_at == created and got.updated_at == created + timedelta(minutes=5)
    assert got.at is not None  # untouched fields stay
    assert got.written_at == got.at  # what every page shows: the time the app gave, not when it was stored
    cleared = world.update(WORKER, note_id, at=None)
    assert cleared.at is None and cleared.text == "changed" and cleared.written_at == created
    with pytest.raises(ValidationFailed) as refused:
        world.update(WORKER, note_id, text=None)
    assert [e.field for e in refused.value.errors] == ["text"]


def test_only_the_author_edits_or_deletes(world: World) -> None:
    note_id = world.create(WORKER)
    for other in (COLLEAGUE, OWNER, STRANGER):
        with pytest.raises(NotFound):
            world.update(other, note_id, text="mine now")
        with pytest.raises(NotFound):
            notes.delete_note(principal=other, note_id=note_id, media=world.store)
    assert world.store.notes[("a1", note_id)].text == "hello"
    notes.delete_note(principal=WORKER, note_id=note_id, media=world.store)
    with pytest.raises(NotFound):
        notes.delete_note(principal=WORKER, note_id=note_id, media=world.store)
    with pytest.raises(NotFound):
        world.update(WORKER, "../../etc", text="x")


def test_photo_link_must_be_my_own_photo(world: World) -> None:
    world.photo(WORKER, "p1")
    world.photo(COLLEAGUE, "p2")
    assert world.store.notes[("a1", world.create(WORKER, photoId="p1"))].photo_id == "p1"
    for photo_id in ("p2", "missing"):
        with pytest.raises(ValidationFailed) as refused:
            world.create(WORKER, photoId=photo_id)
        assert [e.field for e in refused.value.errors] == ["photoId"]
    note_id = world.create(WORKER)
    with pytest.raises(ValidationFailed):
        world.update(WORKER, note_id, photoId="p2")


def test_a_place_needs_location_consent(world: World) -> None:
    with pytest.raises(Forbidden, match=r"[Ll]ocation"):
        world.create(WORKER, place=PLACE)
    note_id = world.create(WORKER)
    with pytest.raises(Forbidden):
        world.update(WORKER, note_id, place=PLACE)
    world.grant_location(WORKER)
    world.clock.advance(seconds=1)
    assert world.update(WORKER, note_id, place=PLACE).place is not None
    assert world.update(WORKER, note_id, place=None).place is None


def test_lists_are_scoped_and_owner_reads_are_logged(world: World) -> None:
    mine = world.create(WORKER)
    world.clock.advance(minutes=1)
    theirs = world.create(COLLEAGUE)
    world.clock.advance(minutes=1)
    own_owner = world.create(OWNER)

    def mine_list(who: Principal) -> list[str]:
        return [
            n.note_id
            for n in notes.list_my_notes(
                principal=who, query=MyNotesQuery(), media=world.store, page_tokens=page_tokens()
            ).items
        ]

    def account_list(who: Principal, account_id: str = "a1", **query: object) -> list[str]:
        page = notes.list_notes(
            principal=who,
            account_id=account_id,
            query=MediaQuery.model_validate(query),
            media=world.store,
            access_log=world.log,
            clock=world.clock,
            page_tokens=page_tokens(),
        )
        return [n.note_id for n in page.items]

    assert mine_list(WORKER) == [mine] and mine_list(COLLEAGUE) == [theirs]
    assert account_list(OWNER) == [own_owner, theirs, mine]  # newest first
    entry = world.log.entries[-1]
    assert entry.data is AccessedData.NOTE and entry.subject_user_ids == ["u1", "u2"]
    assert account_list(OWNER, userId="u1") == [mine]
    logged = len(world.log.entries)
    assert account_list(WORKER) == [mine] and len(world.log.entries) == logged
    assert account_list(OWNER, userId="o1") == [own_owner] and len(world.log.entries) == logged  # own: not logged
    with pytest.raises(NotFound):
        account_list(WORKER, userId="u2")
    with pytest.raises(NotFound):
        account_list(STRANGER)
    assert mine_list(STRANGER) == []


def test_lists_page_and_filter_by_time(world: World) -> None:
    ids = []
    for _ in range(5):
        ids.append(world.create(WORKER))
        world.clock.advance(hours=1)
    start = world.store.notes[("a1", ids[1])].created_at
    end = world.store.notes[("a1", ids[4])].created_at
    first = notes.list_my_notes(
        principal=WORKER,
        query=MyNotesQuery.model_validate({"from": start.isoformat(), "to": end.isoformat(), "limit": 2}),
        media=world.store,
        page_tokens=page_tokens(),
    )
    assert [n.note_id for n in first.items] == [ids[3], ids[2]] and first.continuation
    second = notes.list_my_notes(
        principal=WORKER,
        query=MyNotesQuery.model_validate(
            {"from": start.isoformat(), "to": end.isoformat(), "limit": 2, "continuation": first.continuation}
        ),
        media=world.store,
        page_tokens=page_tokens(),
    )
    assert [n.note_id for n in second.items] == [ids[1]] and second.continuation is None
