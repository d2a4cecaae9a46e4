"""What the benchmarks measure and how they price it: resident memory and its peak, percentiles, paced sending, the local host's backend-request
counters (bench/ingest_app.py), the calls and modelled request units of the pipeline and of the naive baseline."""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx

PIPELINE = ("ingest_locations", "write_pings")  # the product's ingest call and queue writer
BASELINE = ("bench_naive_ping", "bench_naive_writer")  # bench/ingest_app.py's naive one-ping-per-call baseline
NAIVE_CONTAINER = "bench-naive-pings"  # where the baseline stores its pings (partition /accountId)
SYSTEM = ("_rid", "_self", "_etag", "_attachments", "_ts")  # Cosmos DB's own properties, not stored by the app


def status_kb(field: str) -> int:
    """A `Vm...` line of this process's /proc/self/status (Linux), in kB: `VmRSS` now, `VmHWM` the peak."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)


def reset_peak() -> None:
    """Make the kernel's peak resident size of this process (VmHWM) start again from its current size (Linux)."""
    with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
        refs.write("5")


def pct(values: list[float], q: float) -> float:
    """The nearest-rank q-th percentile; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def paced(interval: float, deadline: float, *, most: int) -> Iterator[int]:
    """Yield once per call due, every `interval` seconds until `deadline` (time.monotonic), at most `most` times;
    a late call moves the schedule on instead of causing a burst. Yields the call's number, from 0."""
    next_at = time.monotonic()
    for n in range(most):
        now = time.monotonic()
        if now < next_at:
            time.sleep(max(0.0, min(next_at, deadline) - now))
            now = time.monotonic()
        if now >= deadline:
            return
        next_at = max(next_at + interval, now)
        yield n


# ---------------------------------------------------------------- the host's counters (bench/ingest_app.py)


def counters(client: httpx.Client) -> Counter[str]:
    """Every backend request the host has made so far, by "<function> <what>" (bench/ingest_app.py)."""
    return Counter(client.get("/bench/counters").json())


def split_key(key: str) -> tuple[str, str]:
    """A counter's key as (function, what)."""
    fn, _, what = key.partition(" ")
    return fn, what


def cosmos_reads(counts: Counter[str], functions: tuple[str, ...]) -> tuple[int, int]:
    """(Cosmos DB requests, items returned) counted for the invocations of `functions`."""
    requests = returned = 0
    for key, n in counts.items():
        fn, what = split_key(key)
        if fn not in functions:
            continue
        if what.startswith(("cosmos.request.", "cosmos.meta.")):
            requests += n
        elif what.startswith("cosmos.returned."):
            returned += n
    return requests, returned


@dataclass
class Phase:
    """What one mode's rounds sent and measured."""

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


def call_counts(phase: Phase, queue: str, functions: tuple[str, ...]) -> dict[str, float]:
    """Cosmos DB requests made by the mode's functions; queue operations on the mode's queue (sends by the
    function, receives and deletes by the host); HTTP calls counted by the client."""
    queue_ops = cosmos = 0
    for key, n in phase.counts.items():
        fn, what = split_key(key)
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


# ---------------------------------------------------------------- request units (modelled)


@dataclass
class RuModel:
    """Documented ballpark costs, applied to the counted requests (the emulator charges 1 RU for everything)."""

    write_per_kb: float = 5.5  # a 1 KB document write, few indexed paths
    per_indexed_term: float = 0.4  # each indexed property value adds to a write
    point_read: float = 1.0
    query: float = 2.9  # a small single-partition query

    def write(self, size_bytes: float, indexed_terms: int) -> float:
        return self.write_per_kb * max(1.0, size_bytes / 1024) + self.per_indexed_term * indexed_terms


def leaf_count(value: object) -> int:
    """How many scalar values a document holds (an empty list counts as one)."""
    if isinstance(value, dict):
        return sum(leaf_count(v) for v in value.values())
    if isinstance(value, list):
        return sum(leaf_count(v) for v in value) or 1
    return 1


def doc_size(doc: dict[str, object]) -> int:
    """The stored document's size in bytes, without Cosmos DB's own properties."""
    return len(json.dumps({k: v for k, v in doc.items() if k not in SYSTEM}, separators=(",", ":")).encode())


def ru_per_ping(phase: Phase, model: RuModel, sizes: dict[str, tuple[float, int]], functions: tuple[str, ...]) -> float:
    """Writes priced by the stored size and indexed terms of that container's documents; reads and queries flat."""
    total = 0.0
    for key, n in phase.counts.items():
        fn, what = split_key(key)
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
