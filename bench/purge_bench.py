"""Purge throughput on the local Cosmos DB emulator: seed N documents of one kind in a closed account whose
retention window has run out, then purge them in bounded runs (with one simulated crash) and print the figures.

    .venv/bin/python -m bench.purge_bench [N] [BATCH] [MAX_PER_RUN]
"""

from __future__ import annotations

import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.lib.cli import whole_numbers
from bench.lib.people import bare_account
from bench.lib.stack import scratch_database
from core.adapters.blob_privacy import BlobExportSink, BlobPrefixStore
from core.adapters.cosmos import CosmosAccountStore
from core.adapters.cosmos_privacy import CosmosPrivacyStore
from core.adapters.privacy_registry import registered_kinds
from core.adapters.storage import build_blob_service
from core.clock import SystemClock
from core.domain.privacy import ClosureRecord
from core.services.purge import run_purge
from core.services.retention import Registry, RetentionPolicy

ROOT = Path(__file__).resolve().parents[1]


def seed(container: Any, account_id: str, count: int, workers: int = 8) -> float:
    started = time.perf_counter()

    def one(i: int) -> None:
        container.create_item(
            {
                "id": f"event-bench-{i:07d}",
                "docType": "event",
                "accountId": account_id,
                "eventId": f"bench-{i}",
                "type": "member.joined",
                "userId": f"u-{i % 50}",
                "occurredAt": "2025-01-01T00:00:00Z",
            }
        )

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, range(count)))
    return time.perf_counter() - started


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    args = whole_numbers(__doc__, n=10_000, batch=500, max_per_run=4_000)
    count, batch, per_run = args.n, args.batch, args.max_per_run
    settings, client, database = scratch_database("bench")
    try:
        accounts, privacy = CosmosAccountStore(database), CosmosPrivacyStore(database)
        now = datetime.now(UTC)
        account_id = str(uuid.uuid4())
        accounts.put_account(bare_account(account_id, now, closed=True))
        privacy.put_closure(
            ClosureRecord(
                account_id=account_id,
                closed_by="bench",
                closed_at=now - timedelta(days=91),
                retention_deadline=now - timedelta(days=1),
            )
        )
        seconds = seed(database.get_container_client("accounts"), account_id, count)
        print(f"seeded {count} documents in {seconds:.1f} s ({count / seconds:.0f}/s, 8 threads)")
        blobs = build_blob_service(settings)
        registry = Registry(kinds=registered_kinds(database, BlobExportSink(blobs, settings), BlobPrefixStore(blobs)))
        policy, clock = RetentionPolicy(), SystemClock()
        pages = {"n": 0}

        def crash_once() -> None:
            pages["n"] += 1
            if pages["n"] == 3:
                raise RuntimeError("simulated crash after the third page")

        started = time.perf_counter()
        runs, deleted = 0, 0
        try:
            run_purge(
                personal_data=registry,
                privacy=privacy,
                accounts=accounts,
                clock=clock,
                retention_policy=policy,
                purge_batch_size=batch,
                purge_max_items=per_run,
                on_page=crash_once,
            )
        except RuntimeError:
            print("run 1 crashed after its third page (as planned)")
        deleted += sum(r.deleted.get("account-events", 0) for r in privacy.list_runs(1))
        runs += 1
        while True:
            run = run_purge(
                personal_data=registry,
                privacy=privacy,
                accounts=accounts,
                clock=clock,
                retention_policy=policy,
                purge_batch_size=batch,
                purge_max_items=per_run,
            )
            runs += 1
            deleted += run.deleted.get("account-events", 0)
            if run.complete_pass:
                break
        seconds = time.perf_counter() - started
        left = list(
            database.get_container_client("accounts").query_items(
                "SELECT VALUE COUNT(1) FROM c WHERE c.accountId = @a AND c.docType = 'event'",
                parameters=[{"name": "@a", "value": account_id}],
                partition_key=account_id,
            )
        )
        print(
            f"purged in {runs} runs of at most {per_run} items (pages of {batch}): {seconds:.1f} s, "
            f"{count / seconds:.0f} docs/s; counted {deleted}, left {left[0]}"
        )
    finally:
        client.delete_database(settings.cosmos_database)  # only this scratch database; queues are not touched
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
