"""The daily timer's full pass (the purge, then the coarsened history) over many accounts on the local Cosmos DB
emulator: the cost the suite's purge tests pay for every account a session has made. Seeds N active accounts (owner + one member each) and C closed accounts whose
window has run out in a scratch database, then times complete passes (nothing is expired in the active accounts, so
a pass is the walk itself: the per-account and per-kind reads). The first two arguments of `main` take other
implementations for a before/after comparison.

    .venv/bin/python -m bench.purge_pass [N] [C] [PASSES]

Keep N small on a shared machine (the emulator is single-threaded): 150 accounts take about 20 s per pass.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.purge_bench import create_scratch_database
from core.adapters.blob_privacy import BlobExportSink, BlobPrefixStore
from core.adapters.cosmos import CosmosAccountStore, build_cosmos_client
from core.adapters.cosmos_coarse_history import CosmosCoarseHistoryStore
from core.adapters.cosmos_privacy import CosmosPrivacyStore
from core.adapters.privacy_registry import registered_kinds
from core.adapters.storage import build_blob_service
from core.clock import SystemClock
from core.domain.accounts import Account, AccountStatus, BillingAddress, Member
from core.domain.identity import Role
from core.domain.privacy import ClosureRecord
from core.services.coarsening import run_coarsening
from core.services.purge import run_purge
from core.services.retention import Registry, RetentionPolicy
from core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def seed_accounts(accounts: CosmosAccountStore, privacy: CosmosPrivacyStore, active: int, closed: int) -> None:
    now = datetime.now(UTC)
    address = BillingAddress(line1="1 Main St", city="Springfield", postal_code="12345", country="US")
    for i in range(active + closed):
        account_id = str(uuid.uuid4())
        is_closed = i >= active
        accounts.put_account(
            Account(
                account_id=account_id,
                owner_user_id=f"owner-{i}",
                company_name=None,
                billing_address=address,
                time_zone="UTC",
                created_at=now,
                status=AccountStatus.CLOSED if is_closed else AccountStatus.ACTIVE,
                closed_at=now if is_closed else None,
            )
        )
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
    active = int(sys.argv[1]) if len(sys.argv) > 1 else 150
    closed = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    passes = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    values = json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]
    for key, value in values.items():
        os.environ.setdefault(key, str(value))
    os.environ["COSMOS_DATABASE"] = f"bench-{uuid.uuid4().hex[:8]}"
    settings = Settings()
    client = build_cosmos_client(settings)
    database = create_scratch_database(client, settings.cosmos_database)
    try:
        accounts, privacy = CosmosAccountStore(database), CosmosPrivacyStore(database)
        seed_accounts(accounts, privacy, active, closed)
        blobs = build_blob_service(settings)
        registry = Registry(kinds=registered_kinds(database, BlobExportSink(blobs, settings), BlobPrefixStore(blobs)))
        coarse_store = CosmosCoarseHistoryStore(database)
        for n in range(passes):
            started = time.perf_counter()
            run = purge(
                registry=registry,
                privacy=privacy,
                accounts=accounts,
                clock=SystemClock(),
                policy=RetentionPolicy(),
                batch_size=500,
                max_items=1_000_000,
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
