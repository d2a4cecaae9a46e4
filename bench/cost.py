"""What a crew costs per month, priced from the counts measured by bench/saturation.py (pipeline vs naive).

    .venv/bin/python -m bench.cost [--capacity .local/bench/capacity.json] [--workers 1000] [--scaling]
    make bench

The crew: `--workers` workers sending a ping every 30 s for 8 hours a day, 22 days a month, in the batches the app
sends (every 5 minutes: 10 pings per call). Per ping, from the saturation run's batch-10 pipeline step and its
lowest naive step: executions, CPU and backend round trips per invocation, queue operations, request units (the
model of bench/ingest.py: the emulator charges 1 RU per request whatever it does), stored bytes. Priced with the
list prices below; printed per month and per worker-month. `--scaling` adds 10,000 / 100,000 / 1,000,000 workers
and the first documented limit each design meets (docs/scaling.md explains the arithmetic).

Execution time on Azure is modelled, not the emulator's wall time: measured CPU per invocation plus
AZURE_ROUND_TRIP_S per backend request made inside the function. Flex Consumption bills the instance's memory
while it executes at least one function, so concurrent executions on one instance overlap and this is an upper
bound. The monthly free grants are left out of the per-worker figures and shown separately.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------- list prices (USD, pay as you go, read 2026-12-01)
# Functions Flex Consumption, on demand. Official page: https://azure.microsoft.com/pricing/details/functions/ (not
# reachable from here); figures as quoted from it by https://modal.com/blog/azure-function-pricing-guide (May 2025).
FLEX_PRICE_PER_GB_S = 0.000026
FLEX_PRICE_PER_MILLION_EXECUTIONS = 0.40
FLEX_FREE_GB_S = 100_000  # monthly free grant per subscription (same source)
FLEX_FREE_EXECUTIONS = 250_000
# Instance memory: 2,048 MB is the default size (supported 2,048 / 4,096: learn.microsoft.com, Flex Consumption
# resource configuration, "instanceMemoryMB").
FLEX_INSTANCE_GB = 2.0
# Queue Storage (GPv2, LRS): NOT FOUND in the sources reachable from here. Assumption: USD 0.004 per 10,000
# operations of every kind (put, get, delete), the order of the published class 2 price; check
# https://azure.microsoft.com/pricing/details/storage/queues/ before relying on it.
QUEUE_PRICE_PER_10K_OPS = 0.004
# Cosmos DB serverless: NOT FOUND in the sources reachable from here. Assumption: USD 0.25 per million RU, as the
# official page (https://azure.microsoft.com/pricing/details/cosmos-db/serverless/) listed it when last read.
COSMOS_SERVERLESS_PER_MILLION_RU = 0.25
# Cosmos DB provisioned autoscale: USD 0.012 per 100 RU/s (maximum) per hour, single region (1.5x the standard
# USD 0.008), billed on the highest RU/s of each hour with a floor of 10 % of the maximum; source:
# https://cloud-horizons.com/blog/cosmos-db-the-rus-vs-storage-tradeoff/ (2026-05-08), quoting the official page
# https://azure.microsoft.com/pricing/details/cosmos-db/autoscale-provisioned/.
COSMOS_AUTOSCALE_PER_100_RU_S_HOUR = 0.012
COSMOS_AUTOSCALE_MIN_MAX_RU_S = 1_000  # the smallest autoscale maximum (scales 100-1,000 RU/s)
# Cosmos DB transactional storage: assumption USD 0.25 per GB-month (official page above; not found here).
COSMOS_STORAGE_PER_GB_MONTH = 0.25

# ---------------------------------------------------------------- the modelled parts
AZURE_ROUND_TRIP_S = 0.010  # per backend request inside a function: Cosmos DB's SLA bounds point reads/writes of
#                             1 KB under 10 ms at p99 in region (learn.microsoft.com/azure/cosmos-db/introduction)
HOURS_PER_MONTH = 730

# ---------------------------------------------------------------- documented limits (docs/scaling.md)
QUEUE_MESSAGES_PER_S = 2_000  # one queue, 1 KiB messages (learn.microsoft.com/azure/storage/queues/scalability-targets)
ACCOUNT_REQUESTS_PER_S = 20_000  # one storage account (same page)
PARTITION_RU_S = 10_000  # one logical partition (learn.microsoft.com/azure/cosmos-db/concepts-limits)
PARTITION_GB = 20  # one logical partition (same page)
SERVERLESS_CONTAINER_RU_S = (
    5_000  # a serverless container up to 250 GB (learn.microsoft.com/azure/cosmos-db/serverless-performance)
)
FLEX_MAX_INSTANCES = (
    1_000  # instances per Flex Consumption app (learn.microsoft.com/azure/azure-functions/flex-consumption-plan)
)


@dataclass(frozen=True)
class Crew:
    workers: int = 1_000
    ping_every_s: float = 30
    hours_per_day: float = 8
    days_per_month: float = 22
    pings_per_call: int = 10  # a call every 5 minutes

    @property
    def pings_per_month(self) -> float:
        return self.workers * self.hours_per_day * 3600 / self.ping_every_s * self.days_per_month

    @property
    def active_hours(self) -> float:
        return self.hours_per_day * self.days_per_month

    @property
    def pings_per_s(self) -> float:
        """While the crew works (all workers on the same shift: the peak the store must take)."""
        return self.workers / self.ping_every_s


@dataclass(frozen=True)
class PerPing:
    """What one ping costs, as measured (per ping, not per 1,000)."""

    executions: float  # function invocations (ingest call + writer)
    cpu_s: float  # CPU seconds in those invocations
    round_trips: float  # backend requests made inside them (Cosmos DB requests + queue sends)
    queue_ops: float  # every queue operation (send, receive, delete)
    ru: float  # request units (modelled)
    stored_bytes: float  # document body per stored ping
    wall_s: float = 0.0  # the emulator's wall time per ping inside functions (for comparison only)

    @property
    def execution_s(self) -> float:
        return self.cpu_s + self.round_trips * AZURE_ROUND_TRIP_S


@dataclass(frozen=True)
class Month:
    executions: float
    gb_s: float
    queue_ops: float
    ru: float
    stored_gb: float
    functions_usd: float
    queue_usd: float
    serverless_usd: float
    autoscale_usd: float
    storage_usd: float
    autoscale_max_ru_s: float

    def total(self, *, serverless: bool) -> float:
        db = self.serverless_usd if serverless else self.autoscale_usd
        return self.functions_usd + self.queue_usd + db + self.storage_usd


def autoscale_usd(peak_ru_s: float, active_hours: float) -> tuple[float, float]:
    """(monthly USD, the autoscale maximum): the maximum at the peak (at least the smallest allowed), billed at the
    maximum during working hours and at its 10 % floor the rest of the month."""
    maximum = max(COSMOS_AUTOSCALE_MIN_MAX_RU_S, -(-peak_ru_s // 100) * 100)
    billed = maximum * active_hours + 0.1 * maximum * max(0.0, HOURS_PER_MONTH - active_hours)
    return billed / 100 * COSMOS_AUTOSCALE_PER_100_RU_S_HOUR, maximum


def month(crew: Crew, p: PerPing) -> Month:
    n = crew.pings_per_month
    executions = p.executions * n
    gb_s = p.execution_s * n * FLEX_INSTANCE_GB
    queue_ops, ru = p.queue_ops * n, p.ru * n
    stored_gb = p.stored_bytes * n / 1e9
    auto, maximum = autoscale_usd(p.ru * crew.pings_per_s, crew.active_hours)
    return Month(
        executions=executions,
        gb_s=gb_s,
        queue_ops=queue_ops,
        ru=ru,
        stored_gb=stored_gb,
        functions_usd=gb_s * FLEX_PRICE_PER_GB_S + executions / 1e6 * FLEX_PRICE_PER_MILLION_EXECUTIONS,
        queue_usd=queue_ops / 10_000 * QUEUE_PRICE_PER_10K_OPS,
        serverless_usd=ru / 1e6 * COSMOS_SERVERLESS_PER_MILLION_RU,
        autoscale_usd=auto,
        storage_usd=stored_gb * COSMOS_STORAGE_PER_GB_MONTH,
        autoscale_max_ru_s=maximum,
    )


@dataclass(frozen=True)
class Limit:
    name: str
    load_per_worker: float  # what one worker adds to the limited quantity
    limit: float
    unit: str

    @property
    def workers_at_limit(self) -> float:
        return self.limit / self.load_per_worker if self.load_per_worker else float("inf")


def limits(crew: Crew, p: PerPing, *, messages_per_ping: float) -> list[Limit]:
    """The documented limits the whole crew moves towards, with one worker's share (peak: everyone on shift)."""
    pings_s = 1 / crew.ping_every_s  # one worker
    return [
        Limit("one Storage queue: 2,000 messages/s", pings_s * messages_per_ping, QUEUE_MESSAGES_PER_S, "messages/s"),
        Limit("one storage account: 20,000 requests/s", pings_s * p.queue_ops, ACCOUNT_REQUESTS_PER_S, "requests/s"),
        Limit("Cosmos DB serverless container: 5,000 RU/s", pings_s * p.ru, SERVERLESS_CONTAINER_RU_S, "RU/s"),
        Limit("one Functions app: 1,000 instances, one CPU each", pings_s * p.cpu_s, FLEX_MAX_INSTANCES, "busy CPUs"),
    ]


