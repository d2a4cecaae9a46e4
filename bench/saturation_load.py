"""One step of bench/saturation.py: paced senders, a freshness watcher, the stored count, the drain and the id check.

Everything is measured from outside the product: its HTTP API, the host's counters and CPU totals (admin and
/api/bench paths of bench/ingest_app.py) and what Cosmos DB holds, so the step keeps working while the ingest call
and the writer change inside.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import httpx

from bench.lib.measure import BASELINE, NAIVE_CONTAINER, PIPELINE, counters, paced, pct
from bench.lib.people import Worker, route_pings

WATCH_EVERY = 0.1  # seconds between freshness polls
MAX_CALLS = 1_000_000  # a bound on every loop besides its deadline


@dataclass(frozen=True)
class Mode:
    kind: str  # "pipeline" or "naive"
    stack: Any
    client: httpx.Client
    workers: list[Worker]
    account_id: str

    @classmethod
    def make(cls, stack: Any, client: httpx.Client, workers: list[Worker], account_id: str) -> Mode:
        return cls("pipeline", stack, client, workers, account_id)

    def pipeline(self) -> Mode:
        return replace(self, kind="pipeline")

    def naive(self) -> Mode:
        return replace(self, kind="naive")

    @property
    def host_base(self) -> str:
        return str(self.stack.url).removesuffix("/api")

    @property
    def queue(self) -> str:
        from core import schema

        return os.environ[schema.LOCATION_PINGS_QUEUE.setting] if self.kind == "pipeline" else self.stack.naive_queue

    @property
    def functions(self) -> tuple[str, ...]:
        return PIPELINE if self.kind == "pipeline" else BASELINE

    def _container(self, name: str) -> Any:
        return self.stack.database.get_container_client(name)

    def stored_ids(self) -> set[str]:
        """Every ping id stored for the account (pipeline: all its member-day partitions)."""
        from core import schema

        if self.kind == "pipeline":
            return set(
                self._container(schema.PINGS.name).query_items(
                    "SELECT VALUE c.id FROM c WHERE STARTSWITH(c.pk, @p)",
                    parameters=[{"name": "@p", "value": f"{self.account_id}|"}],
                    enable_cross_partition_query=True,
                )
            )
        return set(
            self._container(NAIVE_CONTAINER).query_items(
                "SELECT VALUE c.id FROM c WHERE c.accountId = @a",
                parameters=[{"name": "@a", "value": self.account_id}],
                partition_key=self.account_id,
            )
        )

    def stored_count(self) -> int:
        from core import schema

        if self.kind == "pipeline":
            found = list(
                self._container(schema.PINGS.name).query_items(
                    "SELECT VALUE COUNT(1) FROM c WHERE STARTSWITH(c.pk, @p)",
                    parameters=[{"name": "@p", "value": f"{self.account_id}|"}],
                    enable_cross_partition_query=True,
                )
            )
        else:
            found = list(
                self._container(NAIVE_CONTAINER).query_items(
                    "SELECT VALUE COUNT(1) FROM c WHERE c.accountId = @a",
                    parameters=[{"name": "@a", "value": self.account_id}],
                    partition_key=self.account_id,
                )
            )
        return int(sum(found))

    def visible(self, pending: list[list[Any]]) -> set[int]:
        """Indexes of `pending` samples now visible in Cosmos DB."""
        from core import schema

        if self.kind == "pipeline":
            docs = self._container(schema.LATEST_POSITIONS.name).query_items(
                "SELECT c.id, c.t FROM c WHERE c.accountId = @a",
                parameters=[{"name": "@a", "value": self.account_id}],
                partition_key=self.account_id,
            )
            newest = {d["id"]: d.get("t", -1) for d in docs}
            return {i for i, p in enumerate(pending) if newest.get(p[0], -1) >= p[1]}
        waiting = [p[0] for p in pending[:100]]
        found = set(
            self._container(NAIVE_CONTAINER).query_items(
                "SELECT VALUE c.id FROM c WHERE c.accountId = @a AND ARRAY_CONTAINS(@ids, c.id)",
                parameters=[{"name": "@a", "value": self.account_id}, {"name": "@ids", "value": waiting}],
                partition_key=self.account_id,
            )
        )
        return {i for i, p in enumerate(pending[:100]) if p[0] in found}


@dataclass
class StepResult:
    kind: str
    workers: int
    batch: int
    interval: float
    seconds: float
    queue: str
    calls: int = 0
    sent: int = 0
    accepted: int = 0
    not_accepted: int = 0
    stored_in_window: int = 0
    window: float = 0.0
    lost: int = 0
    backlog: int = 0  # accepted but not stored when the drain gave up
    drain_seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    freshness: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)
    cpu: dict[str, Any] = field(default_factory=dict)

    @property
    def offered_per_s(self) -> float:
        return self.workers * self.batch / self.interval

    @property
    def stored_per_s(self) -> float:
        return self.stored_in_window / self.window if self.window else 0.0

    def line(self) -> str:
        fresh = (
            f"{pct(self.freshness, 50) * 1000:.0f}/{pct(self.freshness, 99) * 1000:.0f}" if self.freshness else "-/-"
        )
        cpu = self.cpu_per_thousand()
        return (
            f"{self.kind:<8} {self.workers:>3} workers x {self.batch:>3}: offered {self.offered_per_s:>6.0f},"
            f" accepted {self.accepted / self.seconds:>6.0f}, stored {self.stored_per_s:>6.0f} pings/s;"
            f" ingest p50/p99 {pct(self.latencies, 50) * 1000:.0f}/{pct(self.latencies, 99) * 1000:.0f} ms;"
            f" freshness p50/p99 {fresh} ms; lost {self.lost}, backlog {self.backlog};"
            f" CPU ms/1,000 pings ingest {cpu['ingest']:.0f}, writer {cpu['writer']:.0f}, host {cpu['host']:.0f}"
            + (f"; errors {dict(self.errors)}" if self.errors else "")
        )

    def cpu_per_thousand(self) -> dict[str, float]:
        """Milliseconds of host CPU per 1,000 accepted pings: the ingest function, the writer, the rest."""
        per = 1000 / max(1, self.accepted) / 1e6
        fns = self.cpu.get("functions", {})
        ingest, writer = self.functions_for(self.kind)
        in_fns = sum(v["cpuNs"] for v in fns.values())
        return {
            "ingest": fns.get(ingest, {}).get("cpuNs", 0) * per,
            "writer": fns.get(writer, {}).get("cpuNs", 0) * per,
            "host": max(0, self.cpu.get("processCpuNs", 0) - in_fns) * per,
            "process": self.cpu.get("processCpuNs", 0) * per,
        }

    @staticmethod
    def functions_for(kind: str) -> tuple[str, str]:
        return (PIPELINE[0], PIPELINE[1]) if kind == "pipeline" else (BASELINE[0], BASELINE[1])

    def as_dict(self) -> dict[str, Any]:
        ingest, writer = self.functions_for(self.kind)
        fns = self.cpu.get("functions", {})

        def per_call(name: str, key: str) -> float:
            f = fns.get(name, {})
            return f.get(key, 0) / f["invocations"] / 1e6 if f.get("invocations") else 0.0

        return {
            "kind": self.kind,
            "workers": self.workers,
            "batch": self.batch,
            "interval": self.interval,
            "seconds": self.seconds,
            "offeredPerS": self.offered_per_s,
            "sentPerS": self.sent / self.seconds,
            "acceptedPerS": self.accepted / self.seconds,
            "storedPerS": self.stored_per_s,
            "calls": self.calls,
            "accepted": self.accepted,
            "notAccepted": self.not_accepted,
            "lost": self.lost,
            "backlog": self.backlog,
            "drainSeconds": self.drain_seconds,
            "ingestP50Ms": pct(self.latencies, 50) * 1000,
            "ingestP99Ms": pct(self.latencies, 99) * 1000,
            "freshnessP50Ms": pct(self.freshness, 50) * 1000 if self.freshness else None,
            "freshnessP99Ms": pct(self.freshness, 99) * 1000 if self.freshness else None,
            "freshnessSamples": len(self.freshness),
            "errors": dict(self.errors),
            "cpuMsPerThousand": self.cpu_per_thousand(),
            "invocationsPerThousand": {
                n: fns.get(n, {}).get("invocations", 0) * 1000 / max(1, self.accepted) for n in (ingest, writer)
            },
            "cpuMsPerInvocation": {n: per_call(n, "cpuNs") for n in (ingest, writer)},
            "wallMsPerInvocation": {n: per_call(n, "wallNs") for n in (ingest, writer)},
        }


def _cpu(client: httpx.Client, base: str) -> dict[str, Any]:
    r = client.get(f"{base}/admin/cpu")
    return r.json() if r.status_code == 200 else {}


def _cpu_delta(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    fns: dict[str, dict[str, int]] = {}
    for name, v in b.get("functions", {}).items():
        old = a.get("functions", {}).get(name, {})
        fns[name] = {k: int(v[k]) - int(old.get(k, 0)) for k in ("invocations", "cpuNs", "wallNs")}
    return {"processCpuNs": int(b.get("processCpuNs", 0)) - int(a.get("processCpuNs", 0)), "functions": fns}


def run_step(mode: Mode, *, workers: int, batch: int, interval: float, seconds: float, drain: float) -> StepResult:
    client = mode.client
    res = StepResult(mode.kind, workers, batch, interval, seconds, mode.queue)
    lock = threading.Lock()
    accepted_ids: set[str] = set()
    pending: list[list[Any]] = []  # pipeline: [user, newest ms, accepted at]; naive: [ping id, 0, accepted at]
    counters0 = counters(client)
    cpu0 = _cpu(client, mode.host_base)
    stored0 = mode.stored_count()
    stop_watch = threading.Event()

    def send(w: Worker, deadline: float) -> None:
        for n in paced(interval, deadline, most=MAX_CALLS):
            pings = route_pings(w.route, f"dev-{w.user_id}", batch, apart_ms=10)
            t0 = time.perf_counter()
            try:
                if mode.kind == "pipeline":
                    r = client.post("/me/locations", json={"pings": pings}, headers=w.auth)
                else:
                    r = client.post("/bench/naive-ping", json=pings[0], headers=w.auth)
            except httpx.HTTPError as exc:
                with lock:
                    res.errors[type(exc).__name__] += 1
                continue
            done = time.perf_counter()
            with lock:
                res.calls += 1
                res.sent += len(pings)
                if r.status_code != 202:
                    res.errors[str(r.status_code)] += 1
                    continue
                took = int(r.json().get("accepted", 0))
                res.latencies.append(done - t0)
                res.accepted += took
                res.not_accepted += len(pings) - took
                if took == len(pings):
                    accepted_ids.update(p["id"] for p in pings)
                    if mode.kind == "pipeline":
                        newest = int(
                            datetime.fromisoformat(pings[-1]["timestamp"].replace("Z", "+00:00")).timestamp() * 1000
                        )
                        pending.append([w.user_id, newest, done])
                    elif n % 5 == 0:  # naive: every fifth call of a worker is sampled
                        pending.append([pings[0]["id"], 0, done])

    def watch() -> None:
        for _ in range(MAX_CALLS):
            if stop_watch.is_set():
                return
            with lock:
                snapshot = list(pending)
            if snapshot:
                seen = mode.visible(snapshot)
                now = time.perf_counter()
                done = [snapshot[i] for i in seen]
                with lock:
                    res.freshness.extend(now - p[2] for p in done)
                    ids = {id(p) for p in done}
                    pending[:] = [p for p in pending if id(p) not in ids]
            stop_watch.wait(WATCH_EVERY)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.perf_counter()
    deadline = time.monotonic() + seconds
    senders = [threading.Thread(target=send, args=(w, deadline), daemon=True) for w in mode.workers[:workers]]
    for t in senders:
        t.start()
    for t in senders:
        t.join(timeout=seconds + 120)
    counting = time.perf_counter()
    res.stored_in_window = mode.stored_count() - stored0
    res.window = (counting + time.perf_counter()) / 2 - started  # the count's midpoint: the scan takes a while
    drain_started = time.monotonic()
    expected = stored0 + res.accepted
    while mode.stored_count() < expected and time.monotonic() - drain_started < drain:
        time.sleep(0.3)
    while pending and time.monotonic() - drain_started < drain + 5:
        time.sleep(0.1)
    res.drain_seconds = time.monotonic() - drain_started
    stop_watch.set()
    watcher.join(timeout=10)
    missing = accepted_ids - mode.stored_ids()
    drained = mode.stored_count() >= expected
    res.lost, res.backlog = (len(missing), 0) if drained else (0, len(missing))
    res.counts = counters(client) - counters0
    res.cpu = _cpu_delta(cpu0, _cpu(client, mode.host_base))
    return res
