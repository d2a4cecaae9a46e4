"""My information through the API (issue 16): the tracking-windows preview, and a pending e-mail change that nobody
else sees and that a link applies only to its own user."""

from __future__ import annotations

import httpx

from tests.helpers import rid
from tests.integration.conftest import User, add_member, register_owner
from tests.integration.test_email import api_path, wait_for_mail

WINDOWS = [{"days": ["sat"], "start": "22:00", "end": "06:00"},
           {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "17:00"}]


def test_the_preview_lays_windows_on_real_time_across_a_clock_change(api: httpx.Client, owner: User) -> None:
    before = api.get("/me/tracking-schedule", headers=owner.auth).json()
    r = api.post("/me/tracking-schedule/preview", headers=owner.auth,
                 json={"timeZone": "America/Chicago", "windows": WINDOWS, "from": "2027-03-13", "days": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["from"], body["to"], body["timeZone"]) == ("2027-03-13", "2027-03-15", "America/Chicago")
    assert body["intervals"] == [
        {"start": "2027-03-13T22:00:00-06:00", "end": "2027-03-14T06:00:00-05:00", "minutes": 420},
        {"start": "2027-03-15T08:00:00-05:00", "end": "2027-03-15T17:00:00-05:00", "minutes": 540},
    ]
    assert body["clockChanges"] == [{"at": "2027-03-14T03:00:00-05:00", "offsetBefore": "-06:00",
                                     "offsetAfter": "-05:00"}]
    assert api.get("/me/tracking-schedule", headers=owner.auth).json() == before  # nothing stored
    # Without `from`: the coming 7 days from today in the zone.
    r = api.post("/me/tracking-schedule/preview", json={"timeZone": "Asia/Kolkata", "windows": WINDOWS},
                 headers=owner.auth)
    assert r.status_code == 200 and len(r.json()["intervals"]) in (5, 6), r.text


def test_a_bad_preview_names_the_field(api: httpx.Client, owner: User) -> None:
    for body, field in (
        ({"timeZone": "Mars/Olympus", "windows": WINDOWS}, "timeZone"),
        ({"timeZone": "UTC", "windows": WINDOWS, "days": 15}, "days"),
        ({"timeZone": "UTC", "windows": WINDOWS, "from": "1999-01-01"}, "from"),
        ({"timeZone": "UTC", "windows": [{"days": ["mon"], "start": "08:00", "end": "08:00"}]}, "windows.0"),
        ({"timeZone": "UTC", "windows": WINDOWS, "extra": 1}, "extra"),
    ):
        r = api.post("/me/tracking-schedule/preview", json=body, headers=owner.auth)
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
        assert r.json()["errors"][0]["field"] == field, r.text


def test_a_pending_address_is_seen_by_nobody_else_and_its_link_changes_only_its_user(api: httpx.Client) -> None:
    owner = register_owner(api)
    member, other = add_member(api, owner), add_member(api, owner)
    new_address = f"{rid('moving-')}@example.com"
    r = api.patch("/me", json={"email": new_address, "fullName": "Mo Ving"}, headers=member.auth)
    assert r.status_code == 200, r.text
    assert r.json() == {**r.json(), "fullName": "Mo Ving", "email": member.email, "pendingEmail": new_address}
    listed = api.get(f"/accounts/{owner.account_id}/members", headers=owner.auth)
    assert new_address not in listed.text and "pendingEmail" not in listed.text
    assert api.get("/me", headers=other.auth).json()["pendingEmail"] is None
    [mail] = wait_for_mail(new_address, subject="Confirm your e-mail address")
    assert api.post(api_path(mail.links("/api/email/verify/")[0])).status_code == 200
    emails = {m["userId"]: m["email"] for m in
              api.get(f"/accounts/{owner.account_id}/members", headers=owner.auth).json()["items"]}
    assert emails == {owner.user_id: owner.email, member.user_id: new_address, other.user_id: other.email}
