"""Load benchmark (proof row 14): a fixed-duration ingest load on loopback with owners reading at the same time.

    .venv/bin/python -m bench.load [--duration 45] [--accounts 2] [--members 5] [--batch 20] [--interval 1]
    make bench

It starts its own local host on a free port (the product's function app, as deployed) with a scratch Cosmos DB
database and queues (suffix `load-<random>`), and drops them afterwards. In each of `--accounts` accounts,
`--members` members with location consent post batches of `--batch` pings every `--interval` seconds (paced: a slow
call is followed by the next one at once, with no catch-up burst), while the account's owner reads the team's
latest positions, the member list and one member's track of the last minutes, back to back. After `--duration`
seconds the load stops; the benchmark then waits (at most `--drain` seconds) until every accepted ping is stored
and compares the stored ping ids in Cosmos DB with the accepted ones. Printed and recorded as the row 14 figure
(scripts/figures.py): pings/s accepted and stored, p50/p95/p99 of the ingest calls and of the owner reads, errors
by kind, pings not stored within the drain window (with the queue and poison queue depths) and unexpected
pings. Exits 1 when an accepted ping is not stored within the window, an unexpected one is stored, or a call fails.

Loopback only; every loop is bounded by the deadline and by a count. Figures from the emulators on a shared
machine are relative, not a capacity plan.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import signal
import sys
import threading
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.lib.measure import paced, pct
from bench.lib.people import Identity, Route, add_member, identity, iso, open_account, route_pings
from bench.lib.stack import Stack, peak_rss_mb, start_stack, stop_stack

ROOT = Path(__file__).resolve().parents[1]
SOURCE = "bench/load.py"
MAX_CALLS_PER_THREAD = 100_000  # a bound besides the deadline


# ---------------------------------------------------------------- people


@dataclass
class Person(Identity):
    account_id: str = ""
    route: Route | None = None
    accepted: dict[date, set[str]] = field(default_factory=dict)  # UTC day -> accepted ping ids


def setup_account(client: httpx.Client, members: int, rng: random.Random) -> tuple[Person, list[Person]]:
    """An owner's account and `members` consenting members on their routes (tokens valid for two hours)."""
    me = identity("load", minutes=120)
    account_id = open_account(client, me, company="Load Co", owner_name="Load Owner")
    owner = Person(me.user_id, me.email, me.token, account_id)
    team = []
    for _ in range(members):
        me = identity("load", minutes=120)
        m = Person(me.user_id, me.email, me.token, account_id, Route(rng))
        add_member(client, account_id, owner, m, device_id=f"dev-{m.user_id}", app_version="5.0.0")
        team.append(m)
    return owner, team


# ---------------------------------------------------------------- load


