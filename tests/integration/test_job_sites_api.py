"""Job sites, visits and timesheets over HTTP against the real emulators: CRUD with validation and tenancy, and
pings sent through the real ingest API (out of order, re-sent) that the writer turns into the visit, stops and
trips a hand computation gives (docs/job-sites.md)."""

from __future__ import annotations

import csv
import io
import math
import os
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from core.adapters.cosmos import build_cosmos_client
from core.adapters.cosmos_tracking import CosmosConsentLedger
from core.domain.consent import Capability, ConsentEntry
from core.settings import Settings
from tests.helpers import wait_for
from tests.integration.conftest import Stack, User, add_member, register_owner
from tests.integration.tracking_helpers import iso, post

LAT, LON = 44.9778, -93.2650  # Minneapolis
M_PER_DEG = 111_195.0
CHICAGO = ZoneInfo("America/Chicago")


def at(dx: float, dy: float = 0.0) -> tuple[float, float]:
    return LAT + dy / M_PER_DEG, LON + dx / (M_PER_DEG * math.cos(math.radians(LAT)))


def circle(dx: float, radius: float, **extra: Any) -> dict[str, Any]:
    lat, lon = at(dx)
    return {
        "name": f"site at {dx:.0f}",
        "address": "1 Site Rd",
        **extra,
        "area": {"kind": "circle", "centre": {"latitude": lat, "longitude": lon}, "radius": radius},
    }


def polygon(dx: float) -> dict[str, Any]:
    corners = [at(dx + x, y) for x, y in [(0, 0), (200, 0), (200, 100), (0, 100)]]
    ring = [[lon, lat] for lat, lon in [*corners, corners[0]]]
    return {"name": "yard", "area": {"kind": "polygon", "geometry": {"type": "Polygon", "coordinates": [ring]}}}


def backdate_location_consent(stack: Stack, user: User, since: datetime) -> None:
    """The worker granted location access a week ago (seeded in the ledger: the API records the server clock)."""
    database = build_cosmos_client(Settings()).get_database_client(os.environ["COSMOS_DATABASE"])
    CosmosConsentLedger(database).append(
        ConsentEntry(
            entry_id=f"consent-location-{uuid.uuid4().hex}",
            account_id=user.account_id,
            user_id=user.user_id,
            capability=Capability.LOCATION,
            granted=True,
            recorded_at=since,
            device_id="phone-1",
            app_version="5.0.0",
            policy_version="2023-06-15",
        )
    )


def fix(t: datetime, dx: float) -> dict[str, Any]:
    lat, lon = at(dx)
    return {
        "id": str(uuid.uuid4()),
        "timestamp": iso(t),
        "latitude": lat,
        "longitude": lon,
        "horizontalAccuracy": 8.0,
        "source": "gps",
    }


def workday(start: datetime) -> list[dict[str, Any]]:
    """Every 30 s: home stop at x=-3 km (fixes 0-19), drive to the site (20-28), on site at x=0 (29-88), drive
    6 km east (89-108), stop there (108-138)."""
    xs = [-3000.0] * 20 + [-3000.0 + 300 * k for k in range(1, 10)] + [0.0] * 60
    xs += [300.0 * k for k in range(1, 21)] + [6000.0] * 30
    return [fix(start + timedelta(seconds=30 * i), x) for i, x in enumerate(xs)]


@pytest.fixture
def team(api: httpx.Client) -> tuple[User, User, User]:
    owner = register_owner(api)
    worker, other = add_member(api, owner), add_member(api, owner)
    r = api.patch("/me", json={"timeZone": "America/Chicago"}, headers=worker.auth)
    assert r.status_code == 200, r.text
    return owner, worker, other


