"""Notes: a worker's own notes (create, edit, delete, list) and the owner's list. See docs/photos-and-notes.md."""

import azure.functions as func

from core.domain.media import MediaQuery, MyNotesQuery, NoteCreate, NotePage, NotePublic, NoteUpdate
from core.services.use_cases.notes import NoteUseCases
from functions._http import Auth, Call, endpoint, use_cases

bp = func.Blueprint()
notes = use_cases(NoteUseCases)


@endpoint(
    bp,
    "POST",
    "me/notes",
    auth=Auth.PRINCIPAL,
    body=NoteCreate,
    response=NotePublic,
    status=201,
    summary="Write a note (optionally about one of my photos, a time and a place)",
    tag="notes",
)
def create_note(call: Call) -> NotePublic:
    return notes().create(principal=call.principal, data=call.body)


@endpoint(
    bp,
    "PATCH",
    "me/notes/{noteId}",
    auth=Auth.PRINCIPAL,
    body=NoteUpdate,
    response=NotePublic,
    extra_statuses=(409,),
    summary="Edit one of my notes (null clears photoId, at or place)",
    tag="notes",
)
def update_note(call: Call) -> NotePublic:
    return notes().update(principal=call.principal, note_id=call.route["noteId"], data=call.body)


@endpoint(
    bp, "DELETE", "me/notes/{noteId}", auth=Auth.PRINCIPAL, status=204, summary="Delete one of my notes", tag="notes"
)
def delete_note(call: Call) -> None:
    notes().delete(principal=call.principal, note_id=call.route["noteId"])


@endpoint(
    bp,
    "GET",
    "me/notes",
    auth=Auth.PRINCIPAL,
    query=MyNotesQuery,
    response=NotePage,
    summary="My notes, newest first",
    tag="notes",
)
def list_my_notes(call: Call) -> NotePage:
    return notes().my_notes(principal=call.principal, query=call.query)


@endpoint(
    bp,
    "GET",
    "accounts/{accountId}/notes",
    auth=Auth.PRINCIPAL,
    query=MediaQuery,
    response=NotePage,
    summary="Notes, newest first (owner: all workers; member: their own)",
    tag="notes",
)
def list_notes(call: Call) -> NotePage:
    return notes().list_notes(principal=call.principal, account_id=call.route["accountId"], query=call.query)
