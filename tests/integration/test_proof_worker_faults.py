"""Rows 1 and 2 of issue 9: the pings writer under worker faults.

Row 1: the queue worker is SIGKILLed in the middle of a batch, after a message was handled and before its delete
(devhost's DEVHOST_FAULT_KILL_BEFORE_DELETE hook), then restarted: every accepted ping is stored exactly once.
Row 2: the same queue message handled by two workers at once (as after a lease expiry), and an older and a newer
message racing for the latest position, against the real Cosmos DB emulator: one copy, never backwards."""

from __future__ import annotations

import os
import re
import signal
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.cosmos import ContainerProxy
from azure.storage.queue import QueueClient

from core import schema
from core.adapters.cosmos import build_cosmos_client
from core.adapters.cosmos_tracking import ping_partition
from core.adapters.queues import build_queue_service
from core.bootstrap import Container
from core.domain.accounts import Member
from core.domain.identity import Role
from core.domain.tracking import Ping, PingSource
from core.domain.tracking_formats import decode_ping_message, encode_ping_messages
from core.services.ping_writer import store_ping_message
from devhost.launch import LocalHost, start_local_host
from tests.helpers import app_functions, wait_for
from tests.integration.conftest import ROOT, Stack, User
from tests.integration.tracking_helpers import post, route, set_location_consent

WRITER = "write_pings"
MESSAGES = 40  # ingest calls, one queue message each
PINGS_PER_MESSAGE = 5
KILL_AFTER = 6  # the host dies after its 6th handled message, before deleting it; batchSize is 16
RACES = 30
MAX_DEQUEUE_COUNT = 5  # host.json: attempts before a message is moved to the poison queue


# ---------------------------------------------------------------- row 1: kill the worker before its delete


def _non_http_functions() -> list[str]:
    names = []
    for function in app_functions():
        trigger = function.get_trigger()
        if trigger is not None and trigger.get_dict_repr().get("type") != "httpTrigger":
            names.append(str(function.get_function_name()))
    return names


def _start_host(env: dict[str, str], name: str) -> LocalHost:
    log_path = ROOT / ".local" / "logs" / f"devhost-fault-{name}-{uuid.uuid4().hex[:6]}.log"
    return start_local_host(log_path=log_path, env=env)


def _wait_healthy(host: LocalHost) -> None:
    host.wait_until_answering()


@pytest.fixture
def private_queues(stack: Stack) -> Iterator[dict[str, str]]:
    """Queue names of this test's own (the session's devhost never polls them), created and removed here."""
    suffix = uuid.uuid4().hex[:8]
    names = {q.setting: f"{q.default_name}-{suffix}" for q in schema.QUEUES}
    service = build_queue_service(stack.settings)
    for name in names.values():
        service.create_queue(name)
    try:
        yield names
    finally:
        for name in names.values():
            for queue in (name, schema.poison_queue_name(name)):
                try:
                    service.delete_queue(queue)
                except ResourceNotFoundError:
                    pass


def _pings_container(stack: Stack) -> ContainerProxy:
    database = build_cosmos_client(stack.settings).get_database_client(stack.settings.cosmos_database)
    return database.get_container_client(schema.PINGS.name)


def _stored_docs(container: ContainerProxy, user: User, days: set[date]) -> list[str]:
    """Every ping document of the worker on those days, read from Cosmos DB (ids, with repeats if any)."""
    ids: list[str] = []
    for day in sorted(days):
        pk = ping_partition(user.account_id, user.user_id, day)
        ids.extend(
            str(i)
            for i in container.query_items(
                "SELECT VALUE c.id FROM c WHERE c.pk = @pk", parameters=[{"name": "@pk", "value": pk}], partition_key=pk
            )
        )
    return ids


def _queue_length(queue: QueueClient) -> int:
    """Messages still in the queue, visible or leased (deleted ones only leave it)."""
    count = queue.get_queue_properties().approximate_message_count
    return int(count or 0)


