"""Erasure at size (issue 28): time, steps and store requests to erase one member's pings.

    .venv/bin/python -m bench.erasure [LOCAL_PINGS] [SIMULATED_PINGS]

1. On the local stack (Cosmos DB emulator and Azurite; skipped with a message when they are not running): a scratch
   database, LOCAL_PINGS pings (default 10,000) over 100 day partitions, erased step by step through the real
   registry and the Cosmos DB adapters; Cosmos DB requests are counted by the client's request hook. An emulator
   started before tools/cosmos-emulator.js read batched deletes refuses them: then each ping is one delete request.
2. On a simulated store (no emulator): SIMULATED_PINGS pings (default 100,000) over 365 days in a store that counts
   the requests the Cosmos DB adapter would send (one query per day partition read, one transactional batch per 100
   deletes of a partition, one COUNT per step, the request's reads and writes), with batches and without them.
Prints figures only.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from core.domain.privacy import (
    AuditEntry,
    DataRequest,
    DataRequestMessage,
    DataRequestStatus,
    DataRequestType,
    ItemRef,
    LegalHold,
    Page,
)
from core.services import data_requests
from core.services.retention import RetentionPolicy

ROOT = Path(__file__).resolve().parents[1]
BATCH = 100  # deletes per transactional batch (core/adapters/cosmos_tracking.py BATCH_LIMIT)
START = date(2025, 1, 1)


def _up(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _cosmos_port() -> int:
    """The emulator's port: 8081, or the one COSMOS_ENDPOINT names (an emulator of one's own)."""
    endpoint = os.environ.get("COSMOS_ENDPOINT", "https://127.0.0.1:8081")
    return int(endpoint.rsplit(":", 1)[-1].strip("/"))


def _request(account_id: str, user_id: str) -> DataRequest:
    now = datetime.now(UTC)
    return DataRequest(
        request_id=str(uuid.uuid4()),
        account_id=account_id,
        user_id=user_id,
        requester_role="member",
        type=DataRequestType.ERASURE,
        received_at=now,
        due_at=now + timedelta(days=30),
    )


class _NoMembers:
    """The simulated store's account store: the member is not found, so the erasure mark costs one read."""

    def get_member(self, account_id: str, user_id: str) -> None:
        return None


def _run_steps(request: DataRequest, *, kinds: Sequence[Any], privacy: Any, sink: Any, accounts: Any) -> int:
    """Every step of one erasure, each message as the queue would deliver it; answers the number of steps."""
    queue = [DataRequestMessage(account_id=request.account_id, request_id=request.request_id).model_dump_json()]
    steps = 0
    clock = _Clock()
    while queue:
        data_requests.process_request(
            message=DataRequestMessage.model_validate_json(queue.pop(0)),
            kinds=kinds,
            privacy=privacy,
            sink=sink,
            clock=clock,
            policy=RetentionPolicy(),
            link_ttl=timedelta(hours=1),
            mailer=None,
            mail_to=lambda a, u: None,
            accounts=accounts,
            enqueue=queue.append,
        )
        steps += 1
    return steps


class _Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


# ---------------------------------------------------------------- 1. the local stack


