"""A worker's notes and the owner's list (functions/notes.py)."""

from __future__ import annotations

from core.services import notes
from core.services.wiring import UseCases, inject


class NoteUseCases(UseCases):
    create = inject(notes.create_note)
    update = inject(notes.update_note)
    delete = inject(notes.delete_note)
    my_notes = inject(notes.list_my_notes)
    list_notes = inject(notes.list_notes)
