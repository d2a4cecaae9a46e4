"""The devhost's message lease: renewed while a queue function runs, and never dropped half-way through a renewal
(a renewal cancelled after Storage applied it left a stale pop receipt: "delete ... failed", then a redelivery)."""

from __future__ import annotations

import asyncio
import base64
import logging
import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from devhost.config import QueueOptions
from devhost.invoker import Invoker
from devhost.queues import QueueListener


class FakeQueue:
    """One message's pop receipt as Azure Storage keeps it: each update answers a new one, and a delete or update
    with an older receipt is refused. A renewal can be held until the function has returned."""

    queue_name = "test-queue"

    def __init__(self, *, hold_renewal: bool) -> None:
        self.receipt = "r0"
        self.lock = threading.Lock()
        self.hold_renewal = hold_renewal
        self.renewal_started = threading.Event()
        self.function_returned = threading.Event()
        self.updates = 0
        self.deleted: list[str] = []

    def update_message(self, message_id: str, pop_receipt: str, *, visibility_timeout: int) -> Any:
        with self.lock:
            self.renewal_started.set()
            if self.hold_renewal:
                assert self.function_returned.wait(10)
                time.sleep(0.3)  # a slow answer from Storage, arriving after the function returned
            if pop_receipt != self.receipt:
                raise HttpResponseError(
                    "The specified pop receipt did not match the pop receipt of a dequeued message."
                )
            self.updates += 1
            self.receipt = f"r{self.updates}"
            return SimpleNamespace(pop_receipt=self.receipt)

    def delete_message(self, message_id: str, pop_receipt: str) -> None:
        with self.lock:
            if pop_receipt != self.receipt:
                raise HttpResponseError(
                    "The specified pop receipt did not match the pop receipt of a dequeued message."
                )
            self.deleted.append(message_id)


def _message() -> Any:
    return SimpleNamespace(
        id="m1",
        content=base64.b64encode(b'{"x": 1}').decode(),
        dequeue_count=1,
        expires_on=None,
        inserted_on=None,
        next_visible_on=None,
        pop_receipt="r0",
    )


def _run(queue: FakeQueue, fn: Any, lease_seconds: int) -> None:
    invoker = Invoker(4)
    listener = QueueListener("write_things", fn, queue, queue, QueueOptions(lease_seconds=lease_seconds), invoker)  # type: ignore[arg-type]  # FakeQueue stands in for the Azure QueueClient: only the calls the listener makes
    try:
        asyncio.run(listener._process(_message()))
    finally:
        invoker.pool.shutdown(wait=True)


def test_a_renewal_under_way_when_the_function_returns_is_recorded_before_the_delete(
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue = FakeQueue(hold_renewal=True)

    def fn(message: Any) -> None:  # runs until a renewal is under way, then returns while it is
        assert queue.renewal_started.wait(10)
        queue.function_returned.set()

    with caplog.at_level(logging.WARNING, logger="devhost"):
        _run(queue, fn, lease_seconds=1)
    assert queue.updates == 1 and queue.deleted == ["m1"]
    assert not [r for r in caplog.records if "failed" in r.getMessage()], caplog.text


def test_renewals_keep_the_lease_of_a_long_function_and_the_delete_uses_the_last_receipt() -> None:
    queue = FakeQueue(hold_renewal=False)

    def fn(message: Any) -> None:
        deadline = time.monotonic() + 10
        while queue.updates < 3 and time.monotonic() < deadline:
            time.sleep(0.05)

    _run(queue, fn, lease_seconds=1)
    assert queue.updates >= 3 and queue.deleted == ["m1"]


def test_a_quick_function_is_deleted_at_once_without_waiting_for_a_renewal() -> None:
    queue = FakeQueue(hold_renewal=False)
    started = time.monotonic()
    _run(queue, lambda message: None, lease_seconds=600)
    assert time.monotonic() - started < 5
    assert queue.updates == 0 and queue.deleted == ["m1"]