@dataclass
class Results:
    lock: threading.Lock = field(default_factory=threading.Lock)
    ingest: list[float] = field(default_factory=list)
    reads: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    sent: int = 0
    accepted: int = 0
    not_accepted: int = 0  # received but neither accepted nor an error (dropped, rejected, duplicate)

    def read(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.reads.setdefault(kind, []).append(seconds)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors[what] += 1


def member_loop(client: httpx.Client, m: Person, args: argparse.Namespace, deadline: float, res: Results) -> None:
    assert m.route is not None
    for _ in paced(args.interval, deadline, most=MAX_CALLS_PER_THREAD):
        pings = route_pings(m.route, f"dev-{m.user_id}", args.batch, apart_ms=10)
        t0 = time.perf_counter()
        try:
            r = client.post("/me/locations", json={"pings": pings}, headers=m.auth)
        except httpx.HTTPError as exc:
            res.error(f"ingest {type(exc).__name__}")
            continue
        elapsed = time.perf_counter() - t0
        if r.status_code != 202:
            res.error(f"ingest {r.status_code}")
            continue
        accepted = r.json()["accepted"]
        with res.lock:
            res.ingest.append(elapsed)
            res.sent += len(pings)
            res.accepted += accepted
            res.not_accepted += len(pings) - accepted
            if accepted == len(pings):  # ids of a partly accepted batch are unknown: it counts as not accepted
                for p in pings:
                    m.accepted.setdefault(
                        datetime.fromisoformat(p["timestamp"].replace("Z", "+00:00")).date(), set()
                    ).add(p["id"])


def owner_loop(
    client: httpx.Client,
    owner: Person,
    team: list[Person],
    args: argparse.Namespace,
    deadline: float,
    res: Results,
    rng: random.Random,
) -> None:
    a = owner.account_id
    for i in range(MAX_CALLS_PER_THREAD):
        if time.monotonic() >= deadline:
            return
        kind = ("latest", "members", "track")[i % 3]
        if kind == "latest":
            path, params = f"/accounts/{a}/locations/latest", None
        elif kind == "members":
            path, params = f"/accounts/{a}/members", None
        else:
            now = datetime.now(UTC)
            path = f"/accounts/{a}/members/{rng.choice(team).user_id}/track"
            params = {"from": iso(now - timedelta(minutes=args.track_minutes)), "to": iso(now), "limit": "10000"}
        t0 = time.perf_counter()
        try:
            r = client.get(path, params=params, headers=owner.auth)
        except httpx.HTTPError as exc:
            res.error(f"{kind} {type(exc).__name__}")
            continue
        if r.status_code == 200:
            res.read(kind, time.perf_counter() - t0)
        else:
            res.error(f"{kind} {r.status_code}")
        if args.read_pause:
            time.sleep(args.read_pause)


# ---------------------------------------------------------------- storage check


def stored_ids(database: Any, members: list[Person]) -> dict[str, set[str]]:
    """Every stored ping id of each member, from the days they were accepted on (and the day after)."""
    from core import schema
    from core.adapters.cosmos_tracking import ping_partition

    pings = database.get_container_client(schema.PINGS.name)
    out: dict[str, set[str]] = {}
    for m in members:
        ids: set[str] = set()
        for day in sorted({d for first in m.accepted for d in (first, first + timedelta(days=1))}):
            pk = ping_partition(m.account_id, m.user_id, day)
            ids.update(
                pings.query_items(
                    "SELECT VALUE c.id FROM c WHERE c.pk = @pk",
                    parameters=[{"name": "@pk", "value": pk}],
                    partition_key=pk,
                )
            )
        out[m.user_id] = ids
    return out


def queue_depths(settings: Any) -> str:
    """The pings queue's and its poison queue's approximate message counts: a backlog the writer has not reached
    yet, or messages that failed five times."""
    from core.adapters.queues import build_queue_service, queue_client

    service = build_queue_service(settings)
    counts = [
        f"{name}: {queue_client(service, name).get_queue_properties().approximate_message_count or 0} messages"
        for name in (settings.queue_location_pings, f"{settings.queue_location_pings}-poison")
    ]
    return ", ".join(counts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=45, help="seconds of load (at most 600)")
    parser.add_argument("--accounts", type=int, default=2, help="accounts, each with a reading owner")
    parser.add_argument("--members", type=int, default=5, help="posting members per account")
    parser.add_argument("--batch", type=int, default=20, help="pings per ingest call (1 to 1,000)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between a member's calls")
    parser.add_argument("--track-minutes", type=float, default=5, help="window of the owners' track reads")
    parser.add_argument("--read-pause", type=float, default=0.0, help="seconds between an owner's reads")
    parser.add_argument("--drain", type=float, default=120, help="seconds to wait for the backlog to be stored")
    parser.add_argument("--no-record", action="store_true", help="print only; do not record the row 14 figure")
    args = parser.parse_args(argv)
    if not (
        0 < args.duration <= 600
        and 1 <= args.batch <= 1000
        and 1 <= args.accounts * args.members <= 200
        and 0 < args.drain <= 600
    ):
        parser.error("out of bounds: duration 0-600 s, batch 1-1000, 1-200 members in all, drain 0-600 s")
    warnings.simplefilter("ignore")  # the Cosmos DB emulator's self-signed certificate
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))  # clean-up (finally) still runs
    rng = random.Random(14)
    members_total = args.accounts * args.members
    offered = members_total * args.batch / args.interval
    print(
        f"load benchmark: {args.duration:.0f} s, {args.accounts} accounts x {args.members} members posting"
        f" {args.batch} pings every {args.interval} s (offered {offered:.0f} pings/s), {args.accounts} owners"
        f" reading latest positions / members / tracks back to back; loopback only",
        flush=True,
    )
    stack = start_stack("load", bench_app=False)  # the product's app alone
    try:
        with httpx.Client(
            base_url=stack.url, timeout=30, limits=httpx.Limits(max_connections=members_total + args.accounts + 4)
        ) as client:
            return run(stack, client, args, rng, offered)
    finally:
        stop_stack(stack)
        print(f"  host log: {stack.log_path.relative_to(ROOT)}; scratch database and queues dropped")


