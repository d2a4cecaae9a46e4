"""Location ingest benchmark on the local stack (loopback only): the real pipeline against a naive baseline.

    .venv/bin/python -m bench.ingest [--workers 10] [--rounds 2] [--pings 30] [--batch 30] [--members 1000]
    make bench

It starts its own local host on a free port with a scratch database and queues (like the integration tests), with
the app of bench/ingest_app.py: the product's app plus a naive baseline (one HTTP call, one queue message and one
Cosmos DB write per ping), a no-op endpoint and counters of every backend request the host makes. N simulated
workers each post their pings along a route; the pipeline and the baseline run in alternating rounds. Printed:

1. backend calls per 1,000 pings (HTTP requests + queue operations + Cosmos DB requests), counted by the host;
2. stored bytes per ping, and Cosmos DB request units per ping modelled from documented costs (the emulator
   charges 1 RU for everything, so requests are counted and priced with the model printed below the table);
3. sustained pings per second end to end (first HTTP call of a round until its last ping is stored), also as a
   share of the store's ceiling measured in the same run (bench/ceiling.py: a bare client, same batch size);
4. p50/p99 latency of the ingest call, and as a ratio to a no-op endpoint called during the same rounds;
5. freshness: p50/p99 from an accepted call to its newest ping showing as the member's latest position
   (baseline: to the ping being readable, the closest it has);
6. cost growth: the latest-positions view for 1,000 members and one member's day track with 1x, 10x and 100x
   stored history: Cosmos DB requests, items read and time per call.

Time: about two minutes with the defaults. Figures from the emulator are relative: compare the two columns. The
emulator answers a query by scanning the whole container (it ignores partitions), so its query times grow with
everything stored; the counted requests and items returned are what Cosmos DB would charge for.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import signal
import statistics
import subprocess  # nosec B404 - starts this checkout's local host
import sys
import threading
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.local_host import scratch_settings, start_host, stop_host

ROOT = Path(__file__).resolve().parents[1]
BATCH_OPS = 100


# ---------------------------------------------------------------- local stack


@dataclass
class Stack:
    url: str
    proc: subprocess.Popen[bytes]
    settings: Any
    database: Any
    naive_queue: str
    log_path: Path


def start_stack() -> Stack:
    settings, suffix = scratch_settings("bench")
    from azure.cosmos import PartitionKey

    from core.adapters.cosmos import build_cosmos_client
    from core.adapters.queues import build_queue_service

    naive_queue = f"bench-naive-{suffix}"
    os.environ["BENCH_NAIVE_QUEUE"] = naive_queue
    database = build_cosmos_client(settings).get_database_client(settings.cosmos_database)
    database.create_container_if_not_exists(id="bench-naive-pings", partition_key=PartitionKey(path="/accountId"))
    build_queue_service(settings).create_queue(naive_queue)
    proc, url, log_path = start_host(f"devhost-bench-{suffix}", app="bench.ingest_app")
    return Stack(url, proc, settings, database, naive_queue, log_path)


def stop_stack(stack: Stack) -> None:
    stop_host(stack.proc)
    from core.adapters.queues import build_queue_service
    from scripts.provision import drop

    drop(stack.settings)
    with contextlib.suppress(Exception):  # best effort clean-up
        build_queue_service(stack.settings).delete_queue(stack.naive_queue)


# ---------------------------------------------------------------- people and routes


@dataclass
class Worker:
    user_id: str
    token: str
    route: Route
    sent: list[str] = field(default_factory=list)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Route:
    """A plausible field day: walking, driving and standing still, with GPS/Wi-Fi/fused fixes of varying accuracy."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.lat = 44.95 + rng.uniform(-0.1, 0.1)
        self.lon = -93.2 + rng.uniform(-0.1, 0.1)
        self.heading = rng.uniform(0, 360)
        self.mode, self.left = "walk", 0
        self.battery = rng.uniform(40, 100)

    def step(self, seconds: float = 10.0) -> dict[str, Any]:
        if self.left <= 0:
            self.mode = self.rng.choice(["walk", "drive", "drive", "stay"])
            self.left = self.rng.randint(6, 40)
        self.left -= 1
        speed = {"walk": 1.4, "drive": 13.0, "stay": 0.0}[self.mode] * self.rng.uniform(0.7, 1.2)
        self.heading = (self.heading + self.rng.gauss(0, 12)) % 360
        metres = speed * seconds
        self.lat += metres * math.cos(math.radians(self.heading)) / 111_320
        self.lon += metres * math.sin(math.radians(self.heading)) / (111_320 * math.cos(math.radians(self.lat)))
        self.battery = max(5.0, self.battery - 0.01)
        source = self.rng.choices(["gps", "fused", "wifi", "cell"], [6, 3, 2, 1])[0]
        accuracy = {"gps": 5, "fused": 10, "wifi": 30, "cell": 400}[source] * self.rng.uniform(0.6, 1.6)
        jitter = accuracy / 111_320 * 0.3
        return {
            "latitude": round(self.lat + self.rng.gauss(0, jitter), 7),
            "longitude": round(self.lon + self.rng.gauss(0, jitter), 7),
            "horizontalAccuracy": round(accuracy, 1),
            "altitude": round(260 + self.rng.gauss(0, 3), 1),
            "speed": round(speed, 2),
            "heading": round(self.heading, 1),
            "batteryLevel": round(self.battery),
            "source": source,
        }


def iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def make_pings(worker: Worker, count: int, deviceid: str) -> list[dict[str, Any]]:
    """`count` pings ending now, 20 ms apart (the route advances 10 s per ping: a compressed field day)."""
    now = datetime.now(UTC)
    pings = []
    for i in range(count):
        ping = {
            "id": str(uuid.uuid4()),
            "timestamp": iso(now - timedelta(milliseconds=20 * (count - i))),
            **worker.route.step(),
            "deviceId": deviceid,
        }
        pings.append(ping)
        worker.sent.append(ping["id"])
    return pings


def setup_workers(client: httpx.Client, n: int, rng: random.Random) -> tuple[Worker, list[Worker], str]:
    from scripts import dev_issuer

    def identity() -> tuple[str, str, str]:
        uid = f"bench-{uuid.uuid4().hex[:12]}"
        email = f"{uid}@example.com"
        return uid, email, dev_issuer.mint(uid, email)

    uid, email, token = identity()
    owner = Worker(uid, token, Route(rng))
    body = {
        "fullLegalName": "Bench Owner",
        "companyName": "Bench Co",
        "email": email,
        "timeZone": "UTC",
        "dateOfBirth": "1980-01-01",
        "billingAddress": {"line1": "1 Main St", "city": "Plymouth", "postalCode": "55441", "country": "US"},
    }
    r = client.post("/accounts", json=body, headers=owner.auth)
    r.raise_for_status()
    account_id = r.json()["account"]["accountId"]
    workers = []
    for _ in range(n):
        uid, email, token = identity()
        worker = Worker(uid, token, Route(rng))
        r = client.post(f"/accounts/{account_id}/invitations", json={"email": email}, headers=owner.auth)
        r.raise_for_status()
        client.post(f"/invitations/{r.json()['token']}/accept", json={}, headers=worker.auth).raise_for_status()
        client.put(
            "/me/consents/location",
            json={"granted": True, "deviceId": f"dev-{uid}", "appVersion": "5.0.0"},
            headers=worker.auth,
        ).raise_for_status()
        workers.append(worker)
    return owner, workers, account_id


# ---------------------------------------------------------------- measuring


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


@dataclass
class Phase:
    pings: int = 0
    http: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    noop: list[float] = field(default_factory=list)
    freshness: list[float] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, other: Phase) -> None:
        self.pings += other.pings
        self.http += other.http
        self.seconds += other.seconds
        self.latencies += other.latencies
        self.noop += other.noop
        self.freshness += other.freshness
        self.counts.update(other.counts)


def counters(client: httpx.Client) -> Counter[str]:
    return Counter(client.get("/bench/counters").json())


def noop_probe(client: httpx.Client, out: list[float], stop: threading.Event) -> None:
    while not stop.is_set():
        t0 = time.perf_counter()
        client.get("/bench/noop")
        out.append(time.perf_counter() - t0)
        stop.wait(0.01)