def test_crud_validation_and_tenancy(api: httpx.Client, team: tuple[User, User, User]) -> None:
    owner, worker, other = team
    base = f"/accounts/{owner.account_id}/job-sites"
    r = api.post(base, json=circle(0, 100), headers=owner.auth)
    assert r.status_code == 201, r.text
    site = r.json()
    assert site["area"]["radius"] == 100 and site["assignedMemberIds"] == []
    r = api.post(
        base,
        json={"name": "x", "area": {"kind": "circle", "centre": {"latitude": 1, "longitude": 1}}},
        headers=owner.auth,
    )
    assert r.status_code == 201 and r.json()["area"]["radius"] == 150  # the default radius
    r = api.post(base, json=polygon(1000), headers=owner.auth)
    assert r.status_code == 201, r.text
    for body, field in (
        (circle(0, 20), "radius"),
        ({"name": "", "area": circle(0, 100)["area"]}, "name"),
        (
            {
                **polygon(0),
                "area": {
                    "kind": "polygon",
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [[[0, 0], [0.01, 0.01], [0.01, 0], [0, 0.01], [0, 0]]],
                    },
                },
            },
            "geometry",
        ),
        (circle(0, 100, assignedMemberIds=["not-a-member"]), "assignedMemberIds.0"),
    ):
        r = api.post(base, json=body, headers=owner.auth)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert any(field in e["field"] for e in r.json()["errors"]), r.json()
    r = api.patch(
        f"{base}/{site['siteId']}", json={"assignedMemberIds": [other.user_id], "name": "Depot"}, headers=owner.auth
    )
    assert r.status_code == 200 and r.json()["name"] == "Depot" and r.json()["area"]["radius"] == 100
    r = api.get(base, headers=owner.auth)
    assert r.status_code == 200, r.text
    names = {s["name"] for s in r.json()["items"]}
    assert names >= {"Depot", "yard", "x"}
    mine = {s["name"] for s in api.get("/me/job-sites", headers=worker.auth).json()["items"]}
    assert "Depot" not in mine and {"yard", "x"} <= mine  # assigned to someone else; the others apply to all
    assert "Depot" in {s["name"] for s in api.get("/me/job-sites", headers=other.auth).json()["items"]}
    stranger = register_owner(api)
    for method in ("GET", "PATCH", "DELETE"):
        kwargs: dict[str, Any] = {"json": {"name": "mine"}} if method == "PATCH" else {}
        r = api.request(method, f"{base}/{site['siteId']}", headers=stranger.auth, **kwargs)
        assert r.status_code == 404, (method, r.text)
        r = api.request(
            method, f"/accounts/{stranger.account_id}/job-sites/{site['siteId']}", headers=stranger.auth, **kwargs
        )
        assert r.status_code == 404, (method, r.text)
    assert api.post(base, json=circle(0, 100), headers=worker.auth).status_code == 403
    assert api.delete(f"{base}/{site['siteId']}", headers=owner.auth).status_code == 204
    assert api.get(f"{base}/{site['siteId']}", headers=owner.auth).status_code == 404


