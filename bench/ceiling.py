"""The store's ceiling: a bare Cosmos DB client writing the pipeline's own ping documents in transactional batches.

    .venv/bin/python -m bench.ceiling [--seconds 5] [--threads 4] [--batches 30,100]

No host, no queue, no checks: `threads` threads each write batches of `batch` new pings (the document shape and
partition of core/adapters/cosmos_tracking.py, imported, not copied) into one member-day partition of the `pings`
container of a scratch database, back to back for `seconds`. The answer is what the emulator (or account) can
store: every throughput figure of bench/saturation.py and bench/ingest.py is also printed as a share of it.
The request charge (x-ms-request-charge) of each batch is summed when the store sends one.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
import uuid
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any


@dataclass
class Ceiling:
    batch: int
    threads: int
    seconds: float
    pings: int
    charge: float  # summed request charge; 0 when the store sends none

    @property
    def per_second(self) -> float:
        return self.pings / self.seconds if self.seconds else 0.0

    @property
    def ru_per_ping(self) -> float | None:
        return self.charge / self.pings if self.charge and self.pings else None


def _pings(batch: int, rng: random.Random) -> list[Any]:
    from core.domain.tracking import Ping, PingSource

    now = datetime.now(UTC)
    return [
        Ping(
            ping_id=str(uuid.uuid4()),
            t=now - timedelta(milliseconds=20 * (batch - i)),
            lat=44.95 + rng.uniform(-0.1, 0.1),
            lon=-93.2 + rng.uniform(-0.1, 0.1),
            acc=round(rng.uniform(3, 40), 1),
            alt=round(260 + rng.gauss(0, 3), 1),
            spd=round(rng.uniform(0, 14), 2),
            hdg=round(rng.uniform(0, 360), 1),
            bat=float(rng.randint(20, 100)),
            src=PingSource.GPS,
            dev="dev-ceiling",
        )
        for i in range(batch)
    ]


def measure(settings: Any, *, batch: int, threads: int, seconds: float) -> Ceiling:
    """Write for `seconds` from `threads` threads (own client each, own member partition) in batches of `batch`."""
    from core import schema
    from core.adapters.cosmos import build_cosmos_client
    from core.adapters.cosmos_tracking import ping_doc, ping_partition

    account = f"ceiling-{uuid.uuid4().hex[:8]}"
    # A container of its own, dropped afterwards: the local Cosmos DB server scans the whole container for every
    # query (README, "Known gaps"), so the ceiling's documents left in `pings` would slow every later query of the
    # benchmark that shares the database (the saturation steps' counts, the growth measurement's track reads).
    from azure.cosmos import PartitionKey

    database = build_cosmos_client(settings).get_database_client(settings.cosmos_database)
    scratch = database.create_container(id=account, partition_key=PartitionKey(path=schema.PINGS.partition_key))
    totals = {"pings": 0, "charge": 0.0}
    lock = threading.Lock()
    failures: list[BaseException] = []
    start_gate = threading.Barrier(threads + 1)
    go = threading.Event()
    deadline = [0.0]

    def writer(n: int) -> None:
        try:
            container = (
                build_cosmos_client(settings)
                .get_database_client(settings.cosmos_database)
                .get_container_client(account)
            )
            rng = random.Random(n)
            pk = ping_partition(account, f"member-{n}", datetime.now(UTC).date())
            start_gate.wait()
            go.wait()
            pings, charge = 0, 0.0
            while time.perf_counter() < deadline[0]:
                docs = [ping_doc(pk, p) for p in _pings(batch, rng)]
                container.execute_item_batch(batch_operations=[("create", (d,)) for d in docs], partition_key=pk)
                headers: Any = container.client_connection.last_response_headers or {}
                charge += float(headers.get("x-ms-request-charge", 0) or 0)
                pings += batch
            with lock:
                totals["pings"] += pings
                totals["charge"] += charge
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            failures.append(exc)
            start_gate.abort()
            go.set()

    workers = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(threads)]
    for t in workers:
        t.start()
    try:
        start_gate.wait()
    except threading.BrokenBarrierError:
        pass
    began = time.perf_counter()
    deadline[0] = began + seconds
    go.set()
    for t in workers:
        t.join(timeout=seconds + 60)
    elapsed = time.perf_counter() - began
    database.delete_container(scratch)
    if failures:
        raise SystemExit(f"the ceiling measurement failed: {failures[0]!r}")
    return Ceiling(batch, threads, elapsed, int(totals["pings"]), float(totals["charge"]))


def share(value: float, ceiling: float) -> str:
    return f"{100 * value / ceiling:.0f} %" if ceiling else "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--batches", default="30,100")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")  # the emulator's self-signed certificate
    from bench.lib.stack import scratch_settings
    from scripts.provision import drop

    settings, _ = scratch_settings("ceiling")
    try:
        for batch in (int(b) for b in args.batches.split(",")):
            c = measure(settings, batch=batch, threads=args.threads, seconds=args.seconds)
            ru = f", {c.ru_per_ping:.2f} RU per ping charged" if c.ru_per_ping else ", no request charge returned"
            print(
                f"  store ceiling, batches of {batch:>3}: {c.per_second:>8.0f} pings/s ({c.pings} pings in"
                f" {c.seconds:.1f} s, {c.threads} threads{ru})",
                flush=True,
            )
    finally:
        drop(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