def run_phase(
    client: httpx.Client,
    workers: list[Worker],
    send: Callable[[Worker, Phase, list[Any]], None],
    is_fresh: Callable[[list[Any]], None],
    stored: Callable[[], int],
    expected: int,
) -> Phase:
    """Run `send` for every worker at once, with a no-op probe and a freshness watcher, until all is stored."""
    phase = Phase()
    before = counters(client)
    pending: list[Any] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def guarded(target: Callable[..., None], *args: Any) -> None:
        try:
            target(*args)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)
            stop.set()

    def watch() -> None:
        while not stop.is_set() or pending:
            is_fresh(pending)
            phase.freshness.extend(p[-1] for p in pending if len(p) > 3)
            pending[:] = [p for p in pending if len(p) <= 3]
            time.sleep(0.01)

    helpers = [
        threading.Thread(target=guarded, args=(noop_probe, client, phase.noop, stop), daemon=True),
        threading.Thread(target=guarded, args=(watch,), daemon=True),
    ]
    started = time.perf_counter()
    for t in helpers:
        t.start()
    try:
        senders = [threading.Thread(target=guarded, args=(send, w, phase, pending), daemon=True) for w in workers]
        for t in senders:
            t.start()
        for t in senders:
            t.join()
        deadline = time.monotonic() + 60
        while not failures and stored() < expected:
            if time.monotonic() > deadline:
                raise SystemExit(f"pings were not all stored within 60 s ({stored()} of {expected})")
            time.sleep(0.05)
        phase.seconds = time.perf_counter() - started
        deadline = time.monotonic() + 20
        while not failures and any(len(p) == 3 for p in pending) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        pending.clear()
        for t in helpers:
            t.join(timeout=5)
    if failures:
        raise SystemExit(f"the benchmark failed: {failures[0]!r}")
    phase.counts = counters(client) - before
    return phase


def _cosmos_docs(container: Any, query: str, params: list[dict[str, Any]], pk: str) -> list[Any]:
    return list(container.query_items(query, parameters=params, partition_key=pk))


# ---------------------------------------------------------------- figures


@dataclass
class RuModel:
    """Documented ballpark costs, applied to the counted requests (the emulator charges 1 RU for everything)."""

    write_per_kb: float = 5.5  # a 1 KB document write, few indexed paths
    per_indexed_term: float = 0.4  # each indexed property value adds to a write
    point_read: float = 1.0
    query: float = 2.9  # a small single-partition query

    def write(self, size_bytes: float, indexed_terms: int) -> float:
        return self.write_per_kb * max(1.0, size_bytes / 1024) + self.per_indexed_term * indexed_terms


def _leaf_count(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_leaf_count(v) for v in value.values())
    if isinstance(value, list):
        return sum(_leaf_count(v) for v in value) or 1
    return 1


SYSTEM = ("_rid", "_self", "_etag", "_attachments", "_ts")


def doc_size(doc: dict[str, Any]) -> int:
    return len(json.dumps({k: v for k, v in doc.items() if k not in SYSTEM}, separators=(",", ":")).encode())


PIPELINE = ("ingest_locations", "write_pings")
BASELINE = ("bench_naive_ping", "bench_naive_writer")


def _split(key: str) -> tuple[str, str]:
    fn, _, what = key.partition(" ")
    return fn, what


def call_counts(phase: Phase, queue: str, functions: tuple[str, ...]) -> dict[str, float]:
    """Cosmos DB requests made by the mode's functions; queue operations on the mode's queue (sends by the
    function, receives and deletes by the host); HTTP calls counted by the client."""
    queue_ops = cosmos = 0
    for key, n in phase.counts.items():
        fn, what = _split(key)
        if what.startswith(f"queue.{queue}.") and not what.endswith("receive-empty"):
            queue_ops += n
        elif fn in functions and what.startswith(("cosmos.request.", "cosmos.meta.")):
            cosmos += n
    per = 1000 / phase.pings
    return {
        "http": phase.http * per,
        "queue": queue_ops * per,
        "cosmos": cosmos * per,
        "total": (phase.http + queue_ops + cosmos) * per,
    }


