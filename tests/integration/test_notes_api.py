"""Notes over HTTP: create, edit (updatedAt), delete, list; links to own photos; places under location consent;
tenancy (another account's ids and another member's notes answer 404) and logged owner reads."""

from __future__ import annotations

from typing import Any

import httpx

from tests.integration.conftest import User, add_member, register_owner

CONSENT = {"granted": True, "deviceId": "phone-1", "appVersion": "5.0.0"}


def create(api: httpx.Client, user: User, **body: Any) -> dict[str, Any]:
    r = api.post("/me/notes", json={"text": "Gate code changed", **body}, headers=user.auth)
    assert r.status_code == 201, r.text
    note: dict[str, Any] = r.json()
    return note


def test_note_lifecycle(api: httpx.Client, member: User) -> None:
    note = create(api, member, at="2026-06-01T08:30:00-05:00")
    assert note["text"] == "Gate code changed" and note["createdAt"] == note["updatedAt"]
    r = api.patch(f"/me/notes/{note['noteId']}", json={"text": "Gate code is 4411"}, headers=member.auth)
    assert r.status_code == 200, r.text
    edited = r.json()
    assert edited["text"] == "Gate code is 4411" and edited["createdAt"] == note["createdAt"]
    assert edited["updatedAt"] > note["updatedAt"] and edited["at"] is not None
    assert api.patch(f"/me/notes/{note['noteId']}", json={"at": None}, headers=member.auth).json()["at"] is None
    listed = api.get("/me/notes", headers=member.auth).json()["items"]
    assert [(n["noteId"], n["text"]) for n in listed] == [(note["noteId"], "Gate code is 4411")]
    assert api.delete(f"/me/notes/{note['noteId']}", headers=member.auth).status_code == 204
    assert api.get("/me/notes", headers=member.auth).json()["items"] == []
    assert api.delete(f"/me/notes/{note['noteId']}", headers=member.auth).status_code == 404


def test_invalid_notes_change_nothing(api: httpx.Client, member: User) -> None:
    for body, field in (
        ({"text": "x" * 10_001}, "text"),
        ({"text": ""}, "text"),
        ({}, "text"),
        ({"text": "hi", "userId": "someone"}, "userId"),
        ({"text": "hi", "place": {"latitude": 91, "longitude": 0}}, "place.latitude"),
        ({"text": "hi", "photoId": "f" * 32}, "photoId"),
    ):
        r = api.post("/me/notes", json=body, headers=member.auth)
        assert r.status_code == 422, (body, r.text)
        assert field in {e["field"] for e in r.json()["errors"]}, (body, r.json())
    assert create(api, member, text="x" * 10_000)["text"] == "x" * 10_000
    note_id = api.get("/me/notes", headers=member.auth).json()["items"][0]["noteId"]
    r = api.patch(f"/me/notes/{note_id}", json={"text": None}, headers=member.auth)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "text"
    assert len(api.get("/me/notes", headers=member.auth).json()["items"]) == 1


def test_place_needs_location_consent(api: httpx.Client, member: User) -> None:
    place = {"latitude": 44.98, "longitude": -93.27}
    r = api.post("/me/notes", json={"text": "Here", "place": place}, headers=member.auth)
    assert r.status_code == 403 and "location" in r.json()["detail"].lower()
    assert api.get("/me/notes", headers=member.auth).json()["items"] == []
    assert api.put("/me/consents/location", json=CONSENT, headers=member.auth).status_code == 200
    assert create(api, member, text="Here", place=place)["place"]["latitude"] == 44.98


def test_notes_tenancy(api: httpx.Client, owner: User, member: User) -> None:
    colleague = add_member(api, owner)
    note = create(api, member)
    other_owner = register_owner(api)
    other_member = add_member(api, other_owner)
    missing_patch = api.patch(f"/me/notes/{'f' * 32}", json={"text": "x"}, headers=colleague.auth)
    assert missing_patch.status_code == 404
    for who in (colleague, owner, other_owner, other_member):
        r = api.patch(f"/me/notes/{note['noteId']}", json={"text": "taken over"}, headers=who.auth)
        assert (r.status_code, r.json()) == (404, missing_patch.json())
        assert api.delete(f"/me/notes/{note['noteId']}", headers=who.auth).status_code == 404
        assert note["noteId"] not in {n["noteId"] for n in api.get("/me/notes", headers=who.auth).json()["items"]}
    path = f"/accounts/{owner.account_id}/notes"
    assert api.get(path, headers=other_owner.auth).status_code == 404
    assert api.get(path, headers=other_member.auth).status_code == 404
    assert api.get(path, params={"userId": member.user_id}, headers=colleague.auth).status_code == 404
    assert api.get(path, headers=colleague.auth).json()["items"] == []
    assert [n["noteId"] for n in api.get(path, headers=member.auth).json()["items"]] == [note["noteId"]]
    assert api.get("/me/notes", headers=member.auth).json()["items"][0]["text"] == "Gate code changed"


def test_owner_lists_notes_and_the_read_is_logged(api: httpx.Client, owner: User, member: User) -> None:
    colleague = add_member(api, owner)
    first, second = create(api, member, text="first"), create(api, colleague, text="second")
    path = f"/accounts/{owner.account_id}/notes"
    assert [n["noteId"] for n in api.get(path, headers=owner.auth).json()["items"]] == [
        second["noteId"],
        first["noteId"],
    ]
    only = api.get(path, params={"userId": member.user_id}, headers=owner.auth).json()["items"]
    assert [n["noteId"] for n in only] == [first["noteId"]]
    page = api.get(path, params={"limit": "1"}, headers=owner.auth).json()
    assert len(page["items"]) == 1 and page["continuation"]
    reads = [e for e in api.get("/me/access-log", headers=member.auth).json()["items"] if e["data"] == "note"]
    # both list reads naming the member's note, in one entry of the window (reads are coalesced)
    assert [e["count"] for e in reads] == [2] and {e["viewerUserId"] for e in reads} == {owner.user_id}
    r = api.get(path, params={"from": "2026-06-02T00:00:00Z", "to": "2026-06-01T00:00:00Z"}, headers=owner.auth)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.from"


def test_note_links_only_to_my_own_photo(api: httpx.Client, owner: User, member: User) -> None:
    colleague = add_member(api, owner)
    assert api.put("/me/consents/camera", json=CONSENT, headers=member.auth).status_code == 200
    r = api.post("/me/photos", json={"contentType": "image/jpeg", "sizeBytes": 1000}, headers=member.auth)
    photo_id = r.json()["photoId"]
    assert create(api, member, photoId=photo_id)["photoId"] == photo_id
    r = api.post("/me/notes", json={"text": "not mine", "photoId": photo_id}, headers=colleague.auth)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "photoId"
    note = create(api, colleague)
    r = api.patch(f"/me/notes/{note['noteId']}", json={"photoId": photo_id}, headers=colleague.auth)
    assert r.status_code == 422
    r = api.post(
        "/me/photos",
        json={"contentType": "image/jpeg", "sizeBytes": 1000, "noteId": note["noteId"]},
        headers=member.auth,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "noteId"
