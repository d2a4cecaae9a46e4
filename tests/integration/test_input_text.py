"""Issue 13, point 6, through the real host: control characters in single-line fields (names, company names,
address lines, device and time-zone names, e-mail addresses) are refused with a 422 naming the field and nothing is
stored; note text keeps its line breaks and tabs but never NUL or another control character; a JSON body that
names one member twice is refused (at any depth) instead of the last value winning."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.integration.conftest import User, new_identity, registration_body
from tests.integration.tracking_helpers import CONSENT, ping, set_location_consent, wait_for_stored

INJECTIONS = [
    "Ada\r\nBcc: victim@example.com",
    "Ada\nOwner",
    "Ada\tOwner",
    "Ada\x00",
    "\x1b[31mAda",
    "Ada\x7f",
    "Ada\x85",
    "Ada\u2028Owner",
    "Ada\u2029",
    "Ada\u202eenwO",
]


def _refused(r: httpx.Response, field: str) -> None:
    assert r.status_code == 422, (r.status_code, r.text[:300])
    assert r.headers.get("content-type") == "application/problem+json"
    assert [e["field"] for e in r.json()["errors"]] == [field], r.text[:300]


def test_registration_refuses_control_characters_in_every_single_line_field(api: httpx.Client) -> None:
    who = new_identity()
    address = registration_body()["billingAddress"]
    cases: list[tuple[dict[str, Any], str]] = []
    for bad in INJECTIONS:
        cases += [({"fullLegalName": bad}, "fullLegalName"), ({"companyName": bad}, "companyName")]
    for name in ("line1", "line2", "city", "state", "postalCode"):
        cases.append(({"billingAddress": {**address, name: "1 Main St\r\nX"}}, f"billingAddress.{name}"))
    cases += [
        ({"email": who.email + "\r\nBcc: victim@example.com"}, "email"),
        ({"email": "\t" + who.email}, "email"),
        ({"timeZone": "America/Chicago\n"}, "timeZone"),
    ]
    for override, field in cases:
        _refused(
            api.post("/accounts", json=registration_body(**{"email": who.email, **override}), headers=who.auth), field
        )
    assert api.get("/me", headers=who.auth).status_code in (403, 404)  # nothing was registered
    r = api.post(
        "/accounts", json=registration_body(email=who.email, fullLegalName="Zoë O'Brien-Łukasiewicz"), headers=who.auth
    )
    assert r.status_code == 201, r.text


def test_profile_invitation_consent_and_schedule_refuse_control_characters(
    api: httpx.Client, owner: User, member: User
) -> None:
    before = api.get("/me", headers=member.auth).json()
    for bad in INJECTIONS:
        _refused(api.patch("/me", json={"fullName": bad}, headers=member.auth), "fullName")
    _refused(api.patch("/me", json={"email": "a@example.com\r\nBcc: b@example.com"}, headers=member.auth), "email")
    assert api.get("/me", headers=member.auth).json() == before
    invite = {"email": "new.worker@example.com", "fullName": "New\r\nWorker"}
    _refused(api.post(f"/accounts/{owner.account_id}/invitations", json=invite, headers=owner.auth), "fullName")
    for field in ("deviceId", "appVersion"):
        body = {**CONSENT, "granted": True, field: "phone\r\n1"}
        _refused(api.put("/me/consents/location", json=body, headers=member.auth), field)
    schedule = {"timeZone": "America/Chicago\u2028", "windows": [{"days": ["mon"], "start": "07:00", "end": "18:00"}]}
    _refused(api.put("/me/tracking-schedule", json=schedule, headers=member.auth), "timeZone")
    consents = api.get("/me/consents", headers=member.auth)
    assert consents.status_code == 200 and "phone\\r\\n1" not in consents.text  # no ledger entry was appended


def test_note_text_keeps_line_breaks_and_tabs_but_no_other_control_character(api: httpx.Client, member: User) -> None:
    for bad in ("stop\x00here", "colour \x1b[31mred", "bell\x07", "form\x0cfeed", "del\x7f", "nel\x85"):
        _refused(api.post("/me/notes", json={"text": bad}, headers=member.auth), "text")
    assert api.get("/me/notes", headers=member.auth).json()["items"] == []
    text = "Site visit:\n\t- gate code 1234\r\n\t- ask for Zoë"
    note = api.post("/me/notes", json={"text": text}, headers=member.auth)
    assert note.status_code == 201 and note.json()["text"] == text, note.text
    _refused(api.patch(f"/me/notes/{note.json()['noteId']}", json={"text": "x\x00"}, headers=member.auth), "text")
    assert api.get("/me/notes", headers=member.auth).json()["items"][0]["text"] == text


def test_a_ping_with_a_control_character_in_its_device_name_is_rejected_alone(api: httpx.Client, member: User) -> None:
    set_location_consent(api, member, True)
    now = datetime.now(UTC)
    good = ping(now + timedelta(milliseconds=50), 0, deviceId="phone-1")
    bad = ping(now + timedelta(milliseconds=60), 1, deviceId="phone-1\r\nX: 1")
    r = api.post("/me/locations", json={"pings": [bad, good]}, headers=member.auth)
    assert r.status_code == 202, r.text
    assert r.json()["accepted"] == 1 and [(x["index"], x["field"]) for x in r.json()["rejected"]] == [(0, "deviceId")]
    wait_for_stored(api, member, {good["id"]}, now - timedelta(minutes=1), now + timedelta(minutes=2))


# ---------------------------------------------------------------- duplicate keys


def _raw(api: httpx.Client, method: str, path: str, user: User, body: str) -> httpx.Response:
    return api.request(method, path, content=body.encode(), headers={**user.auth, "Content-Type": "application/json"})


def test_bodies_naming_a_member_twice_are_refused_at_any_depth(api: httpx.Client, member: User) -> None:
    before = api.get("/me", headers=member.auth).json()
    r = _raw(api, "PATCH", "/me", member, '{"fullName": "Good Name", "fullName": "Other Name"}')
    _refused(r, "fullName")
    assert "more than once" in r.json()["detail"]
    _refused(_raw(api, "PATCH", "/me", member, '{"fullName": "A Name", "\\u0066ullName": "B Name"}'), "fullName")
    assert api.get("/me", headers=member.auth).json() == before

    who = new_identity()
    body = json.dumps(registration_body(email=who.email))
    nested = body.replace('"country": "US"', '"country": "US", "country": "CA"')
    assert nested != body
    _refused(_raw(api, "POST", "/accounts", who, nested), "billingAddress.country")
    assert api.get("/me", headers=who.auth).status_code in (403, 404)

    set_location_consent(api, member, True)
    now = datetime.now(UTC)
    pings = [ping(now + timedelta(milliseconds=50), 0), ping(now + timedelta(milliseconds=60), 1)]
    text = json.dumps({"pings": pings})
    twice = text.replace(f'"id": "{pings[1]["id"]}"', f'"id": "{pings[1]["id"]}", "id": "{pings[0]["id"]}"')
    assert twice != text
    _refused(_raw(api, "POST", "/me/locations", member, twice), "pings.1.id")
    sentinel = ping(now + timedelta(milliseconds=70), 2)
    assert api.post("/me/locations", json={"pings": [sentinel]}, headers=member.auth).json()["accepted"] == 1
    stored = wait_for_stored(api, member, {sentinel["id"]}, now - timedelta(minutes=1), now + timedelta(minutes=2))
    assert stored == [sentinel["id"]]  # nothing of the refused batch was queued