def ru_per_ping(phase: Phase, model: RuModel, sizes: dict[str, tuple[float, int]], functions: tuple[str, ...]) -> float:
    """Writes priced by the stored size and indexed terms of that container's documents; reads and queries flat."""
    total = 0.0
    for key, n in phase.counts.items():
        fn, what = _split(key)
        if fn not in functions:
            continue
        parts = what.split(".")
        if parts[:2] == ["cosmos", "written"]:
            size, terms = sizes.get(parts[2], (1024.0, 10))
            total += n * model.write(size, terms)
        elif parts[:2] == ["cosmos", "request"] and parts[-1] == "read":
            total += n * model.point_read
        elif parts[:2] == ["cosmos", "request"] and parts[-1] == "query":
            total += n * model.query
    return total / phase.pings


def row(label: str, ours: float, naive: float, unit: str = "", better: str = "lower") -> str:
    ratio = (naive / ours) if ours else float("inf")
    note = "x baseline/pipeline" if better == "lower" else "x pipeline/baseline"
    shown = ratio if better == "lower" else (ours / naive if naive else float("inf"))
    return f"  {label:<44}{ours:>12.1f}{naive:>12.1f}  {unit:<8}{shown:>7.1f} {note}"


# ---------------------------------------------------------------- cost growth


def seed_account(db: Any, members: int, tag: str = "growth") -> tuple[str, dict[str, str], list[str]]:
    """An account with `members` members, each with a latest position, written straight to Cosmos DB:
    (account id, the owner's auth header, [owner id, member ids...])."""
    from core import schema
    from core.adapters.cosmos import CosmosAccountStore, CosmosUserStore, to_doc
    from core.domain.accounts import Account, BillingAddress, Member, UserRecord
    from core.domain.identity import Role
    from scripts import dev_issuer

    now = datetime.now(UTC)
    account_id = f"bench-{tag}-{uuid.uuid4().hex[:8]}"
    owner_id = f"bench-owner-{uuid.uuid4().hex[:8]}"
    accounts, users = CosmosAccountStore(db), CosmosUserStore(db)
    accounts.put_account(
        Account(
            account_id=account_id,
            owner_user_id=owner_id,
            company_name="Growth Co",
            billing_address=BillingAddress(line1="1 Main", city="Plymouth", postal_code="55441", country="US"),
            time_zone="UTC",
            created_at=now,
        )
    )
    users.create_user(UserRecord(user_id=owner_id, account_id=account_id, role=Role.OWNER, created_at=now))
    owner_auth = {"Authorization": f"Bearer {dev_issuer.mint(owner_id, f'{owner_id}@example.com')}"}
    member_ids = [owner_id] + [f"bench-m-{i:04d}-{uuid.uuid4().hex[:6]}" for i in range(members)]
    docs = [
        to_doc(
            Member(
                account_id=account_id,
                user_id=u,
                role=Role.OWNER if u == owner_id else Role.MEMBER,
                full_name=f"Worker {i}",
                email=f"{u}@example.com",
                time_zone="UTC",
                joined_at=now,
                updated_at=now,
            ),
            doc_id=f"member-{u}",
            doc_type="member",
            accountId=account_id,
        )
        for i, u in enumerate(member_ids)
    ]
    _batches(db.get_container_client(schema.ACCOUNTS.name), account_id, docs)
    rng = random.Random(7)
    latest = [
        {
            "id": u,
            "accountId": account_id,
            "docType": "latest-position",
            "user_id": u,
            "ping_id": str(uuid.uuid4()),
            "t": int((now - timedelta(seconds=rng.randint(5, 3600))).timestamp() * 1000),
            "lat": 44.9 + rng.random() / 10,
            "lon": -93.2 + rng.random() / 10,
            "acc": 8.0,
            "src": "gps",
            "updated_at": now.isoformat(),
        }
        for u in member_ids[1:]
    ]
    _batches(db.get_container_client(schema.LATEST_POSITIONS.name), account_id, latest)
    return account_id, owner_auth, member_ids


