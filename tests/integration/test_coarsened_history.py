"""Coarsened history end to end (docs/coarsened-history.md): pings through the real ingest API over several days,
a run that crashes half-way through a day, the retention timer (twice), then the owner's track, the worker's own
track and the worker's export agree: old days hold only coarse points, recent days their precise pings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest

from core.adapters.cosmos import CosmosAccountStore, build_cosmos_client
from core.adapters.cosmos_coarse_history import CosmosCoarseHistoryStore
from core.adapters.cosmos_privacy import CosmosPrivacyStore
from core.adapters.cosmos_tracking import CosmosLatestPositionStore
from core.clock import SystemClock
from core.domain.geohash import coarse_cell
from core.domain.tracking import LatestPosition, PingSource
from core.services.coarsening import run_coarsening
from core.services.retention import RetentionPolicy
from tests.helpers import wait_for
from tests.integration.conftest import Stack, User, add_member, new_identity, register_owner
from tests.integration.test_data_requests_api import completed, export
from tests.integration.tracking_helpers import iso, post, route, set_location_consent, track_ids

CLOCK = "/admin/test-clock"


class Crash(Exception):
    pass


class CrashingStore(CosmosCoarseHistoryStore):
    """The real adapter, made to fail after a number of deletes (a crash half-way through a day)."""

    def __init__(self, database: Any, deletes_before_crash: int) -> None:
        super().__init__(database)
        self.left = deletes_before_crash

    def delete_pings(self, *, account_id: str, user_id: str, day: date, ping_ids: list[str]) -> int:
        if len(ping_ids) > self.left:
            super().delete_pings(account_id=account_id, user_id=user_id, day=day, ping_ids=ping_ids[: self.left])
            raise Crash("between deleting precise pings")
        self.left -= len(ping_ids)
        return super().delete_pings(account_id=account_id, user_id=user_id, day=day, ping_ids=ping_ids)


@pytest.fixture
def database(stack: Stack) -> Iterator[Any]:
    yield build_cosmos_client(stack.settings).get_database_client(stack.settings.cosmos_database)


def track(api: httpx.Client, user: User, path: str, day: date, days: int = 1) -> dict[str, Any]:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    r = api.get(
        path, params={"from": iso(start), "to": iso(start + timedelta(days=days)), "limit": "10000"}, headers=user.auth
    )
    assert r.status_code == 200, r.text
    doc: dict[str, Any] = r.json()
    return doc


def points(doc: dict[str, Any]) -> list[tuple[str, str, list[float]]]:
    return [
        (f["properties"]["id"], f["properties"]["time"], f["geometry"]["coordinates"])
        for f in doc["features"]
        if f["properties"]["kind"] == "ping"
    ]


def fire_timer(stack: Stack, store: CosmosCoarseHistoryStore, account_id: str) -> dict[str, Any]:
    """Fire the retention timer on the local host and wait for its coarsening run to be recorded."""
    seen = {r.run_id for r in store.list_runs(1000)}
    assert httpx.post(f"{stack.host_url}/admin/functions/purge_expired_data", json={}, timeout=10).status_code == 202
    run = wait_for(
        lambda: next((r for r in store.list_runs(1000) if r.run_id not in seen and r.finished_at), None),
        timeout=60,
        interval=0.3,
        what="the timer's coarsening run",
    )
    return {r.day.isoformat(): r for r in run.receipts if r.account_id == account_id}


def test_old_days_become_coarse_recent_ones_stay_and_every_view_agrees(
    api: httpx.Client, stack: Stack, database: Any
) -> None:
    today = datetime.now(UTC).date()
    old_a, old_b, recent = today - timedelta(days=39), today - timedelta(days=38), today - timedelta(days=2)
    admin = new_identity(admin=True)
    # The account and the consent exist 40 days ago (test clock), so the old pings were taken under consent.
    r = api.put(
        CLOCK, json={"now": iso(datetime.combine(today - timedelta(days=40), time(8), tzinfo=UTC))}, headers=admin.auth
    )
    assert r.status_code == 200, r.text
    try:
        owner = register_owner(api)
        member = add_member(api, owner)
        set_location_consent(api, member, True)
    finally:
        assert api.delete(CLOCK, headers=admin.auth).status_code == 200
    sent: dict[date, list[dict[str, Any]]] = {}
    for day in (old_a, old_b, recent):
        sent[day] = route(datetime.combine(day, time(9), tzinfo=UTC), 60, timedelta(seconds=60))  # 4 buckets
        assert post(api, member, sent[day])["accepted"] == 60
    for day in sent:
        start = datetime.combine(day, time(0), tzinfo=UTC)
        wait_for(
            lambda s=start, d=day: (
                set(track_ids(api, member, s, s + timedelta(days=1)))
                == {  # type: ignore[misc]  # the lambda's defaults bind this loop's values; mypy cannot infer a lambda default's type
                    p["id"] for p in sent[d]
                }
            ),
            timeout=30,
            what="the stored pings",
        )

    base = f"/accounts/{owner.account_id}"
    r = api.put(f"{base}/retention", json={"coarsenAfterDays": 400}, headers=owner.auth)
    assert r.status_code == 422 and "coarsenAfterDays" in r.text
    assert api.get(f"{base}/retention", headers=owner.auth).json()["coarsenAfterDays"] is None
    r = api.put(f"{base}/retention", json={"coarsenAfterDays": 30}, headers=member.auth)
    assert r.status_code == 403
    r = api.put(f"{base}/retention", json={"coarsenAfterDays": 30}, headers=owner.auth)
    assert r.status_code == 200 and r.json()["coarsenAfterDays"] == 30

    # A latest position older than 30 days (the owner's, written as the pings writer does) is snapped too.
    kept = (44.9778, -93.2650)
    CosmosLatestPositionStore(database).advance(
        LatestPosition(
            account_id=owner.account_id,
            user_id=owner.user_id,
            ping_id="old-fix",
            src=PingSource.GPS,
            acc=5,
            t=datetime.combine(old_a, time(10), tzinfo=UTC),
            lat=kept[0],
            lon=kept[1],
            updated_at=datetime.now(UTC),
        )
    )

    # A run that crashes after 10 of the first day's 60 deletes: the coarse points are written, part of the precise
    # pings are gone, the day is not marked.
    store = CosmosCoarseHistoryStore(database)
    privacy, accounts = CosmosPrivacyStore(database), CosmosAccountStore(database)
    with pytest.raises(Crash):
        run_coarsening(
            store=CrashingStore(database, 10),
            privacy=privacy,
            accounts=accounts,
            clock=SystemClock(),
            policy=RetentionPolicy(),
            max_pings=10**6,
        )
    half = store.day_pings(account_id=owner.account_id, user_id=member.user_id, day=old_a)
    assert len([p for p in half if p.ping_id.startswith("coarse-")]) == 4 and len(half) == 4 + 50
    assert store.coarse_days(account_id=owner.account_id, user_id=member.user_id, first=old_a, last=recent) == []

    receipts = fire_timer(stack, store, owner.account_id)  # the retention timer completes the day and goes on
    assert receipts[old_a.isoformat()].precise_removed == 50 and receipts[old_b.isoformat()].precise_removed == 60
    assert receipts[old_b.isoformat()].coarse_points == 4 and recent.isoformat() not in receipts

    latest = {
        i["userId"]: i["position"] for i in api.get(f"{base}/locations/latest", headers=owner.auth).json()["items"]
    }
    centre = coarse_cell(*kept).centre
    assert (latest[owner.user_id]["latitude"], latest[owner.user_id]["longitude"]) == (
        round(centre[0], 7),
        round(centre[1], 7),
    )
    last_sent = sent[recent][-1]
    assert (latest[member.user_id]["latitude"], latest[member.user_id]["longitude"]) == (
        last_sent["latitude"],
        last_sent["longitude"],
    )

    member_path = f"{base}/members/{member.user_id}/track"
    owner_view = track(api, owner, member_path, old_a, days=2)
    assert owner_view["coarseDays"] == [old_a.isoformat(), old_b.isoformat()]
    for day in (old_a, old_b):
        shown = points(track(api, owner, member_path, day))
        assert [i for i, _, _ in shown] == ["coarse-0900", "coarse-0915", "coarse-0930", "coarse-0945"]
        cells = {coarse_cell(p["latitude"], p["longitude"]).geohash for p in sent[day]}
        for _, _, (lon, lat) in shown:
            cell = coarse_cell(lat, lon)
            assert cell.geohash in cells and cell.area_km2 >= 1.0
            assert (round(cell.centre[0], 7), round(cell.centre[1], 7)) == (lat, lon)
    precise = track(api, owner, member_path, recent)
    assert precise["coarseDays"] == [] and [i for i, _, _ in points(precise)] == [p["id"] for p in sent[recent]]

    # The timer again: nothing changes, nothing is counted twice.
    before = points(owner_view)
    assert fire_timer(stack, store, owner.account_id) == {}
    owner_view = track(api, owner, member_path, old_a, days=2)
    assert points(owner_view) == before and len(before) == 4 + 4
    assert points(track(api, owner, member_path, recent)) == points(precise)

    # The worker's own view and export say the same.
    mine = track(api, member, "/me/track", old_a, days=2)
    assert mine["coarseDays"] == owner_view["coarseDays"] and points(mine) == before
    assert points(track(api, member, "/me/track", recent)) == points(precise)
    zf = export(api, member)
    assert [d["day"] for d in json.loads(zf.read("coarse-days.json"))] == [old_a.isoformat(), old_b.isoformat()]
    assert f"Coarse days (UTC): {old_a.isoformat()}, {old_b.isoformat()}." in zf.read("README.txt").decode()
    geo = json.loads(zf.read("pings.geojson"))
    exported = [
        (f["properties"]["id"], f["properties"]["time"], f["geometry"]["coordinates"])
        for f in geo["features"]
        if f["properties"]["kind"] == "ping"
    ]
    assert exported == before + points(precise)
    assert all(
        f["properties"].get("coarse") is True
        for f in geo["features"]
        if f["properties"]["kind"] == "ping" and f["properties"]["id"].startswith("coarse-")
    )

    # Erasure removes the markers and the watermark with the pings (privacy registry kinds).
    r = api.post("/me/data-requests", json={"type": "erasure"}, headers=member.auth)
    assert r.status_code == 202, r.text
    done = completed(api, member, r.json()["requestId"])
    assert done["erased"]["coarse-days"] == 2 and done["erased"]["coarse-watermarks"] == 1
    assert store.coarse_days(account_id=owner.account_id, user_id=member.user_id, first=old_a, last=recent) == []
    assert store.get_watermark(account_id=owner.account_id, user_id=member.user_id) is None
