"""An owner keeps the live map open for an hour (issue 31): access-log entries and Cosmos DB requests per hour.

    .venv/bin/python -m bench.access_log [--workers 10] [--minutes 60] [--poll-seconds 15]

Starts an emulator of its own (tools/cosmos-emulator.js on a free port) and runs the app's own code on it: the
live map's use case (`core.services.tracks.latest_positions`) over the Cosmos adapters, the coalesced access log
(`AccessLogWindows`, 10-minute windows) and the live-map version. Time is simulated (a poll every --poll-seconds
for --minutes), so an hour takes seconds. Two cases per crew size:

* **moving**: every worker's latest position moves before every poll (the worst case: every poll is a 200);
* **still**: nobody moves (every poll after the first is a 304 on the If-None-Match the map sends back).

Prints per case: polls answered 200 and 304, access-log entries written, entries per worker shown, access-log
writes (creates and updates), and the document requests per poll by operation, from the emulator's counters
(GET /_emulator/requests). The map before issue 31 wrote one entry per poll naming every worker shown (each worker's
page gained one line per poll: 240 an hour at 15 s) and read every member and position on every poll.
"""

from __future__ import annotations

import argparse
import tempfile
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from azure.cosmos import DatabaseProxy, PartitionKey

from core import schema
from core.adapters.cosmos import CosmosAccountStore
from core.adapters.cosmos_billing import CosmosBillingStore
from core.adapters.cosmos_ingest_gate import CosmosIngestGateStore
from core.adapters.cosmos_live_map import CosmosLiveMapVersions
from core.adapters.cosmos_member_rows import CosmosMemberRowSource
from core.adapters.cosmos_privacy import CosmosPrivacyStore
from core.adapters.cosmos_private_zones import CosmosPrivateZoneStore
from core.adapters.cosmos_tracking import (
    CosmosAccessLog,
    CosmosConsentLedger,
    CosmosLatestPositionStore,
    CosmosTrackingScheduleStore,
)
from core.domain.accounts import Member
from core.domain.identity import Principal, Role
from core.domain.tracking import AccessedData, LatestPosition, PingSource
from core.services.access_log import AccessLogWindows, new_entry
from core.services.ingest_gate import IngestGateKeeper
from core.services.tracks import latest_positions
from scripts.cosmos_emulator import PrivateCosmosEmulator, request_counts

START = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
WRITES = ("create", "upsert", "replace", "delete", "patch", "batch")


class SimulatedClock:
    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


def _containers(database: DatabaseProxy) -> None:
    for spec in (
        schema.ACCOUNTS,
        schema.USERS,
        schema.BILLING,
        schema.PRIVACY,
        schema.LATEST_POSITIONS,
        schema.ACCESS_LOG,
    ):
        database.create_container(
            id=spec.name,
            partition_key=PartitionKey(path=spec.partition_key),
            indexing_policy=spec.indexing_policy(),
            default_ttl=spec.default_ttl,
        )