def latest_partition_members(crew: Crew, ru_per_update: float, updates_per_call: float = 1.0) -> float:
    """Members of ONE account whose latest-position updates fill its logical partition's 10,000 RU/s."""
    per_member = updates_per_call * ru_per_update / (crew.ping_every_s * crew.pings_per_call)
    return PARTITION_RU_S / per_member if per_member else float("inf")


def per_ping(step: dict[str, Any], sizes: dict[str, float], *, writer_first: bool = True) -> PerPing:
    """PerPing from one step of capacity.json (per-1,000 figures there)."""
    inv = step["invocationsPerThousand"]
    cpu_ms = step["cpuMsPerInvocation"]
    wall_ms = step["wallMsPerInvocation"]
    executions = sum(inv.values()) / 1000
    cpu_s = sum(inv[n] * cpu_ms[n] for n in inv) / 1000 / 1000
    wall_s = sum(inv[n] * wall_ms[n] for n in inv) / 1000 / 1000
    calls = step["calls"]
    sends = step.get("queueSendsPerThousand", calls["http"])
    stored = sizes["ping"] if step["kind"] == "pipeline" else sizes["naive"]
    return PerPing(
        executions=executions,
        cpu_s=cpu_s,
        round_trips=(calls["cosmos"] + sends) / 1000,
        queue_ops=calls["queue"] / 1000,
        ru=step["ruPerPing"],
        stored_bytes=stored,
        wall_s=wall_s,
    )