def test_worker_killed_between_handling_and_delete_stores_every_ping_once(
    api: httpx.Client, stack: Stack, member: User, private_queues: dict[str, str], figure: Callable[..., None]
) -> None:
    set_location_consent(api, member, True)
    pings_c = _pings_container(stack)
    base_env = {**os.environ, **private_queues}
    others = [n for n in _non_http_functions() if n != WRITER]
    # The ingest host only serves HTTP: its writer is disabled, so every message waits in the queue.
    ingest_env = {**base_env, **{f"AzureWebJobs.{n}.Disabled": "true" for n in [*others, WRITER]}}
    # The worker hosts run only the writer (their other triggers and timers are off).
    worker_env = {**base_env, **{f"AzureWebJobs.{n}.Disabled": "true" for n in others}}
    queue = build_queue_service(stack.settings).get_queue_client(private_queues[schema.LOCATION_PINGS_QUEUE.setting])

    start = datetime.now(UTC) + timedelta(seconds=1)
    sent: list[list[str]] = []
    ingest = _start_host(ingest_env, "ingest")
    try:
        _wait_healthy(ingest)
        with httpx.Client(base_url=ingest.api, timeout=30) as client:
            for m in range(MESSAGES):
                pings = route(start + timedelta(milliseconds=m * 50), PINGS_PER_MESSAGE, timedelta(milliseconds=7))
                assert post(client, member, pings)["accepted"] == PINGS_PER_MESSAGE
                sent.append([str(p["id"]) for p in pings])
    finally:
        ingest.stop()
    assert _queue_length(queue) == MESSAGES  # accepted = queued, one message per call, none handled yet
    sent_ids = {i for ids in sent for i in ids}
    days = {
        (start + timedelta(milliseconds=m * 50 + k * 7)).date()
        for m in range(MESSAGES)
        for k in range(PINGS_PER_MESSAGE)
    }

    # The worker: a short lease, so the messages it held come back soon after it dies; killed by the hook.
    worker = _start_host(
        {**worker_env, "DEVHOST_FAULT_KILL_BEFORE_DELETE": str(KILL_AFTER), "DEVHOST_QUEUE_LEASE_SECONDS": "2"},
        "killed",
    )
    try:
        wait_for(
            lambda: worker.proc.poll() is not None,
            timeout=60,
            interval=0.2,
            what="the worker to be killed by its fault hook",
        )
    finally:
        worker.stop()
    killed_log = worker.log()
    at_kill = set(_stored_docs(pings_c, member, days))
    left_at_kill = _queue_length(queue)
    whole_at_kill = sum(1 for ids in sent if set(ids) <= at_kill)
    handled_before_kill = len(re.findall(rf"invocation function={WRITER} trigger=queue .* outcome=ok", killed_log))

    restarted = _start_host(worker_env, "restarted")
    settled = ""  # why the restarted worker did not finish, if it did not (the figure is recorded either way)
    try:
        wait_for(
            lambda: sent_ids <= set(_stored_docs(pings_c, member, days)),
            timeout=60,
            interval=0.3,
            what=f"all {len(sent_ids)} pings stored after the restart",
        )
        wait_for(lambda: _queue_length(queue) == 0, timeout=30, interval=0.3, what="the pings queue drained")
    except AssertionError as exc:
        settled = str(exc)
    finally:
        restarted.stop()
    docs = _stored_docs(pings_c, member, days)
    stored = set(docs) & sent_ids
    duplicates = len(docs) - len(stored)  # every document beyond one per accepted ping
    lost = len(sent_ids - stored)
    handled_after_restart = len(
        re.findall(rf"invocation function={WRITER} trigger=queue .* outcome=ok", restarted.log())
    )
    failed_after_restart = len(
        re.findall(rf"invocation function={WRITER} trigger=queue .* outcome=failed", restarted.log())
    )
    poison = build_queue_service(stack.settings).get_queue_client(schema.poison_queue_name(queue.queue_name))
    try:
        poisoned = _queue_length(poison)
    except ResourceNotFoundError:
        poisoned = 0  # the host creates the poison queue on its first move
    # Messages handled again although all their pings were already stored: the killed one at least.
    replayed_stored = handled_after_restart + poisoned - (MESSAGES - whole_at_kill)
    figure(
        1,
        f"worker SIGKILLed after its {KILL_AFTER}th handled message, before the delete ({handled_before_kill} "
        f"handled, {len(at_kill)}/{len(sent_ids)} pings stored, {left_at_kill}/{MESSAGES} messages left); after "
        f"the restart {handled_after_restart} messages handled ({replayed_stored} already stored, "
        f"{failed_after_restart} failed attempts, {poisoned} poisoned): "
        f"sent {len(sent_ids)} / stored {len(stored)} / duplicates {duplicates} / lost {lost}",
        sent=len(sent_ids),
        stored=len(stored),
        duplicates=duplicates,
        lost=lost,
        stored_at_kill=len(at_kill),
        messages_left_at_kill=left_at_kill,
        replayed_already_stored=replayed_stored,
        poisoned=poisoned,
    )
    assert not settled, settled
    assert worker.proc.returncode == -signal.SIGKILL, killed_log[-3000:]
    assert f"fault injection: SIGKILL after queue invocation {KILL_AFTER} " in killed_log
    # The kill landed mid-batch: some pings stored, others not yet, and the last handled message not deleted.
    assert KILL_AFTER * PINGS_PER_MESSAGE <= len(at_kill) < len(sent_ids)
    assert whole_at_kill >= KILL_AFTER
    assert left_at_kill > MESSAGES - KILL_AFTER
    assert replayed_stored >= 1
    assert (duplicates, lost, poisoned) == (0, 0, 0)
    assert len(docs) == len(sent_ids)


# ---------------------------------------------------------------- row 2: two workers on one message


def _pings(start: datetime, count: int, tag: int) -> list[Ping]:
    return [
        Ping(
            ping_id=str(uuid.uuid4()),
            t=start + timedelta(seconds=i),
            lat=45.0 + tag * 0.001 + i * 1e-5,
            lon=-93.0 + i * 1e-5,
            acc=5.0,
            src=PingSource.GPS,
        )
        for i in range(count)
    ]


