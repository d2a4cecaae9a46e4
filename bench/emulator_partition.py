"""Partition-scoped query and point-read latency on the local Cosmos DB stand-in as its container grows (issue 27).

    .venv/bin/python -m bench.emulator_partition [--sizes 10000,100000,1000000] [--partitions 1000]
                                                 [--repeat 300] [--budget-seconds 540]

Starts an emulator of its own (tools/cosmos-emulator.js on a free port, scripts/cosmos_emulator.py) and fills one
container, partitioned on /pk, with small ping-like documents spread evenly over --partitions partitions
(transactional batches of at most 100 creates, four at a time). At each size it times, one request at a time from
one client built as the app builds it: a partition-scoped query of the pings writer's day-query shape
(`c.pk = @pk AND c.t` in a one-hour window `ORDER BY c.t`, with `partition_key=`) on a random partition, and a point
read of a random document. It prints figures only: the fill rate; median and p99 of both as the client sees them and
of the query's time inside the emulator (its /_emulator/stats counter, less sensitive to a busy machine); the items
the emulator scanned for the last query; the emulator's memory; the machine's load average. When the next size would not
fit in --budget-seconds of filling (judged from the fill rate so far), it stops and prints the size reached.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from azure.cosmos import ContainerProxy, PartitionKey

from scripts.cosmos_emulator import PrivateCosmosEmulator

ROOT = Path(__file__).resolve().parents[1]
DAY_MS = 24 * 3600 * 1000
HOUR_MS = 3600 * 1000
BATCH = 100
QUERY = "SELECT c.id, c.t, c.lat, c.lon, c.acc, c.src FROM c WHERE c.pk = @pk AND c.t >= @s AND c.t < @e ORDER BY c.t"


def partition_key(p: int) -> str:
    return f"acct-{p % 97:02d}|user-{p:04d}|2026-11-30"


def ping(pk: str, p: int, i: int) -> dict[str, Any]:
    """A stored ping's shape (core/adapters/cosmos_tracking.ping_doc): ids and times spread over the day."""
    return {
        "id": f"ping-{p:04d}-{i:07d}",
        "pk": pk,
        "docType": "ping",
        "t": (i * 7919) % DAY_MS,
        "lat": 48.85 + (i % 1000) / 1e5,
        "lon": 2.35 + (i % 777) / 1e5,
        "acc": 12.5,
        "src": "gps",
    }


def fill(container: ContainerProxy, partitions: int, have: int, want: int, deadline: float) -> int:
    """Adds documents so that every partition holds `want`; answers how many each holds when done or out of time."""

    def one(p: int) -> int:
        pk = partition_key(p)
        held = have
        while held < want and time.monotonic() < deadline:
            upto = min(want, held + BATCH)
            container.execute_item_batch([("create", (ping(pk, p, i),)) for i in range(held, upto)], partition_key=pk)
            held = upto
        return held

    with ThreadPoolExecutor(max_workers=4) as pool:
        return min(pool.map(one, range(partitions)))


def quantiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return statistics.median(samples) * 1000, cuts[98] * 1000


def measure(
    emu: PrivateCosmosEmulator, container: ContainerProxy, partitions: int, per_partition: int, repeat: int
) -> dict[str, Any]:
    rng = random.Random(27)
    query_s: list[float] = []
    inside_s: list[float] = []
    read_s: list[float] = []
    for _ in range(repeat):
        p = rng.randrange(partitions)
        pk = partition_key(p)
        start_ms = rng.randrange(0, DAY_MS - HOUR_MS)
        params: list[dict[str, Any]] = [
            {"name": "@pk", "value": pk},
            {"name": "@s", "value": start_ms},
            {"name": "@e", "value": start_ms + HOUR_MS},
        ]
        t0 = time.perf_counter()
        list(container.query_items(QUERY, parameters=params, partition_key=pk))
        query_s.append(time.perf_counter() - t0)
        inside_s.append(float(emu.stats()["lastQuery"]["ms"]) / 1000)
        i = rng.randrange(per_partition)
        t0 = time.perf_counter()
        container.read_item(ping(pk, p, i)["id"], partition_key=pk)
        read_s.append(time.perf_counter() - t0)
    scanned = int(emu.stats()["lastQuery"]["scanned"])  # the last query's (a point read leaves it alone)
    q50, q99 = quantiles(query_s)
    i50, i99 = quantiles(inside_s)
    r50, r99 = quantiles(read_s)
    return {"q50": q50, "q99": q99, "i50": i50, "i99": i99, "r50": r50, "r99": r99, "scanned": scanned}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--partitions", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--budget-seconds", type=float, default=540.0)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    partitions: int = args.partitions

    log_path = ROOT / ".local" / "logs" / "bench-emulator-partition.log"
    began = time.monotonic()
    deadline = began + args.budget_seconds
    with PrivateCosmosEmulator(log_path=log_path, node_args=("--max-old-space-size=6144",)) as emu:
        client = emu.client(read_timeout_seconds=60)
        database = client.create_database("bench-emulator-partition")
        container = database.create_container("pings", partition_key=PartitionKey(path="/pk"))
        print(
            "size  per_partition  fill_s  docs_per_s  query_p50_ms  query_p99_ms  in_emulator_p50_ms"
            "  in_emulator_p99_ms  read_p50_ms  read_p99_ms  scanned_per_query  rss_mb  load_1m"
        )
        per_partition = 0
        rate = 0.0
        for size in sizes:
            want = size // partitions
            needed = (want - per_partition) * partitions
            remaining = deadline - time.monotonic()
            if rate and needed / rate > remaining:
                print(
                    f"stopped before {size}: {needed} more documents at {rate:.0f}/s need {needed / rate:.0f} s,"
                    f" {remaining:.0f} s of the budget left; reached {per_partition * partitions}"
                )
                break
            t0 = time.monotonic()
            reached = fill(container, partitions, per_partition, want, deadline)
            fill_s = time.monotonic() - t0
            rate = (reached - per_partition) * partitions / fill_s if fill_s > 0 else 0.0
            per_partition = reached
            figures = measure(emu, container, partitions, per_partition, args.repeat)
            stats = emu.stats()
            print(
                f"{per_partition * partitions}  {per_partition}  {fill_s:.1f}  {rate:.0f}"
                f"  {figures['q50']:.2f}  {figures['q99']:.2f}  {figures['i50']:.2f}  {figures['i99']:.2f}"
                f"  {figures['r50']:.2f}  {figures['r99']:.2f}"
                f"  {figures['scanned']}  {stats['memoryMB']['rss']}  {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            if reached < want:
                print(f"stopped: out of the fill budget at {per_partition * partitions} of {size}")
                break
        print(f"total_s {time.monotonic() - began:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
