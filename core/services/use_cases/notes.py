"""A worker's notes and the owner's list (functions/notes.py)."""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.identity import Principal
from core.domain.media import MediaQuery, MyNotesQuery, NoteCreate, NotePage, NotePublic, NoteUpdate
from core.ports import AccessLog, BillingStore, Clock, ConsentLedger, MediaStore, PrivateZoneStore
from core.services import notes
from core.services.paging import PageTokens


@dataclass(frozen=True)
class NoteUseCases:
    store: MediaStore
    consents: ConsentLedger
    access_log: AccessLog
    zones: PrivateZoneStore
    billing: BillingStore
    pages: PageTokens
    clock: Clock

    def create(self, *, principal: Principal, data: NoteCreate) -> NotePublic:
        return notes.create_note(
            principal=principal,
            data=data,
            media=self.store,
            consents=self.consents,
            clock=self.clock,
            billing=self.billing,
            private_zones=self.zones,
        )

    def update(self, *, principal: Principal, note_id: str, data: NoteUpdate) -> NotePublic:
        return notes.update_note(
            principal=principal,
            note_id=note_id,
            data=data,
            media=self.store,
            consents=self.consents,
            clock=self.clock,
            private_zones=self.zones,
        )

    def delete(self, *, principal: Principal, note_id: str) -> None:
        notes.delete_note(principal=principal, note_id=note_id, media=self.store)

    def my_notes(self, *, principal: Principal, query: MyNotesQuery) -> NotePage:
        return notes.list_my_notes(principal=principal, query=query, media=self.store, page_tokens=self.pages)

    def list_notes(self, *, principal: Principal, account_id: str, query: MediaQuery) -> NotePage:
        return notes.list_notes(
            principal=principal,
            account_id=account_id,
            query=query,
            media=self.store,
            access_log=self.access_log,
            clock=self.clock,
            page_tokens=self.pages,
        )