def local(count: int) -> None:
    if not (_up(_cosmos_port()) and _up(10000)):
        print(f"local stack: skipped (Cosmos DB emulator on {_cosmos_port()} and Azurite on 10000 not both running)")
        return
    from azure.cosmos import PartitionKey

    from core import schema
    from core.adapters import telemetry
    from core.adapters.blob_privacy import BlobExportSink, BlobPrefixStore
    from core.adapters.cosmos import CosmosAccountStore, build_cosmos_client
    from core.adapters.cosmos_privacy import CosmosPrivacyStore
    from core.adapters.cosmos_tracking import ping_partition
    from core.adapters.privacy_registry import registered_kinds
    from core.adapters.storage import build_blob_service
    from core.settings import Settings

    values = json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]
    for key, value in values.items():
        os.environ.setdefault(key, str(value))
    os.environ["COSMOS_DATABASE"] = f"bench-{uuid.uuid4().hex[:8]}"
    settings = Settings()
    client = build_cosmos_client(settings)
    database = client.create_database_if_not_exists(settings.cosmos_database)
    try:
        for spec in schema.CONTAINERS:
            database.create_container_if_not_exists(id=spec.name, partition_key=PartitionKey(path=spec.partition_key))
        account_id, user_id = str(uuid.uuid4()), str(uuid.uuid4())
        days = 100
        first = datetime.now(UTC).date() - timedelta(days=days + 1)
        database.get_container_client(schema.ACCOUNTS.name).upsert_item(
            {
                "id": f"account-{account_id}",
                "accountId": account_id,
                "docType": "account",
                "created_at": f"{first.isoformat()}T00:00:00Z",
            }
        )
        pings = database.get_container_client(schema.PINGS.name)
        started = time.perf_counter()
        per_day = -(-count // days)
        seeded = 0
        for n in range(days):
            day = first + timedelta(days=n)
            pk = ping_partition(account_id, user_id, day)
            docs = [
                {"id": str(uuid.uuid4()), "pk": pk, "docType": "ping", "t": i, "lat": 1.0, "lon": 2.0}
                for i in range(min(per_day, count - seeded))
            ]
            for at in range(0, len(docs), BATCH):
                pings.execute_item_batch([("create", (d,)) for d in docs[at : at + BATCH]], partition_key=pk)
            seeded += len(docs)
        print(f"local stack: seeded {seeded} pings over {days} day partitions in {time.perf_counter() - started:.1f} s")
        blobs = build_blob_service(settings)
        kinds = registered_kinds(
            database, BlobExportSink(blobs, settings), BlobPrefixStore(blobs), today=lambda: datetime.now(UTC).date()
        )
        privacy = CosmosPrivacyStore(database)
        request = _request(account_id, user_id)
        privacy.put_request(request)
        with telemetry.invocation("bench-erasure", "bench") as inv:
            started = time.perf_counter()
            steps = _run_steps(request, kinds=kinds, privacy=privacy, sink=None, accounts=CosmosAccountStore(database))
            seconds = time.perf_counter() - started
            requests = telemetry.cosmos_requests()
        del inv
        done = privacy.get_request(account_id, request.request_id)
        assert done is not None and done.status is DataRequestStatus.COMPLETED
        rows: list[Any] = list(pings.query_items("SELECT VALUE COUNT(1) FROM c", enable_cross_partition_query=True))
        left = int(sum(rows))
        print(
            f"local stack: erased {done.erased.get('pings', 0)} pings (+ the other {len(kinds) - 1} kinds, empty)"
            f" in {steps} steps, {seconds:.1f} s, {requests} Cosmos DB requests"
            f" ({requests / max(seeded, 1):.2f} per ping); pings left: {left}"
        )
    finally:
        client.delete_database(settings.cosmos_database)  # only this scratch database


# ---------------------------------------------------------------- 2. a simulated store that counts requests


@dataclass
class Counter:
    requests: int = 0
    by_kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, what: str, n: int = 1) -> None:
        self.requests += n
        self.by_kind[what] += n