def latest_ru_per_call(step: dict[str, Any], sizes: dict[str, float]) -> float:
    """Modelled RU the writer spends on the latest-positions partition per ingest call (reads, queries, writes)."""
    from bench.lib.measure import RuModel

    model = RuModel()
    per_thousand = 0.0
    for key, n in step.get("countsPerThousand", {}).items():
        what = key.split(" ", 1)[-1]
        if "latest-positions" not in what:
            continue
        if what.startswith("cosmos.written."):
            per_thousand += n * model.write(sizes["latest"], 2)
        elif what.endswith(".read"):
            per_thousand += n * model.point_read
        elif what.endswith(".query"):
            per_thousand += n * model.query
    return float(per_thousand / 1000 * step["batch"])


def pick(capacity: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The pipeline step at the app's batch of 10 (the lowest offered load: nearest to a steady crew) and the lowest
    naive step."""
    pipeline = sorted(capacity["pipeline"], key=lambda s: (s["batch"] != 10, s["offeredPerS"]))
    naive = sorted(capacity["naive"], key=lambda s: s["offeredPerS"])
    if not pipeline or not naive:
        raise SystemExit("capacity.json has no pipeline or naive step: run python -m bench.saturation first")
    return pipeline[0], naive[0]


def usd(x: float) -> str:
    return f"{x:,.2f}" if x < 1000 else f"{x:,.0f}"


def report(capacity: dict[str, Any], crew: Crew) -> list[str]:
    p_step, n_step = pick(capacity)
    sizes = capacity["sizes"]
    ours, naive = per_ping(p_step, sizes), per_ping(n_step, sizes)
    mo, mn = month(crew, ours), month(crew, naive)
    w = crew.workers
    out = [
        f"  cost of a crew of {w:,} workers: a ping every {crew.ping_every_s:.0f} s, {crew.hours_per_day:.0f} h/day,"
        f" {crew.days_per_month:.0f} days/month, {crew.pings_per_call} pings per call"
        f" ({crew.pings_per_month / 1e6:,.2f} M pings/month); pipeline step {p_step['workers']}x{p_step['batch']},"
        f" naive step {n_step['workers']}x1 of the run of {capacity['startedAt']}",
        f"  {'per month (USD, list prices, no free grant)':<46}{'pipeline':>12}{'naive':>12}"
        f"{'pipeline/worker':>17}{'naive/worker':>14}",
    ]

    def line(label: str, a: float, b: float, money: bool = True) -> None:
        def fmt(x: float) -> str:
            return usd(x) if money else f"{x:,.0f}"

        def each(x: float) -> str:
            return f"{x / w:.4f}" if money else f"{x / w:,.3g}"

        out.append(f"  {label:<46}{fmt(a):>12}{fmt(b):>12}{each(a):>17}{each(b):>14}")

    line("executions", mo.executions, mn.executions, money=False)
    line("execution GB-s (modelled Azure time)", mo.gb_s, mn.gb_s, money=False)
    line("queue operations", mo.queue_ops, mn.queue_ops, money=False)
    line("request units (millions)", mo.ru / 1e6, mn.ru / 1e6, money=False)
    line("storage growth (GB per month)", mo.stored_gb, mn.stored_gb, money=False)
    line("Functions Flex Consumption", mo.functions_usd, mn.functions_usd)
    line("Queue Storage", mo.queue_usd, mn.queue_usd)
    line("Cosmos DB serverless RU", mo.serverless_usd, mn.serverless_usd)
    line(
        f"Cosmos DB autoscale (max {mo.autoscale_max_ru_s:,.0f} / {mn.autoscale_max_ru_s:,.0f} RU/s)",
        mo.autoscale_usd,
        mn.autoscale_usd,
    )
    line("Cosmos DB storage (one month's growth)", mo.storage_usd, mn.storage_usd)
    line("total with serverless", mo.total(serverless=True), mn.total(serverless=True))
    line("total with autoscale", mo.total(serverless=False), mn.total(serverless=False))
    out.append(
        f"  per ping: pipeline {ours.executions:.3f} executions, {ours.cpu_s * 1000:.1f} ms CPU,"
        f" {ours.round_trips:.2f} backend requests, {ours.queue_ops:.2f} queue ops, {ours.ru:.2f} RU,"
        f" {ours.stored_bytes:.0f} B; naive {naive.executions:.3f}, {naive.cpu_s * 1000:.1f} ms,"
        f" {naive.round_trips:.2f}, {naive.queue_ops:.2f}, {naive.ru:.2f} RU, {naive.stored_bytes:.0f} B."
        f" Execution time = CPU + {AZURE_ROUND_TRIP_S * 1000:.0f} ms per backend request (emulator wall time"
        f" would give {ours.wall_s * 1000:.0f} / {naive.wall_s * 1000:.0f} ms per ping). Free grants not"
        f" deducted: {FLEX_FREE_GB_S:,} GB-s and {FLEX_FREE_EXECUTIONS:,} executions per month."
    )
    return out


def scaling(
    capacity: dict[str, Any], base: Crew, sizes_of: tuple[int, ...] = (10_000, 100_000, 1_000_000)
) -> list[str]:
    p_step, n_step = pick(capacity)
    sizes = capacity["sizes"]
    out = ["", "  past one machine: the first documented limit each design meets (whole crew on one shift)"]
    for label, step, messages in (("pipeline", p_step, 1 / base.pings_per_call), ("naive", n_step, 1.0)):
        pp = per_ping(step, sizes)
        found = sorted(limits(base, pp, messages_per_ping=messages), key=lambda lim: lim.workers_at_limit)
        out.append(f"  {label}: " + "; ".join(f"{lim.name} at {lim.workers_at_limit:,.0f} workers" for lim in found))
        for n in sizes_of:
            crew = Crew(
                workers=n,
                ping_every_s=base.ping_every_s,
                hours_per_day=base.hours_per_day,
                days_per_month=base.days_per_month,
                pings_per_call=base.pings_per_call,
            )
            m = month(crew, pp)
            over = [lim.name for lim in found if lim.workers_at_limit < n]
            out.append(
                f"    {n:>9,} workers: {m.total(serverless=False):>12,.0f} USD/month with autoscale"
                f" ({m.total(serverless=False) / n:.4f} per worker); past: {', '.join(over) or 'none'}"
            )
    ru_call = latest_ru_per_call(p_step, sizes)
    members = latest_partition_members(base, ru_call)
    out.append(
        f"  latest positions: {ru_call:.1f} RU per call on the account's partition (modelled) -> one account"
        f" fills 10,000 RU/s at {members:,.0f} members; its owners' latest view reads every member's document"
        f" (bench/hot_partition.py)"
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--capacity", type=Path, default=ROOT / ".local" / "bench" / "capacity.json")
    parser.add_argument("--workers", type=int, default=1_000)
    parser.add_argument("--scaling", action="store_true", help="also 10,000 / 100,000 / 1,000,000 workers")
    args = parser.parse_args(argv)
    if not args.capacity.exists():
        print(f"{args.capacity} is missing: run python -m bench.saturation first", file=sys.stderr)
        return 1
    capacity = json.loads(args.capacity.read_text())
    crew = Crew(workers=args.workers)
    lines = report(capacity, crew) + (scaling(capacity, crew) if args.scaling else [])
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