def run(stack: Stack, client: httpx.Client, args: argparse.Namespace, rng: random.Random, offered: float) -> int:
    teams = [setup_account(client, args.members, rng) for _ in range(args.accounts)]
    members = [m for _, team in teams for m in team]
    time.sleep(1.0)  # every ping below is taken after its member's consent was granted
    res = Results()
    failures: list[BaseException] = []

    def guarded(target: Any, *a: Any) -> None:
        try:
            target(*a)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)

    started = time.monotonic()
    deadline = started + args.duration
    threads = [
        threading.Thread(target=guarded, args=(member_loop, client, m, args, deadline, res), daemon=True)
        for m in members
    ]
    threads += [
        threading.Thread(
            target=guarded,
            args=(owner_loop, client, owner, team, args, deadline, res, random.Random(rng.random())),
            daemon=True,
        )
        for owner, team in teams
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=args.duration + 60)
    load_seconds = time.monotonic() - started
    if failures or any(t.is_alive() for t in threads):
        print(f"  the load failed: {failures[0]!r}" if failures else "  a load thread did not stop", flush=True)
        return 1
    print(f"  load done in {load_seconds:.1f} s: {res.accepted} pings accepted; waiting for storage", flush=True)

    database = stack.database
    expected = {m.user_id: set().union(*m.accepted.values()) if m.accepted else set() for m in members}
    accepted_ids = sum(len(v) for v in expected.values())
    drain_deadline = time.monotonic() + args.drain
    stored: dict[str, set[str]] = {}
    for _ in range(10_000):
        stored = stored_ids(database, members)
        if all(expected[u] <= stored[u] for u in expected) or time.monotonic() > drain_deadline:
            break
        time.sleep(0.5)
    all_stored = time.monotonic() - started
    stored_count = sum(len(v) for v in stored.values())
    lost = sum(len(expected[u] - stored[u]) for u in expected)
    if lost:  # not stored within --drain: still queued (the writer is behind) or poisoned (a real failure)?
        print(f"  {lost} accepted pings not stored within {args.drain:.0f} s; {queue_depths(stack.settings)}")
    unexpected = sum(len(stored[u] - expected[u]) for u in expected)

    reads = [x for v in res.reads.values() for x in v]
    errors = sum(res.errors.values())
    ms = {
        f"{name}_p{q}_ms": round(pct(values, q) * 1000, 1)
        for name, values in (("ingest", res.ingest), ("reads", reads))
        for q in (50, 95, 99)
    }
    accepted_rate = res.accepted / args.duration
    stored_rate = stored_count / all_stored
    print(
        f"\n  ingest calls          {len(res.ingest):>7}   p50 {ms['ingest_p50_ms']:>7.1f} ms   p95"
        f" {ms['ingest_p95_ms']:>7.1f} ms   p99 {ms['ingest_p99_ms']:>7.1f} ms"
    )
    for kind, values in sorted(res.reads.items()):
        print(
            f"  owner reads: {kind:<8} {len(values):>7}   p50 {pct(values, 50) * 1000:>7.1f} ms   p95"
            f" {pct(values, 95) * 1000:>7.1f} ms   p99 {pct(values, 99) * 1000:>7.1f} ms"
        )
    print(
        f"  owner reads (all)     {len(reads):>7}   p50 {ms['reads_p50_ms']:>7.1f} ms   p95 {ms['reads_p95_ms']:>7.1f}"
        f" ms   p99 {ms['reads_p99_ms']:>7.1f} ms"
    )
    print(
        f"  pings: offered {offered:.0f}/s; sent {res.sent}, accepted {res.accepted} ({accepted_rate:.0f}/s over"
        f" {args.duration:.0f} s), not accepted {res.not_accepted}; stored {stored_count} of {accepted_ids}"
        f" ({stored_rate:.0f}/s, all stored {all_stored:.1f} s after the start); not stored in the window {lost}, unexpected"
        f" {unexpected}"
    )
    print(f"  errors: {errors} {dict(res.errors) if errors else ''}")
    rss = peak_rss_mb(stack.proc)
    if rss is not None:  # infra/params: functionInstanceMemoryMB is chosen against this figure (docs/scaling.md)
        print(f"  local host peak resident memory: {rss:.0f} MB (the app's Python process, devhost included)")
    text = (
        f"{args.duration:.0f} s, {len(members)} members posting {args.batch}-ping batches while {len(teams)} owners"
        f" read: {offered:.0f} pings/s offered, {accepted_rate:.0f} accepted, {stored_rate:.0f} pings/s stored (all {stored_count} of"
        f" {accepted_ids} accepted stored {all_stored:.0f} s after the start), {lost} not stored in the window; ingest p50/p95/p99"
        f" {ms['ingest_p50_ms']:.0f}/{ms['ingest_p95_ms']:.0f}/{ms['ingest_p99_ms']:.0f} ms over"
        f" {len(res.ingest)} calls, owner reads p50/p95/p99 {ms['reads_p50_ms']:.0f}/{ms['reads_p95_ms']:.0f}/"
        f"{ms['reads_p99_ms']:.0f} ms over {len(reads)} calls; {errors} errors"
    )
    if not args.no_record:
        from scripts import figures

        figures.record(
            14,
            SOURCE,
            text,
            duration_s=args.duration,
            members=len(members),
            owners=len(teams),
            batch=args.batch,
            accepted=res.accepted,
            stored=stored_count,
            lost=lost,
            unexpected=unexpected,
            not_accepted=res.not_accepted,
            offered_per_s=round(offered, 1),
            accepted_per_s=round(accepted_rate, 1),
            stored_per_s=round(stored_rate, 1),
            ingest_calls=len(res.ingest),
            reads=len(reads),
            errors=errors,
            **ms,
        )
        print(f"  recorded figure 14: {text}")
    ok = lost == 0 and unexpected == 0 and errors == 0 and res.not_accepted == 0 and res.accepted > 0
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