class CountingPings:
    """The pings kind as the Cosmos DB adapter reads and deletes it (core/adapters/privacy_pings.py), in memory:
    one query request per day partition read (and per further page of it), one batch request per 100 deletes of a
    partition (or one request per ping without batches), one request per COUNT."""

    name = "pings"
    retention = "location"
    kept_for: str | None = None
    description = "simulated pings"
    export_file: str | None = None
    on_erasure = "delete"
    kept_reason = ""

    def __init__(self, counter: Counter, days: dict[date, list[str]], today: date, *, batches: bool) -> None:
        self._n, self._days, self._today, self._batches = counter, days, today, batches

    def of_user(self, *, account_id: str, user_id: str, continuation: str | None, limit: int) -> Page:
        day = date.fromisoformat(continuation) if continuation else START
        refs: list[ItemRef] = []
        while day <= self._today:
            ids = self._days.get(day, [])
            self._n.add("query")
            take = ids[: limit - len(refs)]
            refs += [ItemRef(kind="pings", partition_key=day.isoformat(), doc_id=i, user_id=user_id) for i in take]
            if len(refs) >= limit:
                return Page(items=refs, continuation=day.isoformat())
            day += timedelta(days=1)
        return Page(items=refs)

    def delete(self, ref: ItemRef) -> bool:
        self._n.add("delete")
        ids = self._days.get(date.fromisoformat(ref.partition_key), [])
        if ref.doc_id in ids:
            ids.remove(ref.doc_id)
            return True
        return False

    def _delete_many(self, refs: Sequence[ItemRef]) -> int:
        by_day: dict[str, set[str]] = defaultdict(set)
        for ref in refs:
            by_day[ref.partition_key].add(ref.doc_id)
        deleted = 0
        for day, ids in by_day.items():
            self._n.add("batch", -(-len(ids) // BATCH))
            stored = self._days.get(date.fromisoformat(day), [])
            kept = [i for i in stored if i not in ids]
            deleted += len(stored) - len(kept)
            self._days[date.fromisoformat(day)] = kept
        return deleted

    def __getattr__(self, name: str) -> Any:
        if name == "delete_many" and self._batches:
            return self._delete_many
        raise AttributeError(name)

    def anonymize(self, ref: ItemRef) -> bool:
        return self.delete(ref)

    def count_of_user(self, *, account_id: str, user_id: str) -> int | None:
        self._n.add("count")
        return sum(len(v) for v in self._days.values())

    def expired(self, *, account_id: str, before: datetime | None, continuation: str | None, limit: int) -> Page:
        return Page(items=[])

    def export(self, *, account_id: str, user_id: str) -> Iterator[dict[str, Any]]:
        return iter(())

    def count(self, *, account_id: str) -> int:
        return -1


class CountingRequests:
    """The privacy store's part in an erasure: the request's reads and writes, the holds, the audit log."""

    def __init__(self, counter: Counter) -> None:
        self._n = counter
        self.requests: dict[str, DataRequest] = {}

    def get_request(self, account_id: str, request_id: str) -> DataRequest | None:
        self._n.add("request-read")
        return self.requests.get(request_id)

    def put_request(self, request: DataRequest) -> None:
        self._n.add("request-write")
        self.requests[request.request_id] = request

    def list_holds(self, account_id: str) -> list[LegalHold]:
        self._n.add("holds-query")
        return []

    def audit(self, entry: AuditEntry) -> None:
        self._n.add("audit-write")

    def list_requests(self, account_id: str, user_id: str) -> list[DataRequest]:
        return list(self.requests.values())


def simulated(count: int, *, batches: bool) -> None:
    days = 365
    per_day = -(-count // days)
    store: dict[date, list[str]] = {}
    left = count
    for n in range(days):
        take = min(per_day, left)
        store[START + timedelta(days=n)] = [f"p-{n}-{i}" for i in range(take)]
        left -= take
    counter = Counter()
    kind = CountingPings(counter, store, START + timedelta(days=days), batches=batches)
    privacy = CountingRequests(counter)
    request = _request("acc-bench", "u-bench")
    privacy.requests[request.request_id] = request
    started = time.perf_counter()
    steps = _run_steps(request, kinds=[kind], privacy=privacy, sink=None, accounts=_NoMembers())
    seconds = time.perf_counter() - started
    done = privacy.requests[request.request_id]
    how = f"batches of {BATCH}" if batches else "one delete per ping"
    print(
        f"simulated store ({how}): {done.erased.get('pings', 0)} of {count} pings over {days} days erased in"
        f" {steps} steps of at most {data_requests.STEP_ITEMS} items, {counter.requests} requests"
        f" ({counter.requests / count:.3f} per ping: {dict(sorted(counter.by_kind.items()))}),"
        f" {seconds:.1f} s of processing (no network)"
    )


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    local_count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    simulated_count = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    local(local_count)
    simulated(simulated_count, batches=True)
    simulated(simulated_count, batches=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
