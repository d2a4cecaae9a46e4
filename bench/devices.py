"""Existing-app ingest benchmark on the local stack (loopback only): the same pings sent as Overland batches of 200
through `POST /api/ingest/overland` (device token) and as batches of 200 through `POST /api/me/locations` (JWT).

    .venv/bin/python -m bench.devices [--pings 2000] [--batch 200] [--rounds 2]

It starts its own local host on a free port with a scratch database and queues (bench/lib/stack.py), serving
bench/ingest_app.py (the product's app plus counters of every request the host makes to Cosmos DB and the queues,
by function). Each round sends the same positions and times once per mode, each mode to a fresh member (so that
neither sees the other's pings as duplicates), one call after another, and waits until every ping is stored
(counted by this process with a single-partition count query, which the host does not see). Printed per 1,000
pings: HTTP calls, Cosmos DB requests by the ingest call, by the pings writer and outside both (authentication:
the JWT user read or the device token's three point reads, plus anything else the host did meanwhile), queue
operations, time in the ingest calls, and time from the first call until the last ping was stored.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bench.lib.measure import Phase, call_counts, counters, split_key
from bench.lib.people import add_member, identity, iso, open_account
from bench.lib.stack import start_stack, stop_stack

INGEST_FUNCTIONS = ("ingest_overland", "ingest_locations")


def setup(client: httpx.Client, members: int) -> tuple[str, list[tuple[str, dict[str, str], str]]]:
    """An account and `members` consenting members, each with a device token: (user id, JWT header, token)."""
    owner = identity("benchdev")
    account_id = open_account(client, owner)
    out = []
    for _ in range(members):
        member = identity("benchdev")
        add_member(client, account_id, owner, member, device_id="bench", app_version="1")
        made = client.post("/me/devices", json={"name": "bench"}, headers=member.auth)
        made.raise_for_status()
        out.append((member.user_id, member.auth, str(made.json()["token"])))
    return account_id, out


def fixes(count: int, start: datetime) -> list[tuple[datetime, float, float]]:
    return [(start + timedelta(milliseconds=5 * i), 44.97 + i * 1e-5, -93.26 + i * 7e-6) for i in range(count)]


def overland_batch(chunk: list[tuple[datetime, float, float]]) -> dict[str, Any]:
    return {
        "locations": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {
                    "timestamp": iso(t),
                    "horizontal_accuracy": 8,
                    "altitude": 250,
                    "speed": 1.4,
                    "course": 45,
                    "battery_level": 0.8,
                },
            }
            for t, lat, lon in chunk
        ]
    }


def api_batch(chunk: list[tuple[datetime, float, float]]) -> dict[str, Any]:
    return {
        "pings": [
            {
                "id": str(uuid.uuid4()),
                "timestamp": iso(t),
                "latitude": lat,
                "longitude": lon,
                "horizontalAccuracy": 8.0,
                "altitude": 250.0,
                "speed": 1.4,
                "heading": 45.0,
                "batteryLevel": 80.0,
                "source": "fused",
            }
            for t, lat, lon in chunk
        ]
    }


def stored(database: Any, account_user: str, days: set[str]) -> int:
    pings = database.get_container_client("pings")
    total = 0
    for day in days:
        pk = f"{account_user}|{day}"
        total += int(
            next(
                iter(
                    pings.query_items(
                        "SELECT VALUE COUNT(1) FROM c WHERE c.pk = @pk",
                        parameters=[{"name": "@pk", "value": pk}],
                        partition_key=pk,
                    )
                )
            )
        )
    return total


def run(
    client: httpx.Client,
    database: Any,
    account_id: str,
    member: tuple[str, dict[str, str], str],
    points: list[tuple[datetime, float, float]],
    batch: int,
    overland: bool,
) -> Phase:
    uid, auth, token = member
    result = Phase(pings=len(points))
    before = counters(client)
    started = time.perf_counter()
    for i in range(0, len(points), batch):
        chunk = points[i : i + batch]
        t0 = time.perf_counter()
        if overland:
            r = client.post(
                "/ingest/overland", json=overland_batch(chunk), headers={"Authorization": f"Bearer {token}"}
            )
            ok = r.status_code == 200 and r.json() == {"result": "ok"}
        else:
            r = client.post("/me/locations", json=api_batch(chunk), headers=auth)
            ok = r.status_code == 202 and r.json()["accepted"] == len(chunk)
        result.latencies.append(time.perf_counter() - t0)
        result.http += 1
        if not ok:
            raise SystemExit(f"unexpected answer {r.status_code}: {r.text[:300]}")
    days = {t.date().isoformat() for t, _, _ in points}
    deadline = time.monotonic() + 300
    while stored(database, f"{account_id}|{uid}", days) < len(points):
        if time.monotonic() > deadline:
            raise SystemExit("pings were not all stored within 5 minutes")
        time.sleep(0.1)
    result.seconds = time.perf_counter() - started
    result.counts = counters(client)
    result.counts.subtract(before)
    return result


def per_thousand(result: Phase, queue: str) -> dict[str, float]:
    """Per 1,000 pings: HTTP calls, queue operations, Cosmos DB requests of the ingest calls, of the pings writer and
    of every other function (authentication included), and the times."""
    ingest = call_counts(result, queue, INGEST_FUNCTIONS)
    writer = call_counts(result, queue, ("write_pings",))
    every = call_counts(result, queue, tuple({split_key(key)[0] for key in result.counts}))
    return {
        "http": ingest["http"],
        "ingest": ingest["cosmos"],
        "writer": writer["cosmos"],
        "other": every["cosmos"] - ingest["cosmos"] - writer["cosmos"],
        "queue": ingest["queue"],
        "call_s": sum(result.latencies) * 1000 / result.pings,
        "stored_s": result.seconds * 1000 / result.pings,
        "p50_ms": statistics.median(result.latencies) * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pings", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    stack = start_stack("benchdev")  # bench/ingest_app.py for its counters (the baseline stays idle)
    try:
        database = stack.database
        with httpx.Client(base_url=stack.url, timeout=120) as client:
            account_id, members = setup(client, 2 * args.rounds)
            totals = {True: Phase(), False: Phase()}
            for n in range(args.rounds):
                points = fixes(args.pings, datetime.now(UTC) + timedelta(seconds=1))
                for overland in (True, False) if n % 2 == 0 else (False, True):
                    member = members[2 * n + (0 if overland else 1)]
                    totals[overland].add(run(client, database, account_id, member, points, args.batch, overland))
        report(totals, stack.settings.queue_location_pings, args)
    finally:
        stop_stack(stack)
    return 0


def report(totals: dict[bool, Phase], queue: str, args: argparse.Namespace) -> None:
    ours, api = per_thousand(totals[True], queue), per_thousand(totals[False], queue)
    rows = [
        ("HTTP calls", "http", "{:.0f}"),
        ("Cosmos DB requests, ingest call", "ingest", "{:.0f}"),
        ("Cosmos DB requests, pings writer", "writer", "{:.0f}"),
        ("Cosmos DB requests, authentication and other", "other", "{:.0f}"),
        ("Queue operations", "queue", "{:.0f}"),
        ("Time in ingest calls (s)", "call_s", "{:.2f}"),
        ("Time from first call to all stored (s)", "stored_s", "{:.2f}"),
        ("Ingest call p50 (ms, one batch)", "p50_ms", "{:.0f}"),
    ]
    print(
        f"Overland batches vs POST /api/me/locations: {args.rounds} rounds x {args.pings} pings, "
        f"{args.batch} per call, per 1,000 pings"
    )
    print(f"| Figure | Overland ({args.batch}/call) | /api/me/locations ({args.batch}/call) |")
    print("|---|---|---|")
    for label, key, fmt in rows:
        print(f"| {label} | {fmt.format(ours[key])} | {fmt.format(api[key])} |")


if __name__ == "__main__":
    raise SystemExit(main())