def seed_growth(
    stack: Stack, client: httpx.Client, members: int, day_pings: int, levels: list[int], repeat: int
) -> list[str]:
    """An account with `members` members and latest positions, one member whose stored history grows by days."""
    from core import schema
    from core.adapters.cosmos_tracking import ping_doc, ping_partition
    from core.domain.tracking import Ping, PingSource

    db = stack.database
    now = datetime.now(UTC)
    account_id, owner_auth, member_ids = seed_account(db, members)
    rng = random.Random(7)
    measured = member_ids[1]
    pings_c = db.get_container_client(schema.PINGS.name)
    naive_c = db.get_container_client("bench-naive-pings")
    route = Route(rng)

    def day_of_pings(day: date) -> list[Ping]:
        start = datetime(day.year, day.month, day.day, 6, tzinfo=UTC)
        out = []
        for i in range(day_pings):
            step = route.step()
            out.append(
                Ping(
                    ping_id=str(uuid.uuid4()),
                    t=start + timedelta(seconds=40 * i),
                    lat=step["latitude"],
                    lon=step["longitude"],
                    acc=step["horizontalAccuracy"],
                    src=PingSource(step["source"]),
                    alt=step["altitude"],
                    spd=step["speed"],
                    hdg=step["heading"],
                    bat=step["batteryLevel"],
                )
            )
        return out

    def store_day(day: date) -> None:
        pings = day_of_pings(day)
        pk = ping_partition(account_id, measured, day)
        _batches(pings_c, pk, [ping_doc(pk, p) for p in pings])
        _batches(
            naive_c,
            account_id,
            [
                {
                    "id": p.ping_id,
                    "accountId": account_id,
                    "userId": measured,
                    "docType": "ping",
                    "timestamp": iso(p.t),
                    "latitude": p.lat,
                    "longitude": p.lon,
                    "horizontalAccuracy": p.acc,
                    "source": p.src.value,
                }
                for p in pings
            ],
        )

    today = now.date()
    measured_day = today - timedelta(days=1)
    lines = []
    stored_days = 0
    for level in levels:
        t_seed = time.perf_counter()
        while stored_days < level:
            store_day(measured_day - timedelta(days=stored_days))
            stored_days += 1
        print(f"     (seeded {stored_days} days in {time.perf_counter() - t_seed:.0f} s)", flush=True)
        start = datetime(measured_day.year, measured_day.month, measured_day.day, tzinfo=UTC)
        track_params = {"from": iso(start), "to": iso(start + timedelta(days=1)), "limit": "10000"}
        view = _measure(
            client, repeat, lambda: client.get(f"/accounts/{account_id}/locations/latest", headers=owner_auth)
        )
        track = _measure(
            client,
            repeat,
            lambda p=track_params: client.get(  # type: ignore[misc]  # the lambda's default binds this loop's value; mypy cannot infer a lambda default's type
                f"/accounts/{account_id}/members/{measured}/track", params=p, headers=owner_auth
            ),
        )
        naive_times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            list(
                naive_c.query_items(
                    "SELECT * FROM c WHERE c.accountId = @a AND c.userId = @u AND c.timestamp >= @s AND c.timestamp < @e"
                    " ORDER BY c.timestamp",
                    parameters=[
                        {"name": "@a", "value": account_id},
                        {"name": "@u", "value": measured},
                        {"name": "@s", "value": iso(start)},
                        {"name": "@e", "value": iso(start + timedelta(days=1))},
                    ],
                    partition_key=account_id,
                )
            )
            naive_times.append(time.perf_counter() - t0)
        lines.append(
            f"  {level:>4}x history ({stored_days * day_pings:>6} stored pings of the member)\n"
            f"        latest view ({members} members): {view['cosmos']:.0f} Cosmos requests, {view['items']:.0f} items"
            f" returned, {view['ms']:.0f} ms p50\n"
            f"        day track ({day_pings} points): {track['cosmos']:.0f} Cosmos requests, {track['items']:.0f} items"
            f" returned, {track['ms']:.0f} ms p50\n"
            f"        baseline day query (one partition per account): {statistics.median(naive_times) * 1000:.0f} ms p50"
        )
    return lines


def _batches(container: Any, pk: str, docs: list[dict[str, Any]]) -> None:
    for start in range(0, len(docs), BATCH_OPS):
        container.execute_item_batch(
            batch_operations=[("create", (d,)) for d in docs[start : start + BATCH_OPS]], partition_key=pk
        )


