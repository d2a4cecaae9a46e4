"""A hot latest-positions partition: one account with up to 10,000 members, read by its owner's latest view.

    .venv/bin/python -m bench.hot_partition [--members 100,1000,10000] [--repeat 3]
    make bench

Every account keeps its members' latest positions in ONE logical partition of `latest-positions` (partition key
/accountId), and the owner's latest view (`GET /accounts/{id}/locations/latest`, without If-None-Match: a full
read each time) reads all of them and logs the read (one access-log entry per worker shown and 10-minute window
since issue 31, created in transactional batches; the item limit no longer bounds the account). For accounts of each size (members and positions written straight to a
scratch database, the view called over HTTP on the local host with bench/ingest_app.py's counters) it prints:
Cosmos DB requests and items read per view, the answer's size, time p50, the access-log entry's size, and the
modelled request units of one view (a query of RuModel.query plus 1 RU per KB read, the documented order of a
read) -> how many owners polling every 30 s fill the partition's 10,000 RU/s (a poll answered 304, while nothing
moved, is one point read instead: docs/tracking.md). The writes side (a member's update per call) is arithmetic in
docs/scaling.md: the emulator enforces no partition limit, so a local write benchmark would show nothing.
Time with the defaults: well under a minute.
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import httpx

from bench.lib.measure import RuModel, cosmos_reads, counters, doc_size
from bench.lib.people import seed_account
from bench.lib.stack import start_stack, stop_stack

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / ".local" / "bench" / "hot_partition.json"
ITEM_LIMIT_BYTES = (
    2 * 1024 * 1024
)  # Cosmos DB's maximum item size (learn.microsoft.com/azure/cosmos-db/concepts-limits)
POLL_EVERY_S = 30  # an owner's portal refreshing the latest view
PARTITION_RU_S = 10_000


def measure(stack: Any, client: httpx.Client, members: int, repeat: int) -> dict[str, Any]:
    from core import schema

    account_id, owner_auth, _ids = seed_account(stack.database, members, tag="hot")
    times, sizes = [], []
    before = counters(client)
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = client.get(f"/accounts/{account_id}/locations/latest", headers=owner_auth)
        times.append(time.perf_counter() - t0)
        r.raise_for_status()
        sizes.append(len(r.content))
    requests, returned = (n / repeat for n in cosmos_reads(counters(client) - before, ("get_latest_positions",)))
    latest_docs = list(
        stack.database.get_container_client(schema.LATEST_POSITIONS.name).query_items(
            "SELECT TOP 20 * FROM c WHERE c.accountId = @a",
            parameters=[{"name": "@a", "value": account_id}],
            partition_key=account_id,
        )
    )
    latest_bytes = statistics.mean(doc_size(d) for d in latest_docs)
    log = list(
        stack.database.get_container_client(schema.ACCESS_LOG.name).query_items(
            "SELECT TOP 1 * FROM c WHERE c.accountId = @a ORDER BY c._ts DESC",
            parameters=[{"name": "@a", "value": account_id}],
            partition_key=account_id,
        )
    )
    log_bytes = doc_size(log[0]) if log else 0
    model = RuModel()
    view_ru = model.query + members * latest_bytes / 1024  # the latest-positions query alone
    return {
        "members": members,
        "cosmosRequests": requests,
        "itemsRead": returned,
        "answerBytes": statistics.median(sizes),
        "p50Ms": statistics.median(times) * 1000,
        "latestDocBytes": latest_bytes,
        "accessLogEntryBytes": log_bytes,
        "viewRu": view_ru,
        "ownersToFillPartition": PARTITION_RU_S * POLL_EVERY_S / view_ru,
        # one entry per worker (issue 31): an entry's size no longer grows with the account
        "membersAtItemLimit": None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", default="100,1000,10000", help="account sizes (members)")
    parser.add_argument("--repeat", type=int, default=3, help="latest-view calls per size")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    sizes = [int(x) for x in args.members.split(",") if x.strip()]
    if not sizes or max(sizes) > 20_000 or not 1 <= args.repeat <= 20:
        parser.error("out of bounds: 1-20,000 members, 1-20 repeats")
    warnings.simplefilter("ignore")  # the Cosmos DB emulator's self-signed certificate
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))
    began = time.perf_counter()
    print(
        f"hot latest-positions partition: one account of {args.members} members, {args.repeat} latest views each",
        flush=True,
    )
    stack = start_stack()
    rows = []
    try:
        with httpx.Client(base_url=stack.url, timeout=120) as client:
            for n in sizes:
                row = measure(stack, client, n, args.repeat)
                rows.append(row)
                print(
                    f"  {n:>6,} members: {row['cosmosRequests']:.0f} Cosmos requests, {row['itemsRead']:,.0f} items"
                    f" read, answer {row['answerBytes'] / 1024:,.0f} KB, p50 {row['p50Ms']:,.0f} ms; access-log entry"
                    f" {row['accessLogEntryBytes']:,.0f} bytes (one per worker and window: no item limit);"
                    f" ~{row['viewRu']:,.0f} RU per view (modelled) -> {row['ownersToFillPartition']:,.0f} owners"
                    f" polling every {POLL_EVERY_S} s fill the partition's 10,000 RU/s",
                    flush=True,
                )
    finally:
        stop_stack(stack)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"rows": rows}, indent=2) + "\n")
    print(f"  total time {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
