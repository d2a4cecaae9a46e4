"""Saturation benchmark: raise the offered ingest load step by step until the stored rate stops growing.

    .venv/bin/python -m bench.saturation [--step-seconds 30] [--pipeline-steps 8x10,4x30,8x30,...]
                                         [--naive-steps 4,8,16,32] [--out .local/bench/capacity.json]
    make bench                           (developers: --step-seconds 5 --pipeline-steps 4x10,4x30,8x30 ...)

One local host (bench/ingest_app.py: the product's app, the naive baseline, backend-request counters) on scratch
database and queues, with the host's opt-in CPU accounting on (devhost/cpu.py). In one account, `workers` members
post batches of `batch` pings every `--interval` seconds (paced; a late call is followed by the next at once), for
`--step-seconds` per step. Steps of one batch size run from the smallest to the largest offered load and stop early
once the stored rate grows by less than 5 % over the best step so far. Per step, for the pipeline and the naive path
(one ping per call, one message and one Cosmos DB write per ping):

* offered, sent, accepted pings/s; stored pings/s (pings stored during the step's window, counted in Cosmos DB);
* freshness p50/p99: an accepted call to its newest ping showing in Cosmos DB (pipeline: as the member's latest
  position, what owners see; naive: the ping document), sampled by a watcher every 100 ms;
* loss: after the step, the backlog drains (at most `--drain` s) and the accepted ping ids are compared with the
  stored ones (the load benchmark's check);
* backend calls per 1,000 pings (HTTP, queue operations, Cosmos DB requests, counted by the host), request units
  per ping (bench/ingest.py's model: the emulator charges 1 RU per request whatever it does);
* host CPU per 1,000 pings from the host's own counters: thread CPU of the ingest call and of the queue writer,
  and the rest of the process (HTTP server, queue polling and deletes).

The store's ceiling (bench/ceiling.py) is measured before and after, for every batch size used, so each peak is
also a share of it. Finally one profiled pipeline step saves a CPU profile (cProfile, thread CPU clock) of the ingest
call and of the writer under .local/bench/profiles/ and prints the three biggest costs of each. Everything lands in
`--out` for bench/cost.py and bench/summary.py. Figures on a shared 2-core machine are relative, not a capacity plan.

The peak of a batch size is its knee: the least offered load storing within 5 % of the best rate (`peak`).

A step that raises, or that has not finished `STEP_GRACE_S` after its load and drain, ends the ladder of its batch
size (issue 31): it is printed, listed under `failedSteps` in `--out`, and the run goes on with the next batch size,
the naive path, the profile and the ceiling after, so `make bench` always completes.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import ceiling
from bench.lib.measure import (
    BASELINE,
    NAIVE_CONTAINER,
    PIPELINE,
    Phase,
    RuModel,
    call_counts,
    doc_size,
    ru_per_ping,
)
from bench.lib.people import Worker, setup_workers
from bench.lib.stack import start_stack, stop_stack
from bench.saturation_load import Mode, StepResult, run_step

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / ".local" / "bench" / "capacity.json"
GROWTH = 1.05  # a step must store 5 % more than the best so far, or the ladder of that batch size stops
STEP_GRACE_S = 180.0  # beyond a step's load and drain: counting, CPU counters and the loss check


def parse_steps(text: str) -> list[tuple[int, int]]:
    """ "8x10,4x30" -> [(8, 10), (4, 30)] (workers x batch); "4,8" -> [(4, 1), (8, 1)]."""
    out = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        workers, _, batch = part.partition("x")
        out.append((int(workers), int(batch or 1)))
    return out


@dataclass(frozen=True)
class StepFailure:
    """A step that raised or did not finish in time: its batch size's ladder ends there, the run goes on."""

    kind: str
    workers: int
    batch: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "workers": self.workers, "batch": self.batch, "reason": self.reason}


def guarded(step: Callable[[], StepResult], limit_s: float) -> StepResult | str:
    """Runs one step on a daemon thread: its result, or why there is none (the exception, or that it outlived
    `limit_s`; a step that hangs is left behind, its senders stop at their own deadline)."""
    box: dict[str, StepResult | str] = {}

    def target() -> None:
        try:
            box["result"] = step()
        except Exception as exc:  # noqa: BLE001 - any failure of one step ends its ladder, not the benchmark
            box["result"] = f"{type(exc).__name__}: {str(exc)[:200]}"

    thread = threading.Thread(target=target, daemon=True, name="saturation-step")
    thread.start()
    thread.join(limit_s)
    if thread.is_alive():
        return f"timed out after {limit_s:.0f} s"
    return box.get("result", "ended without a result")