def test_pings_through_ingest_make_the_hand_computed_timesheet(
    api: httpx.Client, stack: Stack, team: tuple[User, User, User]
) -> None:
    owner, worker, other = team
    base = f"/accounts/{owner.account_id}/job-sites"
    site = api.post(base, json=circle(0, 100), headers=owner.auth).json()
    assert (
        api.post(base, json=circle(6000, 100, assignedMemberIds=[other.user_id]), headers=owner.auth).status_code == 201
    )  # where the worker's last stop is: not theirs
    assert api.post(base, json=polygon(-1500), headers=owner.auth).status_code == 201  # never visited
    day = (datetime.now(CHICAGO) - timedelta(days=3)).date()
    start = datetime.combine(day, time(10, 0), tzinfo=CHICAGO).astimezone(UTC)
    backdate_location_consent(stack, worker, start - timedelta(days=7))
    pings = workday(start)
    # the second half first, then the first half (late), then part of it again (a re-send)
    assert post(api, worker, pings[70:])["accepted"] == len(pings) - 70
    assert post(api, worker, pings[:70])["accepted"] == 70
    again = post(api, worker, pings[20:40])  # accepted again while still queued: the writer stores it once
    assert again["accepted"] + again["duplicates"] == 20

    # Hand computation (30 s fixes from 10:00 local): enter at the first fix inside (fix 29, +870 s), exit at the
    # first fix beyond 100 m + 20 m (fix 89, +2,670 s): 1,800 s on site. Unsited stops: home (fixes 0-19, 570 s)
    # and x=6 km (fixes 108-138, 900 s; the site there is assigned to someone else). Trips: fix 19 -> 29 (3 km,
    # 300 s) and fix 88 -> 108 (6 km, 600 s).
    params = {"from": day.isoformat(), "to": day.isoformat()}

    def settled() -> dict[str, Any] | None:
        r = api.get("/me/timesheet", params=params, headers=worker.auth)
        assert r.status_code == 200, r.text
        days = r.json()["days"]
        return (
            days[0]
            if days and days[0]["sites"] and len(days[0]["trips"]) == 2 and days[0]["sites"][0]["seconds"] == 1800
            else None
        )

    row = wait_for(settled, timeout=60, interval=0.5, what="the evaluated day")
    assert row["date"] == day.isoformat() and row["timeZone"] == "America/Chicago"
    (on_site,) = row["sites"]
    assert on_site["siteId"] == site["siteId"] and on_site["visits"] == 1
    assert on_site["firstArrival"].startswith(iso(start + timedelta(seconds=870))[:19])
    assert row["onSiteSeconds"] == 1800
    assert [s["seconds"] for s in row["unsitedStops"]] == [570, 900]
    assert [t["seconds"] for t in row["trips"]] == [300, 600]
    assert [t["distanceMeters"] for t in row["trips"]] == pytest.approx([3000, 6000], rel=0.005)
    assert row["distanceMeters"] == pytest.approx(9000, rel=0.005)

    r = api.get(
        f"/accounts/{owner.account_id}/timesheets", params={**params, "memberId": worker.user_id}, headers=owner.auth
    )
    assert r.status_code == 200, r.text
    assert r.json()["days"] == [row]
    r = api.get(
        f"/accounts/{owner.account_id}/timesheets",
        params={**params, "siteId": site["siteId"]},
        headers={**owner.auth, "Accept": "text/csv"},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(x["memberId"], x["kind"], x["seconds"]) for x in rows if x["kind"] == "site"] == [
        (worker.user_id, "site", "1800")
    ]
    log = api.get("/me/access-log", headers=worker.auth).json()
    assert any(e["data"] == "visits" for e in log["items"]), log
    assert api.get(f"/accounts/{owner.account_id}/timesheets", params=params, headers=worker.auth).status_code == 403
    for bad in (
        {"from": day.isoformat(), "to": (day - timedelta(days=1)).isoformat()},
        {"from": day.isoformat(), "to": (day + timedelta(days=40)).isoformat()},
    ):
        r = api.get("/me/timesheet", params=bad, headers=worker.auth)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.to"
    assert date.fromisoformat(row["date"]) == day


def _pages(api: httpx.Client, path: str, caller: User) -> tuple[list[str], list[str]]:
    ids: list[str] = []
    tokens: list[str] = []
    token: str | None = None
    while True:
        r = api.get(path, params={"limit": "2", **({"continuation": token} if token else {})}, headers=caller.auth)
        assert r.status_code == 200, r.text
        ids += [s["siteId"] for s in r.json()["items"]]
        token = r.json()["continuation"]
        assert r.headers.get("x-continuation") == token  # the header carries the same sealed token
        if not token:
            return ids, tokens
        tokens.append(token)


def test_both_site_lists_page_with_sealed_tokens(api: httpx.Client, team: tuple[User, User, User]) -> None:
    owner, worker, other = team
    base = f"/accounts/{owner.account_id}/job-sites"
    everyone = [api.post(base, json=circle(100 * i, 100), headers=owner.auth).json()["siteId"] for i in range(4)]
    theirs = api.post(base, json=circle(900, 100, assignedMemberIds=[other.user_id]), headers=owner.auth)
    mine, tokens = _pages(api, "/me/job-sites", worker)
    assert mine == sorted(everyone) and len(tokens) == 1  # by site id; the site assigned to someone else is left out
    assert "." in tokens[0] and tokens[0] not in everyone  # sealed, not a bare site id
    all_sites, owner_tokens = _pages(api, base, owner)
    assert all_sites == sorted([*everyone, theirs.json()["siteId"]]) and len(owner_tokens) == 2
    for path, caller in (("/me/job-sites", other), (base, owner)):  # another member's list, the owner's list
        r = api.get(path, params={"continuation": tokens[0]}, headers=caller.auth)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.continuation", r.text
    r = api.get("/me/job-sites", params={"continuation": owner_tokens[0]}, headers=worker.auth)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.continuation", r.text
