"""My information through the API (issue 16): the tracking-windows preview. (The pending e-mail change's tenancy
proof is in test_tenancy_matrix.py, its rules in test_email.py.)"""

from __future__ import annotations

import httpx

from tests.integration.conftest import User

WINDOWS = [
    {"days": ["sat"], "start": "22:00", "end": "06:00"},
    {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "17:00"},
]


def test_the_preview_lays_windows_on_real_time_across_a_clock_change(api: httpx.Client, owner: User) -> None:
    before = api.get("/me/tracking-schedule", headers=owner.auth).json()
    r = api.post(
        "/me/tracking-schedule/preview",
        headers=owner.auth,
        json={"timeZone": "America/Chicago", "windows": WINDOWS, "from": "2027-03-13", "days": 3},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["from"], body["to"], body["timeZone"]) == ("2027-03-13", "2027-03-15", "America/Chicago")
    assert body["intervals"] == [
        {"start": "2027-03-13T22:00:00-06:00", "end": "2027-03-14T06:00:00-05:00", "minutes": 420},
        {"start": "2027-03-15T08:00:00-05:00", "end": "2027-03-15T17:00:00-05:00", "minutes": 540},
    ]
    assert body["clockChanges"] == [
        {"at": "2027-03-14T03:00:00-05:00", "offsetBefore": "-06:00", "offsetAfter": "-05:00"}
    ]
    assert api.get("/me/tracking-schedule", headers=owner.auth).json() == before  # nothing stored
    # Without `from`: the coming 7 days from today in the zone.
    r = api.post(
        "/me/tracking-schedule/preview", json={"timeZone": "Asia/Kolkata", "windows": WINDOWS}, headers=owner.auth
    )
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