def _measure(client: httpx.Client, repeat: int, call: Callable[[], httpx.Response]) -> dict[str, float]:
    before = counters(client)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = call()
        times.append(time.perf_counter() - t0)
        r.raise_for_status()
    delta = counters(client) - before
    mine = {_split(k)[1]: v for k, v in delta.items() if _split(k)[0] in ("get_latest_positions", "get_member_track")}
    cosmos = sum(v for k, v in mine.items() if k.startswith(("cosmos.request.", "cosmos.meta.")))
    returned = sum(v for k, v in mine.items() if k.startswith("cosmos.returned."))
    return {"cosmos": cosmos / repeat, "items": returned / repeat, "ms": statistics.median(times) * 1000}


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2, help="pipeline and baseline rounds, alternating")
    parser.add_argument("--pings", type=int, default=30, help="pings per worker per round")
    parser.add_argument("--batch", type=int, default=30, help="pings per ingest call (pipeline)")
    parser.add_argument("--members", type=int, default=1000, help="members of the cost-growth account")
    parser.add_argument("--day-pings", type=int, default=200, help="pings per stored day (cost growth)")
    parser.add_argument("--levels", default="1,10,100", help="stored days of history (cost growth)")
    parser.add_argument("--repeat", type=int, default=5, help="calls per cost-growth measurement")
    parser.add_argument("--growth-only", action="store_true", help="only the cost-growth measurement (6)")
    parser.add_argument("--ceiling-seconds", type=float, default=5, help="seconds of the store-ceiling measurement")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")  # the Cosmos DB emulator's self-signed certificate
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))  # clean-up (finally) still runs
    rng = random.Random(42)
    began = time.perf_counter()
    print(
        f"ingest benchmark: {args.workers} workers x {args.pings} pings x {args.rounds} rounds per mode, "
        f"pipeline batches of {args.batch}; loopback only",
        flush=True,
    )
    stack = start_stack()
    try:
        with httpx.Client(
            base_url=stack.url, timeout=60, limits=httpx.Limits(max_connections=args.workers + 8)
        ) as client:
            report(stack, client, args, rng)
    finally:
        stop_stack(stack)
    print(f"\n  total time {time.perf_counter() - began:.0f} s (host log: {stack.log_path.relative_to(ROOT)})")
    return 0