def ladder(
    mode: Mode,
    steps: list[tuple[int, int]],
    args: argparse.Namespace,
    interval: float,
    *,
    failures: list[StepFailure] | None = None,
    step: Callable[..., StepResult] = run_step,
    grace_s: float = STEP_GRACE_S,
) -> list[StepResult]:
    """The steps in order; a batch size's ladder stops when its stored rate stops growing, or when one of its steps
    fails or outlives its load + drain + `grace_s` (recorded in `failures`)."""
    results: list[StepResult] = []
    best: dict[int, float] = {}
    stopped: set[int] = set()
    for workers, batch in steps:
        if batch in stopped:
            continue
        limit = args.step_seconds + args.drain + grace_s
        one = functools.partial(
            step, mode, workers=workers, batch=batch, interval=interval, seconds=args.step_seconds, drain=args.drain
        )
        r = guarded(one, limit)
        if isinstance(r, str):
            stopped.add(batch)
            if failures is not None:
                failures.append(StepFailure(mode.kind, workers, batch, r))
            print(f"  step {workers}x{batch} FAILED ({r}): no larger step of batches of {batch}; the run goes on")
            continue
        results.append(r)
        print("  " + r.line(), flush=True)
        if batch in best and r.stored_per_s < best[batch] * GROWTH:
            stopped.add(batch)
            print(f"    stored rate stopped growing at batches of {batch} (best {best[batch]:.0f} pings/s)", flush=True)
        best[batch] = max(best.get(batch, 0.0), r.stored_per_s)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--step-seconds", type=float, default=30, help="seconds each step holds its load")
    parser.add_argument(
        "--pipeline-steps",
        default="8x10,4x30,8x30,16x30,32x30,8x100,16x100,32x100",
        help="workers x batch per pipeline step; batch 10 is the app's 5-minute batch (cost model)",
    )
    parser.add_argument("--naive-steps", default="4,8,16,32", help="workers per naive step (one ping per call)")
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between a pipeline worker's calls")
    parser.add_argument("--naive-interval", type=float, default=0.02, help="seconds between a naive worker's calls")
    parser.add_argument("--drain", type=float, default=60, help="seconds a step's backlog may take to be stored")
    parser.add_argument("--ceiling-seconds", type=float, default=5, help="seconds per store-ceiling measurement")
    parser.add_argument("--ceiling-threads", type=int, default=4)
    parser.add_argument("--profile-step", default="8x30", help="the profiled pipeline step (workers x batch)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if not (0 < args.step_seconds <= 600 and 0 < args.drain <= 600):
        parser.error("out of bounds: step seconds and drain 0-600")
    warnings.simplefilter("ignore")  # the Cosmos DB emulator's self-signed certificate
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))  # clean-up (finally) still runs
    pipeline_steps, naive_steps = parse_steps(args.pipeline_steps), parse_steps(args.naive_steps)
    os.environ["DEVHOST_CPU_ACCOUNTING"] = "1"
    os.environ["DEVHOST_PROFILE_DIR"] = str(ROOT / ".local" / "bench" / "profiles")
    began = time.perf_counter()
    started_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    print(
        f"saturation benchmark: {args.step_seconds:.0f} s per step; pipeline {args.pipeline_steps} (workers x batch,"
        f" a call every {args.interval} s), naive {args.naive_steps} workers (a ping every {args.naive_interval} s)",
        flush=True,
    )
    stack = start_stack()
    try:
        batches = sorted({b for _, b in pipeline_steps} | {30})
        before = {
            b: ceiling.measure(stack.settings, batch=b, threads=args.ceiling_threads, seconds=args.ceiling_seconds)
            for b in batches
        }
        for c in before.values():
            print(f"  store ceiling before, batches of {c.batch:>3}: {c.per_second:>7.0f} pings/s", flush=True)
        workers_needed = max(w for w, _ in pipeline_steps + naive_steps + parse_steps(args.profile_step))
        with httpx.Client(
            base_url=stack.url, timeout=60, limits=httpx.Limits(max_connections=workers_needed + 8)
        ) as client:
            _owner, workers, account_id = setup_workers(client, workers_needed, random.Random(21))
            time.sleep(1.5)  # every ping below is taken after the consents were granted
            mode = Mode.make(stack, client, workers, account_id)
            failures: list[StepFailure] = []
            pipeline = ladder(mode.pipeline(), pipeline_steps, args, args.interval, failures=failures)
            naive = ladder(mode.naive(), naive_steps, args, args.naive_interval, failures=failures)
            try:
                profiles = profile_step(mode.pipeline(), client, args)
            except Exception as exc:  # noqa: BLE001 - the profile is optional; the figures above stand
                print(f"  profiled step FAILED ({type(exc).__name__}): no profile this run", flush=True)
                profiles = {}
            sizes = stored_sizes(stack, account_id, workers)
        after = {
            b: ceiling.measure(stack.settings, batch=b, threads=args.ceiling_threads, seconds=args.ceiling_seconds)
            for b in batches
        }
    finally:
        stop_stack(stack)
    result = assemble(args, started_at, before, after, pipeline, naive, profiles, sizes)
    result["failedSteps"] = [f.as_dict() for f in failures]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print_peaks(result)
    print(
        f"\n  written {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out};"
        f" total time {time.perf_counter() - began:.0f} s"
    )
    lost = sum(s["lost"] for s in result["pipeline"] + result["naive"])
    return 1 if lost else 0


