"""Row 4 of issue 9: the Cosmos DB server or Azurite stops for 30 s during ingest, then starts again.

Each scenario runs on its own Azurite, Cosmos DB server and devhost (tests/integration/proof_outage.py), never on
the shared emulators; both run at once to keep the file short. Must hold: every ping answered 202 is stored in
Cosmos DB once the service is back (the queue's retry budget, host.json `maxDequeueCount` 5 deliveries 30 s apart,
outlasts the outage, so nothing waits in `<queue>-poison`), and while the service is down POST /api/me/locations
answers 503 problem+json with Retry-After in bounded time, never 500 and never a hang.

Azurite may handle a receive while it stops and never send the answer: those messages stay invisible for the
receive's lease and are delivered again after it (the Azurite scenario's devhost uses a short lease, see
proof_outage.py). The figure counts those pings; a loss is reported call by call with where the pings were at the stop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from tests.integration.proof_outage import LEASE_SECONDS, OUTAGE_SECONDS, Kind, OutageRun, run_outage

# The longest an ingest call may take while a service is down: Cosmos DB frozen costs 2 x COSMOS_READ_TIMEOUT_SECONDS
# (5 s) for the first read; Azurite refusing connections costs the Storage retries (about 4 s).
MAX_ANSWER_SECONDS = 15.0


@pytest.fixture(scope="module")
def outage_runs(request: pytest.FixtureRequest) -> Iterator[dict[Kind, Future[OutageRun]]]:
    # Only the scenarios of the selected tests (-k azurite runs one stack), at once.
    names = [item.name for item in request.session.items if item.nodeid.startswith(f"{request.node.nodeid}::")]
    kinds: list[Kind] = [k for k in ("cosmos", "azurite") if any(k in n for n in names)]
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="outage") as pool:
        yield {kind: pool.submit(run_outage, kind) for kind in kinds}


def _check(run: OutageRun, row_text: str, figure: Callable[..., None]) -> None:
    during = run.during()
    after = [c for c in run.calls if c.started > run.restarted_at]
    answers_503 = [c for c in during if c.status == 503]
    longest = max((c.ended - c.started for c in during), default=0.0)
    lost = run.accepted_ids - run.stored_ids
    queued = run.queued_at_stop or []
    waiting_at_stop = {i for m in queued for i in m.ping_ids} & run.accepted_ids
    orphaned = run.orphaned_lease_ids()
    not_kept = run.not_kept_by_azurite()
    if run.kind == "azurite":
        row_text += (
            f"; at the stop {len(waiting_at_stop)} accepted pings were in Azurite's queue, "
            f"{len(orphaned)} of them under the lease of a receive whose answer was lost in the stop "
            f"(delivered again when its {LEASE_SECONDS} s lease ended; the host's lease is 10 min), "
            f"{len(not_kept)} acknowledged before the stop and missing from it"
            if run.queued_at_stop is not None
            else "; Azurite's saved queue store could not be read"
        )
    figure(
        4,
        f"{run.kind} stopped {OUTAGE_SECONDS:.0f} s: {len(run.accepted_ids)} accepted / "
        f"{len(run.accepted_ids & run.stored_ids)} stored, {len(lost)} lost; {len(answers_503)} ingest calls "
        f"answered 503 during the outage, longest answer {longest:.1f} s; {run.writer_failures} failed writer "
        f"deliveries retried, {run.poisoned} poisoned" + row_text,
        scenario=run.kind,
        accepted=len(run.accepted_ids),
        stored=len(run.accepted_ids & run.stored_ids),
        lost=len(lost),
        answered_503=len(answers_503),
        longest_answer_s=round(longest, 1),
        statuses_during=run.statuses(during),
        statuses_all=run.statuses(run.calls),
        writer_failures=run.writer_failures,
        poisoned=run.poisoned,
        **(
            {
                "in_queue_at_stop": len(waiting_at_stop),
                "orphaned_lease_pings": len(orphaned),
                "acknowledged_not_kept": len(not_kept),
            }
            if run.kind == "azurite"
            else {}
        ),
    )
    assert run.stopped_at and run.restarted_at, "the outage did not happen"
    assert any(c.status == 202 for c in run.calls if c.ended < run.stopped_at), "nothing accepted before the stop"
    assert run.burst_ids, "the burst just before the stop was not accepted"
    assert answers_503, f"no 503 while {run.kind} was down: {run.statuses(during)}"
    assert set(run.statuses(during)) <= {202, 503}, f"no 500 and no hang: {run.statuses(during)}\n{run.host_log_tail}"
    assert all(c.problem_json and c.retry_after for c in answers_503), "503 answers are problem+json with Retry-After"
    assert longest <= MAX_ANSWER_SECONDS, f"an ingest call took {longest:.1f} s during the outage"
    assert any(c.status == 202 and c.accepted == len(c.ids) for c in after), (
        f"ingest did not recover after the restart: {run.statuses(after)}"
    )
    partial = [
        (round(c.started - run.stopped_at, 1), c.detail)
        for c in run.calls
        if c.status == 202 and c.accepted != len(c.ids)
    ]
    assert not partial, f"202 answers that did not accept the whole batch (s after the stop, body): {partial}"
    assert not not_kept, (
        f"Azurite acknowledged {len(not_kept)} pings before the SIGTERM and its saved store does not "
        "hold them (an emulator artifact: Azure Storage keeps what it acknowledged):\n" + "\n".join(run.loss_report())
    )
    assert not lost, (
        f"{len(lost)} accepted pings never stored:\n"
        + "\n".join(run.loss_report())
        + f"\nhost log tail:\n{run.host_log_tail}"
    )
    assert run.poisoned == 0, "a transient outage must not poison messages (retry budget)"


def test_cosmos_db_stopped_30s_nothing_accepted_is_lost(
    outage_runs: dict[Kind, Future[OutageRun]], figure: Callable[..., None]
) -> None:
    run = outage_runs["cosmos"].result(timeout=400)
    _check(run, " (Cosmos DB server frozen with SIGSTOP, its data kept in memory)", figure)


def test_azurite_stopped_30s_nothing_accepted_is_lost(
    outage_runs: dict[Kind, Future[OutageRun]], figure: Callable[..., None]
) -> None:
    run = outage_runs["azurite"].result(timeout=400)
    text = (
        f" (Azurite stopped with SIGTERM, exited in {run.azurite_exit_seconds or 0:.1f} s, restarted on its "
        f"--location; a message sent just before the stop {'survived' if run.flush_marker_survived else 'LOST'})"
    )
    _check(run, text, figure)
    assert run.flush_marker_survived, "Azurite lost a message written just before SIGTERM"
