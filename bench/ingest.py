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
import json
import os
import random
import signal
import statistics
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.lib.measure import (
    BASELINE,
    NAIVE_CONTAINER,
    PIPELINE,
    SYSTEM,
    Phase,
    RuModel,
    call_counts,
    cosmos_reads,
    counters,
    doc_size,
    leaf_count,
    pct,
    ru_per_ping,
    split_key,
)
from bench.lib.people import Route, Worker, iso, route_pings, seed_account, setup_workers, write_in_batches
from bench.lib.stack import Stack, start_stack, stop_stack

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- one round of a mode


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


def row(label: str, ours: float, naive: float, unit: str = "", better: str = "lower") -> str:
    ratio = (naive / ours) if ours else float("inf")
    note = "x baseline/pipeline" if better == "lower" else "x pipeline/baseline"
    shown = ratio if better == "lower" else (ours / naive if naive else float("inf"))
    return f"  {label:<44}{ours:>12.1f}{naive:>12.1f}  {unit:<8}{shown:>7.1f} {note}"


# ---------------------------------------------------------------- cost growth


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
    naive_c = db.get_container_client(NAIVE_CONTAINER)
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
        write_in_batches(pings_c, pk, [ping_doc(pk, p) for p in pings])
        write_in_batches(
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


def _measure(client: httpx.Client, repeat: int, call: Callable[[], httpx.Response]) -> dict[str, float]:
    before = counters(client)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = call()
        times.append(time.perf_counter() - t0)
        r.raise_for_status()
    cosmos, returned = cosmos_reads(counters(client) - before, ("get_latest_positions", "get_member_track"))
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
    naive_c = stack.database.get_container_client(NAIVE_CONTAINER)
    queue = os.environ[schema.LOCATION_PINGS_QUEUE.setting]
    naive_queue = stack.naive_queue
    assert naive_queue is not None, "start_stack() serves bench/ingest_app.py, with its baseline queue"
    time.sleep(1.5)  # every ping below is taken after the consents were granted

    def pipeline_send(w: Worker, phase: Phase, pending: list[Any]) -> None:
        for _ in range(args.pings // args.batch):
            pings = route_pings(w.route, f"dev-{w.user_id}", args.batch, apart_ms=20)
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
        for ping in route_pings(w.route, f"dev-{w.user_id}", args.pings, apart_ms=20):
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
        statistics.mean(leaf_count({k: v for k, v in d.items() if k not in SYSTEM}) for d in naive_docs)
    )
    naive_ru = ru_per_ping(naive, model, {NAIVE_CONTAINER: (naive_size, naive_terms)}, BASELINE)
    ours_calls = call_counts(ours, queue, PIPELINE)
    naive_calls = call_counts(naive, naive_queue, BASELINE)

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
        ("baseline", naive, BASELINE, naive_queue),
    ):
        shown = {
            k: v
            for k, v in sorted(phase.counts.items())
            if split_key(k)[0] in fns or split_key(k)[1].startswith(f"queue.{qname}.")
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