def profile_step(mode: Mode, client: httpx.Client, args: argparse.Namespace) -> dict[str, list[str]]:
    from bench.profiles import top_costs

    ((workers, batch),) = parse_steps(args.profile_step)
    client.post(f"{mode.host_base}/admin/profile/start", json={"functions": list(PIPELINE)}).raise_for_status()
    r = run_step(
        mode, workers=workers, batch=batch, interval=args.interval, seconds=min(args.step_seconds, 10), drain=args.drain
    )
    written = client.post(f"{mode.host_base}/admin/profile/stop").json()["written"]
    print(f"  profiled step: {r.line()}", flush=True)
    out = {}
    for path in written:
        name = Path(path).stem
        out[name] = top_costs(Path(path), 3)
        print(f"  profile of {name} ({Path(path).relative_to(ROOT)}), biggest CPU costs:", flush=True)
        for line in out[name]:
            print(f"    {line}", flush=True)
    return out


def stored_sizes(stack: Any, account_id: str, workers: list[Worker]) -> dict[str, float]:
    from core import schema
    from core.adapters.cosmos_tracking import ping_partition

    db = stack.database
    pk = ping_partition(account_id, workers[0].user_id, datetime.now(UTC).date())
    pings = list(
        db.get_container_client(schema.PINGS.name).query_items(
            "SELECT TOP 50 * FROM c WHERE c.pk = @pk", parameters=[{"name": "@pk", "value": pk}], partition_key=pk
        )
    )
    latest = list(
        db.get_container_client(schema.LATEST_POSITIONS.name).query_items(
            "SELECT TOP 50 * FROM c WHERE c.accountId = @a",
            parameters=[{"name": "@a", "value": account_id}],
            partition_key=account_id,
        )
    )
    naive = list(
        db.get_container_client(NAIVE_CONTAINER).query_items(
            "SELECT TOP 50 * FROM c WHERE c.accountId = @a",
            parameters=[{"name": "@a", "value": account_id}],
            partition_key=account_id,
        )
    )

    def mean(docs: list[dict[str, Any]]) -> float:
        return sum(doc_size(d) for d in docs) / len(docs) if docs else 0.0

    return {"ping": mean(pings), "latest": mean(latest), "naive": mean(naive)}


