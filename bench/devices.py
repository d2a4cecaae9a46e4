"""Existing-app ingest benchmark on the local stack (loopback only): the same pings sent as Overland batches of 200
through `POST /api/ingest/overland` (device token) and as batches of 200 through `POST /api/me/locations` (JWT).

    .venv/bin/python -m bench.devices [--pings 2000] [--batch 200] [--rounds 2]

It starts its own local host on a free port with a scratch database and queues (bench/local_host.py), serving
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
import contextlib
import os
import statistics
import time
import uuid
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bench.local_host import scratch_settings, start_host, stop_host

INGEST_FUNCTIONS = ("ingest_overland", "ingest_locations")


@dataclass
class Result:
    pings: int = 0
    http: int = 0
    call_seconds: list[float] = field(default_factory=list)
    to_stored: float = 0.0
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, other: Result) -> None:
        self.pings += other.pings
        self.http += other.http
        self.call_seconds += other.call_seconds
        self.to_stored += other.to_stored
        self.counts.update(other.counts)


def _identity() -> tuple[str, str, dict[str, str]]:
    from scripts import dev_issuer

    uid = f"benchdev-{uuid.uuid4().hex[:12]}"
    email = f"{uid}@example.com"
    return uid, email, {"Authorization": f"Bearer {dev_issuer.mint(uid, email)}"}


def setup(client: httpx.Client, members: int) -> tuple[str, list[tuple[str, dict[str, str], str]]]:
    """An account and `members` consenting members, each with a device token: (user id, JWT header, token)."""
    _, email, owner = _identity()
    body = {
        "fullLegalName": "Bench Owner",
        "companyName": "Bench Co",
        "email": email,
        "timeZone": "UTC",
        "dateOfBirth": "1980-01-01",
        "billingAddress": {"line1": "1 Main St", "city": "Plymouth", "postalCode": "55441", "country": "US"},
    }
    r = client.post("/accounts", json=body, headers=owner)
    r.raise_for_status()
    account_id = r.json()["account"]["accountId"]
    out = []
    for _ in range(members):
        uid, email, auth = _identity()
        r = client.post(f"/accounts/{account_id}/invitations", json={"email": email}, headers=owner)
        r.raise_for_status()
        client.post(f"/invitations/{r.json()['token']}/accept", json={}, headers=auth).raise_for_status()
        client.put(
            "/me/consents/location", json={"granted": True, "deviceId": "bench", "appVersion": "1"}, headers=auth
        ).raise_for_status()
        made = client.post("/me/devices", json={"name": "bench"}, headers=auth)
        made.raise_for_status()
        out.append((uid, auth, str(made.json()["token"])))
    return account_id, out


def fixes(count: int, start: datetime) -> list[tuple[datetime, float, float]]:
    return [(start + timedelta(milliseconds=5 * i), 44.97 + i * 1e-5, -93.26 + i * 7e-6) for i in range(count)]


def iso(t: datetime) -> str:
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
) -> Result:
    uid, auth, token = member
    result = Result(pings=len(points))
    before = Counter(client.get("/bench/counters").json())
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
        result.call_seconds.append(time.perf_counter() - t0)
        result.http += 1
        if not ok:
            raise SystemExit(f"unexpected answer {r.status_code}: {r.text[:300]}")
    days = {t.date().isoformat() for t, _, _ in points}
    deadline = time.monotonic() + 300
    while stored(database, f"{account_id}|{uid}", days) < len(points):
        if time.monotonic() > deadline:
            raise SystemExit("pings were not all stored within 5 minutes")
        time.sleep(0.1)
    result.to_stored = time.perf_counter() - started
    result.counts = Counter(client.get("/bench/counters").json())
    result.counts.subtract(before)
    return result


def per_thousand(result: Result, queue: str) -> dict[str, float]:
    ingest = writer = other = queue_ops = 0
    for key, n in result.counts.items():
        fn, _, what = key.partition(" ")
        if what.startswith(f"queue.{queue}.") and not what.endswith("receive-empty"):
            queue_ops += n
        elif what.startswith(("cosmos.request.", "cosmos.meta.")):
            if fn in INGEST_FUNCTIONS:
                ingest += n
            elif fn == "write_pings":
                writer += n
            else:
                other += n
    k = 1000 / result.pings
    return {
        "http": result.http * k,
        "ingest": ingest * k,
        "writer": writer * k,
        "other": other * k,
        "queue": queue_ops * k,
        "call_s": sum(result.call_seconds) * k,
        "stored_s": result.to_stored * k,
        "p50_ms": statistics.median(result.call_seconds) * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pings", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    settings, suffix = scratch_settings("benchdev")
    from core.adapters.queues import build_queue_service

    naive_queue = f"bench-naive-{suffix}"  # bench/ingest_app.py's baseline queue: idle here, but the host polls it
    os.environ["BENCH_NAIVE_QUEUE"] = naive_queue
    queues = build_queue_service(settings)
    queues.create_queue(naive_queue)
    proc, url, _ = start_host(f"devhost-benchdev-{suffix}", app="bench.ingest_app")
    try:
        from core.adapters.cosmos import build_cosmos_client

        database = build_cosmos_client(settings).get_database_client(settings.cosmos_database)
        with httpx.Client(base_url=url, timeout=120) as client:
            account_id, members = setup(client, 2 * args.rounds)
            totals = {True: Result(), False: Result()}
            for n in range(args.rounds):
                points = fixes(args.pings, datetime.now(UTC) + timedelta(seconds=1))
                for overland in (True, False) if n % 2 == 0 else (False, True):
                    member = members[2 * n + (0 if overland else 1)]
                    totals[overland].add(run(client, database, account_id, member, points, args.batch, overland))
        report(totals, settings.queue_location_pings, args)
    finally:
        stop_host(proc)
        from scripts.provision import drop

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            drop(settings)
        with contextlib.suppress(Exception):  # best effort clean-up
            queues.delete_queue(naive_queue)
    return 0


def report(totals: dict[bool, Result], queue: str, args: argparse.Namespace) -> None:
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