def report(stack: Stack, client: httpx.Client, args: argparse.Namespace, rng: random.Random) -> None:
    from core import schema

    if args.growth_only:
        growth(stack, client, args)
        return
    _owner, workers, account_id = setup_workers(client, args.workers, rng)
    pings_c = stack.database.get_container_client(schema.PINGS.name)
    latest_c = stack.database.get_container_client(schema.LATEST_POSITIONS.name)
    naive_c = stack.database.get_container_client("bench-naive-pings")
    queue = os.environ[schema.LOCATION_PINGS_QUEUE.setting]
    time.sleep(1.5)  # every ping below is taken after the consents were granted

    def pipeline_send(w: Worker, phase: Phase, pending: list[Any]) -> None:
        for _ in range(args.pings // args.batch):
            pings = make_pings(w, args.batch, f"dev-{w.user_id}")
            t0 = time.perf_counter()
            r = client.post("/me/locations", json={"pings": pings}, headers=w.auth)
            done = time.perf_counter()
            assert r.status_code == 202 and r.json()["accepted"] == len(pings), f"{r.status_code} {r.text[:300]}"
            phase.latencies.append(done - t0)
            phase.http += 1
            phase.pings += len(pings)
            newest = int(datetime.fromisoformat(pings[-1]["timestamp"].replace("Z", "+00:00")).timestamp() * 1000)
            pending.append([w.user_id, newest, done])

    def pipeline_fresh(pending: list[Any]) -> None:
        if not pending:
            return
        docs = _cosmos_docs(
            latest_c,
            "SELECT c.id, c.t FROM c WHERE c.accountId = @a",
            [{"name": "@a", "value": account_id}],
            account_id,
        )
        seen = {d["id"]: d["t"] for d in docs}
        now = time.perf_counter()
        for p in pending:
            if len(p) == 3 and seen.get(p[0], -1) >= p[1]:
                p.append(now - p[2])

    def naive_send(w: Worker, phase: Phase, pending: list[Any]) -> None:
        for ping in make_pings(w, args.pings, f"dev-{w.user_id}"):
            t0 = time.perf_counter()
            r = client.post("/bench/naive-ping", json=ping, headers=w.auth)
            done = time.perf_counter()
            assert r.status_code == 202, f"{r.status_code} {r.text[:300]}"
            phase.latencies.append(done - t0)
            phase.http += 1
            phase.pings += 1
            pending.append([ping["id"], 0, done])

    def naive_fresh(pending: list[Any]) -> None:
        waiting = [p[0] for p in pending if len(p) == 3][:200]
        if not waiting:
            return
        found = set(
            _cosmos_docs(
                naive_c,
                "SELECT VALUE c.id FROM c WHERE c.accountId = @a AND ARRAY_CONTAINS(@ids, c.id)",
                [{"name": "@a", "value": account_id}, {"name": "@ids", "value": waiting}],
                account_id,
            )
        )
        now = time.perf_counter()
        for p in pending:
            if len(p) == 3 and p[0] in found:
                p.append(now - p[2])

    def pipeline_stored() -> int:
        total = 0
        days = {datetime.now(UTC).date(), datetime.now(UTC).date() - timedelta(days=1)}
        for w in workers:
            for day in days:
                pk = f"{account_id}|{w.user_id}|{day.isoformat()}"
                total += _cosmos_docs(
                    pings_c, "SELECT VALUE COUNT(1) FROM c WHERE c.pk = @pk", [{"name": "@pk", "value": pk}], pk
                )[0]
        return total

    def naive_stored() -> int:
        return int(
            _cosmos_docs(
                naive_c,
                "SELECT VALUE COUNT(1) FROM c WHERE c.accountId = @a",
                [{"name": "@a", "value": account_id}],
                account_id,
            )[0]
        )

    ours, naive = Phase(), Phase()
    for r in range(args.rounds):
        expected = (r + 1) * args.workers * (args.pings // args.batch) * args.batch
        ours.add(run_phase(client, workers, pipeline_send, pipeline_fresh, pipeline_stored, expected))
        naive.add(
            run_phase(client, workers, naive_send, naive_fresh, naive_stored, (r + 1) * args.workers * args.pings)
        )
        print(f"  round {r + 1}/{args.rounds} done", flush=True)
    from bench import ceiling

    store = ceiling.measure(stack.settings, batch=args.batch, threads=4, seconds=args.ceiling_seconds)

    ping_docs = _cosmos_docs(
        pings_c,
        "SELECT * FROM c WHERE c.pk = @pk",
        [{"name": "@pk", "value": f"{account_id}|{workers[0].user_id}|{datetime.now(UTC).date()}"}],
        f"{account_id}|{workers[0].user_id}|{datetime.now(UTC).date()}",
    ) or [{}]
    naive_docs = _cosmos_docs(
        naive_c,
        "SELECT * FROM c WHERE c.accountId = @a AND c.userId = @u",
        [{"name": "@a", "value": account_id}, {"name": "@u", "value": workers[0].user_id}],
        account_id,
    )
    latest_docs = _cosmos_docs(
        latest_c, "SELECT * FROM c WHERE c.accountId = @a", [{"name": "@a", "value": account_id}], account_id
    )
    ours_size = statistics.mean(doc_size(d) for d in ping_docs)
    naive_size = statistics.mean(doc_size(d) for d in naive_docs)
    latest_size = statistics.mean(doc_size(d) for d in latest_docs)
    model = RuModel()
    ours_ru = ru_per_ping(
        ours, model, {schema.PINGS.name: (ours_size, 2), schema.LATEST_POSITIONS.name: (latest_size, 2)}, PIPELINE
    )
    naive_terms = round(
        statistics.mean(_leaf_count({k: v for k, v in d.items() if k not in SYSTEM}) for d in naive_docs)
    )
    naive_ru = ru_per_ping(naive, model, {"bench-naive-pings": (naive_size, naive_terms)}, BASELINE)
    ours_calls = call_counts(ours, queue, PIPELINE)
    naive_calls = call_counts(naive, stack.naive_queue, BASELINE)

    print(f"\n  {'figure':<44}{'pipeline':>12}{'baseline':>12}  {'unit':<8}  ratio")
    print(row("1. backend calls per 1,000 pings", ours_calls["total"], naive_calls["total"], "calls"))
    print(row("   HTTP requests", ours_calls["http"], naive_calls["http"], "calls"))
    print(row("   queue operations (send, receive, delete)", ours_calls["queue"], naive_calls["queue"], "calls"))
    print(row("   Cosmos DB requests", ours_calls["cosmos"], naive_calls["cosmos"], "calls"))
    print(row("2. stored bytes per ping (document body)", ours_size, naive_size, "bytes"))
    print(row("   request units per ping (modelled)", ours_ru, naive_ru, "RU"))
    print(
        row(
            "3. sustained pings per second end to end",
            ours.pings / ours.seconds,
            naive.pings / naive.seconds,
            "pings/s",
            better="higher",
        )
    )
    print(
        f"     as a share of the store's ceiling measured in this run (bare client, batches of {args.batch}:"
        f" {store.per_second:.0f} pings/s): pipeline {ceiling.share(ours.pings / ours.seconds, store.per_second)},"
        f" baseline {ceiling.share(naive.pings / naive.seconds, store.per_second)}"
    )
    for q in (50, 99):
        o, n = pct(ours.latencies, q) * 1000, pct(naive.latencies, q) * 1000
        print(row(f"4. ingest call p{q}", o, n, "ms"))
        print(
            f"     as a ratio to the no-op endpoint p{q}: pipeline {o / (pct(ours.noop, q) * 1000):.1f}x, "
            f"baseline {n / (pct(naive.noop, q) * 1000):.1f}x (no-op p{q}: {pct(ours.noop, q) * 1000:.1f} ms / "
            f"{pct(naive.noop, q) * 1000:.1f} ms)"
        )
    for q in (50, 99):
        print(
            row(
                f"5. freshness p{q} (accepted -> latest position)",
                pct(ours.freshness, q) * 1000,
                pct(naive.freshness, q) * 1000,
                "ms",
            )
        )
    print(
        f"\n  pings per mode: {ours.pings} (pipeline, {ours.http} calls), {naive.pings} (baseline, {naive.http} calls);"
        f" freshness samples: {len(ours.freshness)} / {len(naive.freshness)}"
    )
    print(
        f"  RU model: write = {model.write_per_kb} RU x max(1, KB) + {model.per_indexed_term} RU per indexed term"
        f" (pipeline pings: 2 indexed paths; baseline: every path, ~{naive_terms} terms); point read ="
        f" {model.point_read} RU; query = {model.query} RU. Latest-position document: {latest_size:.0f} bytes."
    )
    for label, phase, fns, qname in (
        ("pipeline", ours, PIPELINE, queue),
        ("baseline", naive, BASELINE, stack.naive_queue),
    ):
        shown = {
            k: v
            for k, v in sorted(phase.counts.items())
            if _split(k)[0] in fns or _split(k)[1].startswith(f"queue.{qname}.")
        }
        print(f"  counted by the host ({label}): {shown}")

    growth_lines = growth(stack, client, args)
    figures = {
        "batch": args.batch,
        "callsPerThousand": [ours_calls["total"], naive_calls["total"]],
        "cosmosPerThousand": [ours_calls["cosmos"], naive_calls["cosmos"]],
        "ruPerPing": [ours_ru, naive_ru],
        "bytesPerPing": [ours_size, naive_size],
        "sustainedPerS": [ours.pings / ours.seconds, naive.pings / naive.seconds],
        "ceilingPerS": store.per_second,
        "ingestP50Ms": [pct(ours.latencies, 50) * 1000, pct(naive.latencies, 50) * 1000],
        "ingestP99Ms": [pct(ours.latencies, 99) * 1000, pct(naive.latencies, 99) * 1000],
        "noopP50Ms": pct(ours.noop, 50) * 1000,
        "noopP99Ms": pct(ours.noop, 99) * 1000,
        "freshnessP50Ms": [pct(ours.freshness, 50) * 1000, pct(naive.freshness, 50) * 1000],
        "freshnessP99Ms": [pct(ours.freshness, 99) * 1000, pct(naive.freshness, 99) * 1000],
        "growth": growth_lines,
        "measuredAt": datetime.now(UTC).replace(microsecond=0).isoformat(),
    }
    out = ROOT / ".local" / "bench" / "ingest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")


def growth(stack: Stack, client: httpx.Client, args: argparse.Namespace) -> list[str]:
    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    print(
        f"\n  6. cost growth ({args.repeat} calls each; the pipeline's Cosmos requests per call should stay flat):",
        flush=True,
    )
    lines = seed_growth(stack, client, args.members, args.day_pings, levels, args.repeat)
    for line in lines:
        print(line, flush=True)
    return lines


if __name__ == "__main__":
    sys.exit(main())
