"""The saturation ladder's step logic (bench/saturation.py, issue 31): a step that raises or outlives its time ends
the ladder of its batch size, is recorded, and the other batch sizes still run. No emulator: the step is a stand-in
for `run_step` that answers a stored rate, raises, or hangs."""

from __future__ import annotations

import argparse
import threading
from typing import Any

from bench import saturation
from bench.saturation_load import StepResult


class FakeMode:
    kind = "pipeline"


def args() -> argparse.Namespace:
    return argparse.Namespace(step_seconds=0.01, drain=0.01)


def run(
    plan: dict[tuple[int, int], Any], steps: list[tuple[int, int]]
) -> tuple[list[StepResult], list[saturation.StepFailure], list[tuple[int, int]]]:
    """`plan`: (workers, batch) -> stored pings/s, an exception to raise, or "hang"."""
    called: list[tuple[int, int]] = []
    release = threading.Event()

    def step(mode: Any, *, workers: int, batch: int, interval: float, seconds: float, drain: float) -> StepResult:
        called.append((workers, batch))
        what = plan[(workers, batch)]
        if what == "hang":
            release.wait(30)
        if isinstance(what, Exception):
            raise what
        r = StepResult("pipeline", workers, batch, interval, seconds, "q")
        r.stored_in_window, r.window = int(what), 1.0
        return r

    failures: list[saturation.StepFailure] = []
    try:
        results = saturation.ladder(
            FakeMode(),  # type: ignore[arg-type]  # the ladder reads only `kind` of the mode it hands to the step
            steps,
            args(),
            0.25,
            failures=failures,
            step=step,
            grace_s=0.3,
        )
    finally:
        release.set()
    return results, failures, called


def test_a_failed_step_ends_its_batch_size_and_the_next_batch_size_runs() -> None:
    plan: dict[tuple[int, int], Any] = {
        (8, 10): 100,
        (4, 30): 200,
        (8, 30): TimeoutError("the local Cosmos DB server did not answer"),
        (16, 30): 400,
        (8, 100): 300,
        (16, 100): 500,
    }
    results, failures, called = run(plan, list(plan))
    assert [(r.workers, r.batch) for r in results] == [(8, 10), (4, 30), (8, 100), (16, 100)]
    assert (16, 30) not in called, "no larger step of the failed batch size"
    [failed] = failures
    assert (failed.workers, failed.batch, failed.kind) == (8, 30, "pipeline")
    assert failed.reason.startswith("TimeoutError: the local Cosmos DB server")
    assert failed.as_dict()["batch"] == 30


def test_a_step_that_hangs_is_left_behind_after_its_time_and_the_run_goes_on() -> None:
    plan: dict[tuple[int, int], Any] = {(4, 30): 200, (8, 30): "hang", (16, 30): 400, (8, 100): 300}
    results, failures, called = run(plan, list(plan))
    assert [(r.workers, r.batch) for r in results] == [(4, 30), (8, 100)]
    assert [(f.workers, f.batch) for f in failures] == [(8, 30)] and failures[0].reason.startswith("timed out after")
    assert (16, 30) not in called


def test_a_ladder_still_stops_when_the_stored_rate_stops_growing() -> None:
    plan: dict[tuple[int, int], Any] = {(4, 30): 200, (8, 30): 205, (16, 30): 900}
    results, failures, called = run(plan, list(plan))
    assert [(r.workers, r.batch) for r in results] == [(4, 30), (8, 30)] and failures == []
    assert (16, 30) not in called


def test_the_peak_is_the_least_load_storing_within_five_percent_of_the_best_rate() -> None:
    def step(workers: int, stored: float, p99: float) -> dict[str, object]:
        return {"workers": workers, "batch": 30, "storedPerS": stored, "freshnessP99Ms": p99}

    steps = [step(4, 200, 900), step(8, 331, 2430), step(16, 334, 6752), step(32, 300, 9000)]
    chosen = saturation.peak(steps, 30)
    assert chosen is not None and (chosen["workers"], chosen["freshnessP99Ms"]) == (8, 2430)
    assert saturation.peak([step(4, 200, 900), step(8, 300, 1000)], 30) == step(8, 300, 1000)  # still growing
    assert saturation.peak(steps, 10) is None