def run_case(
    emu: PrivateCosmosEmulator, workers: int, moving: bool, minutes: int, poll_seconds: int
) -> dict[str, float]:
    client = emu.client(read_timeout_seconds=60)
    db_name = f"bench-{uuid.uuid4().hex[:8]}"
    database = client.create_database(db_name)
    _containers(database)
    account = f"acct-{uuid.uuid4().hex[:8]}"
    accounts, positions = CosmosAccountStore(database), CosmosLatestPositionStore(database)
    versions, store = CosmosLiveMapVersions(database), CosmosAccessLog(database)
    log = AccessLogWindows(store, window=timedelta(minutes=10))
    clock = SimulatedClock(START)
    gate = IngestGateKeeper(  # the sharing states: gates built on the first answer, one query per answer after
        store=CosmosIngestGateStore(database),
        billing=CosmosBillingStore(database),
        privacy=CosmosPrivacyStore(database),
        consents=CosmosConsentLedger(database),
        schedules=CosmosTrackingScheduleStore(database, clock=clock, keep=timedelta(days=365)),
        zones=CosmosPrivateZoneStore(database),
        clock=clock,
    )
    owner = Principal(user_id="owner", email="o@example.com", account_id=account, role=Role.OWNER)
    for i in range(workers + 1):
        accounts.put_member(
            Member(
                account_id=account,
                user_id="owner" if i == 0 else f"w{i:04d}",
                role=Role.OWNER if i == 0 else Role.MEMBER,
                full_name="Ana Owner" if i == 0 else f"Worker {i}",
                email=f"p{i}@example.com",
                time_zone="UTC",
                joined_at=START,
                updated_at=START,
            )
        )

    def move(step: int) -> None:
        for i in range(1, workers + 1):
            positions.advance(
                LatestPosition(
                    account_id=account,
                    user_id=f"w{i:04d}",
                    ping_id=f"p{step}-{i}",
                    t=clock.now(),
                    lat=44.97 + step * 1e-4,
                    lon=-93.26 + i * 1e-4,
                    acc=8.0,
                    src=PingSource.GPS,
                    updated_at=clock.now(),
                )
            )

    move(0)
    polls = minutes * 60 // poll_seconds
    etag: str | None = None
    answered = Counter[int]()
    spent: Counter[str] = Counter()
    for step in range(polls):
        clock.at = START + timedelta(seconds=step * poll_seconds)
        if moving and step:
            move(step)
        before = request_counts(emu.endpoint, db_name)
        answer = latest_positions(
            principal=owner,
            account_id=account,
            if_none_match=etag,
            accounts=accounts,
            latest_positions=positions,
            live_map_versions=versions,
            member_rows=CosmosMemberRowSource(database),
            ingest_gate=gate,
            access_log=log,
            clock=clock,
        )
        after = request_counts(emu.endpoint, db_name)
        for key, n in (Counter(after) - Counter(before)).items():
            spent[f"{key[0]} {key[2]}"] += n
        answered[304 if answer.positions is None else 200] += 1
        etag = answer.etag
    clock.at = START + timedelta(minutes=minutes + 11)  # a later read of the process closes the last windows
    closing = new_entry(principal=owner, subject_user_ids=["closing-read"], data=AccessedData.NOTE, at=clock.at)
    if closing is not None:
        log.append(closing)
    entries = list(
        database.get_container_client(schema.ACCESS_LOG.name).query_items(
            "SELECT c.subject_user_ids, c.count FROM c WHERE c.accountId = @a AND c.at < @end",
            parameters=[{"name": "@a", "value": account}, {"name": "@end", "value": clock.at.isoformat()}],
            partition_key=account,
        )
    )
    log_writes = sum(n for k, n in spent.items() if k.startswith("access-log") and k.split()[1] in WRITES)
    client.delete_database(db_name)
    return {
        "polls": polls,
        "200": answered[200],
        "304": answered[304],
        "entries": len(entries),
        "per_worker": len(entries) / workers,
        "reads_counted": sum(int(e["count"]) for e in entries) / workers,
        "log_writes": log_writes,
        **{f"per_poll {k}": n / polls for k, n in sorted(spent.items())},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--workers", default="10", help="crew sizes shown on the map, comma-separated")
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--poll-seconds", type=int, default=15)
    args = parser.parse_args()
    log_path = Path(tempfile.gettempdir()) / "bench-access-log-emulator.log"
    with PrivateCosmosEmulator(log_path=log_path) as emu:
        for workers in (int(w) for w in args.workers.split(",")):
            for moving in (True, False):
                r = run_case(emu, workers, moving, args.minutes, args.poll_seconds)
                case = "moving" if moving else "still"
                print(f"\n{workers} workers shown, {case}, {r['polls']:.0f} polls in {args.minutes} min:")
                print(f"  answers: {r['200']:.0f} x 200, {r['304']:.0f} x 304")
                print(
                    f"  access-log entries: {r['entries']:.0f} ({r['per_worker']:.1f} per worker shown; before: "
                    f"{r['200'] + r['304']:.0f} entries, each naming every worker), {r['log_writes']:.0f} writes,"
                    f" reads counted per worker {r['reads_counted']:.0f}"
                )
                per_poll = ", ".join(f"{k.split(' ', 1)[1]} {v:.2f}" for k, v in r.items() if k.startswith("per_poll"))
                print(f"  document requests per poll (container operation): {per_poll}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
