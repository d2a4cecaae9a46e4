"""Coarsened history: stored bytes per worker-month before and after, and the coarsening throughput.

    .venv/bin/python -m bench.coarsening [WORKERS] [DAYS] [PINGS_PER_DAY] [MAX_PINGS_PER_RUN]

On the local Cosmos DB emulator, in a scratch database: an account with `coarsenAfterDays` 30 and WORKERS
workers, each with DAYS work days of pings older than 30 days (PINGS_PER_DAY pings 30 s apart from 07:00 UTC,
every field the app sends), stored through the pings writer's adapter. Then the retention timer's coarsening
(core/services/coarsening.py) runs in bounded runs of MAX_PINGS_PER_RUN pings (PURGE_MAX_ITEMS_PER_RUN) until a
complete pass. Printed: documents and bytes per worker-month before and after (each stored document as the
emulator answers it, system properties included, and the app's own fields only), and the throughput (pings read
and days coarsened per second, wall time). docs/coarsened-history.md records a run.
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.lib.cli import whole_numbers
from bench.lib.people import bare_account
from bench.lib.stack import scratch_database
from core.adapters.cosmos import CosmosAccountStore, strip_system
from core.adapters.cosmos_coarse_history import CosmosCoarseHistoryStore
from core.adapters.cosmos_privacy import CosmosPrivacyStore
from core.adapters.cosmos_tracking import CosmosPingStore, ping_partition
from core.clock import SystemClock
from core.domain.accounts import Member
from core.domain.identity import Role
from core.domain.privacy import RetentionSettings
from core.domain.tracking import Ping, PingSource
from core.services.coarsening import run_coarsening
from core.services.purge_index import COARSENING, mark_due
from core.services.retention import RetentionPolicy

ROOT = Path(__file__).resolve().parents[1]
HOME = (44.9778, -93.2650)


def day_of_pings(day: date, count: int, rng: random.Random) -> list[Ping]:
    lat, lon = HOME
    t = datetime(day.year, day.month, day.day, 7, tzinfo=UTC)
    out = []
    for _ in range(count):
        lat += rng.uniform(-0.0006, 0.0006)
        lon += rng.uniform(-0.0008, 0.0008)
        out.append(
            Ping(
                ping_id=str(uuid.UUID(int=rng.getrandbits(128))),
                t=t,
                lat=round(lat, 7),
                lon=round(lon, 7),
                acc=round(rng.uniform(3, 20), 1),
                alt=round(rng.uniform(250, 270), 1),
                spd=round(rng.uniform(0, 2), 2),
                hdg=round(rng.uniform(0, 359), 1),
                bat=rng.randint(20, 100),
                src=PingSource.GPS,
                dev="phone-1",
            )
        )
        t += timedelta(seconds=30)
    return out


class TimedStore(CosmosCoarseHistoryStore):
    """The real adapter, timing where a run spends its time."""

    spent: dict[str, float]

    def _timed(self, name: str, fn: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(**kwargs)
        finally:
            self.spent[name] = self.spent.get(name, 0.0) + time.perf_counter() - started

    def day_pings(self, **kwargs: Any) -> Any:
        return self._timed("read day", super().day_pings, **kwargs)

    def put_points(self, **kwargs: Any) -> Any:
        return self._timed("write coarse points", super().put_points, **kwargs)

    def delete_pings(self, **kwargs: Any) -> Any:
        return self._timed("delete precise pings", super().delete_pings, **kwargs)

    def put_marker(self, marker: Any) -> Any:
        return self._timed("marker", super().put_marker, marker=marker)


def measure(container: Any, account_id: str, users: list[str], days: list[date]) -> tuple[int, int, int]:
    """Documents, bytes as stored (system properties included) and bytes of the app's own fields."""
    docs = stored = own = 0
    for user in users:
        for day in days:
            pk = ping_partition(account_id, user, day)
            for doc in container.query_items(
                "SELECT * FROM c WHERE c.pk = @pk", parameters=[{"name": "@pk", "value": pk}], partition_key=pk
            ):
                docs += 1
                stored += len(json.dumps(doc, separators=(",", ":")).encode())
                own += len(json.dumps(strip_system(doc), separators=(",", ":")).encode())
    return docs, stored, own


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    args = whole_numbers(__doc__, workers=2, days=22, pings_per_day=1080, max_pings_per_run=20_000)
    workers, n_days, per_day, per_run = args.workers, args.days, args.pings_per_day, args.max_pings_per_run
    os.environ["COSMOS_READ_TIMEOUT_SECONDS"] = "60"
    settings, client, database = scratch_database("bench-coarse")
    try:
        now = datetime.now(UTC)
        account_id = str(uuid.uuid4())
        accounts, privacy = CosmosAccountStore(database), CosmosPrivacyStore(database)
        accounts.put_account(bare_account(account_id, now - timedelta(days=90)))
        users = [f"worker-{i}" for i in range(workers)]
        for user in users:
            accounts.put_member(
                Member(
                    account_id=account_id,
                    user_id=user,
                    role=Role.MEMBER,
                    full_name=user,
                    email=f"{user}@example.com",
                    time_zone="UTC",
                    joined_at=now,
                    updated_at=now,
                )
            )
        privacy.put_retention(
            RetentionSettings(account_id=account_id, location_days=365, access_log_days=365, coarsen_after_days=30)
        )
        # what turning the setting on does (core/services/retention.py): the account enters the coarsening walk
        mark_due(privacy, account_id=account_id, at=now, reason="coarsening", queue=COARSENING)
        last = (now - timedelta(days=31)).date()
        days = [last - timedelta(days=i) for i in range(n_days)]
        pings = CosmosPingStore(database)
        rng = random.Random(7)
        work = [(u, d, day_of_pings(d, per_day, rng)) for u in users for d in days]
        started = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda w: pings.write_day(account_id=account_id, user_id=w[0], day=w[1], pings=w[2]), work))
        seeded = time.perf_counter() - started
        total = workers * n_days * per_day
        print(f"{workers} workers x {n_days} days x {per_day} pings = {total:,} pings seeded in {seeded:.1f} s")
        container = database.get_container_client("pings")
        before = measure(container, account_id, users, days)
        store = TimedStore(database)
        store.spent = {}
        started = time.perf_counter()
        runs = read = coarse_days = 0
        while True:
            run = run_coarsening(
                store=store,
                privacy=privacy,
                accounts=accounts,
                clock=SystemClock(),
                policy=RetentionPolicy(),
                max_pings=per_run,
            )
            runs += 1
            read += run.pings_read
            coarse_days += sum(r.members for r in run.receipts)
            if run.complete_pass:
                break
        if read < total:
            raise SystemExit(f"the coarsening read {read:,} of the {total:,} pings seeded: the bench is out of date")
        elapsed = time.perf_counter() - started
        after = measure(container, account_id, users, days)
        month = workers * n_days / 22  # worker-months of 22 work days
        print(
            f"coarsening: {runs} runs of at most {per_run:,} pings, {elapsed:.1f} s wall,"
            f" {read / elapsed:,.0f} pings/s, {coarse_days / elapsed:.2f} worker-days/s"
        )
        print("time by step: " + ", ".join(f"{k} {v:.1f} s" for k, v in store.spent.items()))
        print("| | documents / worker-month | bytes / worker-month (as stored) | bytes (app fields) |")
        print("|---|---|---|---|")
        for label, (docs, stored, own) in (("before", before), ("after", after)):
            print(f"| {label} | {docs / month:,.0f} | {stored / month:,.0f} | {own / month:,.0f} |")
        print(f"reduction: {before[1] / max(1, after[1]):.1f}x in bytes as stored")
    finally:
        client.delete_database(settings.cosmos_database)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
