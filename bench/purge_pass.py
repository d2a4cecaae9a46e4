"""The daily timer's full pass (the purge, then the coarsened history) over many accounts on the local Cosmos DB
emulator: the cost the suite's purge tests pay for every account a session has made. Seeds N active accounts (owner + one member each) and C closed accounts whose
window has run out in a scratch database, then times complete passes (nothing is expired in the active accounts, so
a pass is the walk itself: the per-account and per-kind reads). The first two arguments of `main` take other
implementations for a before/after comparison.

    .venv/bin/python -m bench.purge_pass [N] [C] [PASSES]

Keep N small on a shared machine (the emulator is single-threaded): 150 accounts take about 20 s per pass.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.lib.cli import whole_numbers
from bench.lib.people import bare_account
from bench.lib.stack import scratch_database
from core.adapters.blob_privacy import BlobExportSink, BlobPrefixStore
from core.adapters.cosmos import CosmosAccountStore
from core.adapters.cosmos_coarse_history import CosmosCoarseHistoryStore
from core.adapters.cosmos_privacy import CosmosPrivacyStore
from core.adapters.privacy_registry import registered_kinds
from core.adapters.storage import build_blob_service
from core.clock import SystemClock
from core.domain.accounts import Member
from core.domain.identity import Role
from core.domain.privacy import ClosureRecord
from core.services.coarsening import run_coarsening
from core.services.purge import run_purge
from core.services.retention import Registry, RetentionPolicy

ROOT = Path(__file__).resolve().parents[1]


def seed_accounts(accounts: CosmosAccountStore, privacy: CosmosPrivacyStore, active: int, closed: int) -> None:
    now = datetime.now(UTC)
    for i in range(active + closed):
        account_id = str(uuid.uuid4())
        is_closed = i >= active
        accounts.put_account(bare_account(account_id, now, owner_user_id=f"owner-{i}", closed=is_closed))
        for user, role in ((f"owner-{i}", Role.OWNER), (f"member-{i}", Role.MEMBER)):
            accounts.put_member(
                Member(
                    account_id=account_id,
                    user_id=user,
                    role=role,
                    full_name="Bench",
                    email=f"{user}@example.test",
                    time_zone="UTC",
                    joined_at=now,
                    updated_at=now,
                )
            )
        if is_closed:
            privacy.put_closure(
                ClosureRecord(
                    account_id=account_id,
                    closed_by=f"owner-{i}",
                    closed_at=now - timedelta(days=91),
                    retention_deadline=now - timedelta(days=1),
                )
            )


def main(purge: Callable[..., Any] = run_purge, coarsen: Callable[..., Any] = run_coarsening) -> int:
    logging.basicConfig(level=logging.WARNING)
    args = whole_numbers(__doc__, n=150, c=10, passes=2)
    active, closed, passes = args.n, args.c, args.passes
    settings, client, database = scratch_database("bench")
    try:
        accounts, privacy = CosmosAccountStore(database), CosmosPrivacyStore(database)
        seed_accounts(accounts, privacy, active, closed)
        blobs = build_blob_service(settings)
        registry = Registry(kinds=registered_kinds(database, BlobExportSink(blobs, settings), BlobPrefixStore(blobs)))
        coarse_store = CosmosCoarseHistoryStore(database)
        for n in range(passes):
            started = time.perf_counter()
            run = purge(  # run_purge's parameters, named after the composition root's ports (issue 26)
                personal_data=registry,
                privacy=privacy,
                accounts=accounts,
                clock=SystemClock(),
                retention_policy=RetentionPolicy(),
                purge_batch_size=500,
                purge_max_items=1_000_000,
            )
            purged = time.perf_counter()
            coarsen(
                store=coarse_store,
                privacy=privacy,
                accounts=accounts,
                clock=SystemClock(),
                policy=RetentionPolicy(),
                max_pings=1_000_000,
            )
            done = time.perf_counter()
            print(
                f"pass {n + 1}: {len(run.accounts_finished)} accounts, purge {purged - started:.1f} s "
                f"({1000 * (purged - started) / max(1, len(run.accounts_finished)):.0f} ms per account), "
                f"then coarsening {done - purged:.1f} s; complete {run.complete_pass}, "
                f"deleted {sum(run.deleted.values())}"
            )
    finally:
        client.delete_database(settings.cosmos_database)  # only this scratch database
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
