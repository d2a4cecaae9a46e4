"""Expiry by the store, black box on the local stack with the test clock (issue 27; docs/privacy-and-retention.md,
"Which kinds expire how"): an account whose members hold more pings than the old purge's daily budget, retention at
its minimum, one member under a legal hold placed AFTER their pings were stored (the re-stamp job must reach them).
The test clock moves the local Cosmos DB server's clock too (StoreClock): one simulated day past the retention,
nothing expired is readable or stored, the held member's pings are all there, and after the hold is lifted they go.

Needs the launcher that models time-to-live (tools/cosmos-emulator.js with `/_emulator/clock`): run with
COSMOS_ENDPOINT pointing at one (scripts/cosmos_emulator.py); skipped on an older server."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from core.bootstrap import Container
from core.domain.tracking import Ping, PingSource
from tests.integration.conftest import Stack, add_member, new_identity, register_owner
from tests.integration.test_data_requests_api import export
from tests.integration.tracking_helpers import post, route, set_location_consent, track_ids, wait_for_stored

MEMBERS = 30
PINGS_EACH = 1000  # 30,000 pings: more than the old purge's 20,000 a day
CLOCK = "/admin/test-clock"


def _has_clock(stack: Stack) -> bool:
    try:
        r = httpx.get(stack.settings.cosmos_endpoint + "/_emulator/clock", verify=False, timeout=3)  # noqa: S501
    except httpx.HTTPError:
        return False
    return r.status_code == 200


def _wait(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


def _stored(root: Container, prefix: str) -> list[dict[str, Any]]:
    pings = root.database.get_container_client("pings")
    return list(
        pings.query_items(
            "SELECT c.id, c.pk, c.ttl FROM c WHERE STARTSWITH(c.pk, @p)",
            parameters=[{"name": "@p", "value": prefix}],
            enable_cross_partition_query=True,
        )
    )


def test_expired_pings_go_by_the_store_and_a_held_member_keeps_theirs(api: httpx.Client, stack: Stack) -> None:
    if not _has_clock(stack):
        pytest.skip("the Cosmos DB server at COSMOS_ENDPOINT does not model time-to-live (an older launcher)")
    admin = new_identity(admin=True)
    owner = register_owner(api)
    members = [add_member(api, owner) for _ in range(MEMBERS)]
    held, sender = members[0], members[1]
    account = owner.account_id
    r = api.put(f"/accounts/{account}/retention", json={"locationDays": 30}, headers=owner.auth)
    assert r.status_code == 200, r.text
    assert api.delete(CLOCK, headers=admin.auth).status_code == 200

    # one member through the real ingest and writer (pings taken after the grant)
    set_location_consent(api, sender, True)
    now = datetime.now(UTC)
    day_start = datetime(now.year, now.month, now.day, tzinfo=UTC)
    sent = route(now + timedelta(milliseconds=50), 5, step=timedelta(milliseconds=10))
    assert post(api, sender, sent)["accepted"] == len(sent)
    wait_for_stored(api, sender, {p["id"] for p in sent}, day_start, now + timedelta(minutes=1))
    # the crew's day, through the app's own ping store (the root the host builds: the same ttl stamp)
    root = Container(stack.settings)
    for m in members:
        pings = [
            Ping(
                ping_id=str(uuid.uuid4()),
                t=day_start + timedelta(seconds=10 * i),
                lat=44.97 + i * 1e-5,
                lon=-93.26,
                acc=8.0,
                src=PingSource.GPS,
            )
            for i in range(PINGS_EACH)
        ]
        root.pings.write_day(account_id=account, user_id=m.user_id, day=day_start.date(), pings=pings)
    stored = _stored(root, f"{account}|")
    assert len(stored) == MEMBERS * PINGS_EACH + len(sent)
    assert all(isinstance(d.get("ttl"), int) and d["ttl"] > 0 for d in stored), "a ping was written without a ttl"

    # the hold comes after the pings: the re-stamp job must give every one of the member's pings ttl -1
    r = api.post(
        "/platform/legal-holds",
        json={"accountId": account, "userId": held.user_id, "reason": "dispute"},
        headers=admin.auth,
    )
    assert r.status_code in (200, 201), r.text
    hold_id = r.json()["holdId"]
    _wait(
        lambda: all(d.get("ttl") == -1 for d in _stored(root, f"{account}|{held.user_id}|")),
        "the held member's pings re-stamped",
    )

    try:
        # past the retention (30 days after the day's end) and one simulated day more
        moved = day_start + timedelta(days=1 + 30 + 1, minutes=5)
        r = api.put(CLOCK, json={"now": moved.isoformat(), "frozen": False}, headers=admin.auth)
        assert r.status_code == 200, r.text

        left = _stored(root, f"{account}|")
        assert {d["pk"].split("|")[1] for d in left} == {held.user_id}
        assert len(left) == PINGS_EACH
        assert track_ids(api, sender, day_start, day_start + timedelta(days=1)) == []
        r = api.get(f"/accounts/{account}/locations/latest", headers=owner.auth)
        assert r.status_code == 200, r.text
        assert {i["userId"] for i in r.json()["items"] if i["position"] is not None} <= {held.user_id}
        assert sender.user_id in {i["userId"] for i in r.json()["items"]}  # listed, without its expired position

        # the data export: nothing expired of the sender, every ping of the held member
        geo = json.loads(export(api, sender).read("pings.geojson"))
        assert [f for f in geo["features"] if f["properties"]["kind"] == "ping"] == []
        geo = json.loads(export(api, held).read("pings.geojson"))
        assert len([f for f in geo["features"] if f["properties"]["kind"] == "ping"]) == PINGS_EACH

        # lifting the hold: the items get their normal ttl back, whose end has passed: they go at once
        r = api.delete(f"/platform/accounts/{account}/legal-holds/{hold_id}", headers=admin.auth)
        assert r.status_code == 200, r.text
        _wait(lambda: _stored(root, f"{account}|") == [], "the held member's pings gone after the lift")
    finally:
        assert api.delete(CLOCK, headers=admin.auth).status_code == 200