def _race(work: list[Callable[[], Any]]) -> tuple[int, int]:
    """Run the callables at once (released together by a barrier). As the host does, a failed one is tried again,
    up to maxDequeueCount (5) attempts in all. Returns (failed attempts, callables that never succeeded = poisoned)."""
    barrier = threading.Barrier(len(work), timeout=30)
    failures: list[BaseException] = []
    poisoned: list[int] = []
    lock = threading.Lock()

    def run(fn: Callable[[], Any]) -> None:
        barrier.wait()
        for _ in range(MAX_DEQUEUE_COUNT):
            try:
                fn()
                return
            except Exception as exc:  # recorded; the host would retry the message, so do we
                with lock:
                    failures.append(exc)
        with lock:
            poisoned.append(1)

    threads = [threading.Thread(target=run, args=(fn,)) for fn in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a racing writer did not finish within 60 s"
    return len(failures), len(poisoned)


def test_one_message_handled_by_two_workers_at_once_is_stored_once_and_never_moves_backwards(
    stack: Stack, figure: Callable[..., None]
) -> None:
    # Two workers = two processes' worth of clients: each thread its own container (own Cosmos DB client).
    workers = [Container(stack.settings), Container(stack.settings)]
    database = build_cosmos_client(stack.settings).get_database_client(stack.settings.cosmos_database)
    pings_c = database.get_container_client(schema.PINGS.name)
    latest_c = database.get_container_client(schema.LATEST_POSITIONS.name)
    account = f"a-race-{uuid.uuid4().hex[:8]}"
    base = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=1)

    def handle(worker: Container, text: str) -> Callable[[], Any]:
        return lambda: store_ping_message(
            message=decode_ping_message(text),
            pings=worker.pings,
            latest_positions=worker.latest_positions,
            clock=worker.clock,
            ingest_gate=worker.ingest_gate,
            reactions=worker.reactions,
            private_zones=worker.private_zones,
            withheld_pings=worker.withheld_pings,
            expiry_plans=worker.expiry_plans,
        )

    def docs_of(user: str) -> Counter[str]:
        pk = ping_partition(account, user, base.date())
        return Counter(
            str(i)
            for i in pings_c.query_items(
                "SELECT VALUE c.id FROM c WHERE c.pk = @pk", parameters=[{"name": "@pk", "value": pk}], partition_key=pk
            )
        )

    def latest_id(user: str) -> str:
        return str(latest_c.read_item(item=user, partition_key=account)["ping_id"])

    duplicates = lost = backwards = errors = poisoned = 0

    def run_race(work: list[Callable[[], Any]]) -> None:
        nonlocal errors, poisoned
        failed, gave_up = _race(work)
        errors, poisoned = errors + failed, poisoned + gave_up

    for n in range(RACES):
        user = f"u-race-{n}-{uuid.uuid4().hex[:6]}"
        workers[0].accounts.put_member(  # the writer stores only a member's pings (its erasure check)
            Member(
                account_id=account,
                user_id=user,
                role=Role.MEMBER,
                full_name="Racer",
                email=f"{user}@example.com",
                time_zone="UTC",
                joined_at=base - timedelta(days=1),
                updated_at=base - timedelta(days=1),
            )
        )
        older = _pings(base + timedelta(minutes=n), 20, 0)
        newer = _pings(base + timedelta(minutes=n, seconds=30), 20, 1)
        (old_text,) = encode_ping_messages(account, user, older)
        (new_text,) = encode_ping_messages(account, user, newer)
        # 1. The very same message, twice at once (a lease expired while the first worker still ran).
        run_race([handle(workers[0], old_text), handle(workers[1], old_text)])
        # 2. The newer and the older message at once, the pair swapped on every other race.
        first, second = (old_text, new_text) if n % 2 == 0 else (new_text, old_text)
        run_race([handle(workers[0], first), handle(workers[1], second)])
        if latest_id(user) != newer[-1].ping_id:
            backwards += 1
        # 3. A late redelivery of the older message after the newer one was handled, then both again at once.
        run_race([handle(workers[n % 2], old_text)])
        run_race([handle(workers[0], new_text), handle(workers[1], old_text), handle(workers[1], new_text)])
        docs = docs_of(user)
        expected = {p.ping_id for p in older + newer}
        duplicates += sum(docs.values()) - len(expected & set(docs))  # documents beyond one per ping
        lost += len(expected - set(docs))
        if latest_id(user) != newer[-1].ping_id:
            backwards += 1
    figure(
        2,
        f"{RACES} races (same message twice at once; older and newer message at once, both orders; a late "
        f"older redelivery): duplicates {duplicates}, lost {lost}, latest position moved backwards "
        f"{backwards}, failed attempts retried {errors}, messages that would be poisoned {poisoned}",
        races=RACES,
        duplicates=duplicates,
        lost=lost,
        backwards=backwards,
        retried_attempts=errors,
        poisoned=poisoned,
    )
    assert (duplicates, lost, backwards, poisoned) == (0, 0, 0, 0)