def _per_thousand(step: StepResult, sizes: dict[str, float], queue: str, functions: tuple[str, ...]) -> dict[str, Any]:
    phase = Phase(pings=max(1, step.accepted), http=step.calls, counts=step.counts)
    calls = call_counts(phase, queue, functions)
    table = {
        "pings": (sizes["ping"], 2),
        "latest-positions": (sizes["latest"], 2),
        NAIVE_CONTAINER: (sizes["naive"], 12),
    }
    per = 1000 / phase.pings
    mine = {k: v * per for k, v in step.counts.items() if k.split(" ")[0] in functions or f"queue.{queue}." in k}
    sends = sum(v for k, v in mine.items() if k.endswith(f"queue.{queue}.send"))
    return {
        "calls": calls,
        "ruPerPing": ru_per_ping(phase, RuModel(), table, functions),
        "queueSendsPerThousand": sends,
        "countsPerThousand": mine,
    }


def assemble(
    args: argparse.Namespace,
    started_at: str,
    before: dict[int, ceiling.Ceiling],
    after: dict[int, ceiling.Ceiling],
    pipeline: list[StepResult],
    naive: list[StepResult],
    profiles: dict[str, list[str]],
    sizes: dict[str, float],
) -> dict[str, Any]:
    ceilings = {
        str(b): {
            "before": before[b].per_second,
            "after": after[b].per_second,
            "mean": (before[b].per_second + after[b].per_second) / 2,
            "chargedRuPerPing": before[b].ru_per_ping,
        }
        for b in before
    }

    def steps(results: list[StepResult], functions: tuple[str, ...]) -> list[dict[str, Any]]:
        out = []
        for r in results:
            d = r.as_dict()
            d.update(_per_thousand(r, sizes, r.queue, functions))
            ref = ceilings.get(str(r.batch), ceilings["30"])["mean"]
            d["shareOfCeiling"] = r.stored_per_s / ref if ref else None
            d["ceilingBatch"] = r.batch if str(r.batch) in ceilings else 30
            out.append(d)
        return out

    return {
        "startedAt": started_at,
        "finishedAt": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "stepSeconds": args.step_seconds,
        "ceilings": ceilings,
        "sizes": sizes,
        "pipeline": steps(pipeline, PIPELINE),
        "naive": steps(naive, BASELINE),
        "profiles": profiles,
        "functions": {
            "ingest": PIPELINE[0],
            "writer": PIPELINE[1],
            "naiveIngest": BASELINE[0],
            "naiveWriter": BASELINE[1],
        },
    }


KNEE_SHARE = 0.95  # a step storing at least this share of the best rate has reached the peak


def peak(steps: list[dict[str, Any]], batch: int | None = None) -> dict[str, Any] | None:
    """The saturation peak: the step of the LEAST offered load whose stored rate is within 5 % of the best one (the
    knee). Past it more offered load only lengthens the queue, so the freshness of a later step measures how long
    that step ran over capacity, not the pipeline; the peak's rate is the best one either way (within 5 %)."""
    chosen = sorted((s for s in steps if batch is None or s["batch"] == batch), key=lambda s: s["workers"] * s["batch"])
    if not chosen:
        return None
    best = max(s["storedPerS"] for s in chosen)
    return next(s for s in chosen if s["storedPerS"] >= KNEE_SHARE * best)


def print_peaks(result: dict[str, Any]) -> None:
    print("\n  peaks (stored pings/s; share of the store's ceiling at the same batch size, mean of before/after):")
    for b in sorted({s["batch"] for s in result["pipeline"]}):
        p = peak(result["pipeline"], b)
        assert p is not None
        print(
            f"    pipeline, batches of {b:>3}: {p['storedPerS']:>6.0f} pings/s = {100 * (p['shareOfCeiling'] or 0):.0f} %"
            f" of {result['ceilings'][str(p['ceilingBatch'])]['mean']:.0f}; freshness p50/p99"
            f" {p['freshnessP50Ms']:.0f}/{p['freshnessP99Ms']:.0f} ms; lost {p['lost']}; at {p['workers']} workers"
        )
    n = peak(result["naive"])
    if n is not None:
        print(
            f"    naive, one ping per call:  {n['storedPerS']:>6.0f} pings/s = {100 * (n['shareOfCeiling'] or 0):.0f} %"
            f" of the 30-batch ceiling; freshness p50/p99 {n['freshnessP50Ms']:.0f}/{n['freshnessP99Ms']:.0f} ms;"
            f" lost {n['lost']}; at {n['workers']} workers"
        )


if __name__ == "__main__":
    sys.exit(main())
