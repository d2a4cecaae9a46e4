"""Queue triggers: poll Azurite, lease and renew messages while a function runs, retry, then poison."""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from typing import Any

from azure.core.exceptions import ResourceExistsError
from azure.functions.queue import QueueMessage
from azure.storage.queue import QueueClient
from azure.storage.queue import QueueMessage as StorageMessage

from devhost.config import QueueOptions
from devhost.faults import KillBeforeDelete
from devhost.invoker import Invoker

log = logging.getLogger("devhost")


class QueueListener:
    def __init__(
        self,
        name: str,
        fn: Any,
        queue: QueueClient,
        poison: QueueClient,
        opts: QueueOptions,
        invoker: Invoker,
        fault: KillBeforeDelete | None = None,
    ) -> None:
        self.name, self.fn, self.queue, self.poison, self.opts, self.invoker = name, fn, queue, poison, opts, invoker
        self.fault = fault or KillBeforeDelete(0)
        self.in_flight = 0
        self._stopping = False

    def stop(self) -> None:
        self._stopping = True

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        delay = 0.1
        tasks: set[asyncio.Task[None]] = set()
        while not self._stopping:
            if self.in_flight > self.opts.new_batch_threshold:
                await asyncio.sleep(0.05)
                continue
            try:
                batch: list[StorageMessage] = await loop.run_in_executor(self.invoker.pool, self._receive)
            except Exception as exc:  # noqa: BLE001 - storage briefly unreachable: keep polling, like the host
                log.warning("queue %s: receive failed (%s); retrying", self.queue.queue_name, type(exc).__name__)
                batch = []
            if not batch:
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.opts.max_polling_interval)
                continue
            delay = 0.1
            for message in batch:
                self.in_flight += 1
                task = asyncio.create_task(self._process(message))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def _receive(self) -> list[StorageMessage]:
        return list(
            self.queue.receive_messages(
                messages_per_page=self.opts.batch_size,
                max_messages=self.opts.batch_size,
                visibility_timeout=self.opts.lease_seconds,
            )
        )

    async def _keep_lease(self, message: StorageMessage, done: asyncio.Event) -> None:
        """Renew the message's invisibility while its function runs, as the host does (every half lease).

        It stops when `done` is set, between renewals only: a renewal is never cancelled half-way, because Storage
        may have applied it (a new pop receipt) without this process recording it, and the later delete with the
        old receipt would fail and the message come back."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                await asyncio.wait_for(done.wait(), timeout=self.opts.lease_seconds / 2)
                return
            except TimeoutError:
                pass
            try:
                await loop.run_in_executor(self.invoker.pool, self._renew, message)
            except Exception as exc:  # noqa: BLE001 - lease lost: the message may be delivered again
                log.warning(
                    "queue %s: lease renewal of %s failed (%s)", self.queue.queue_name, message.id, type(exc).__name__
                )
                return

    def _renew(self, message: StorageMessage) -> None:
        receipt = self.queue.update_message(message.id, message.pop_receipt, visibility_timeout=self.opts.lease_seconds)
        message.pop_receipt = receipt.pop_receipt  # recorded in the same call as the update

    async def _process(self, message: StorageMessage) -> None:
        loop = asyncio.get_running_loop()
        try:
            if message.dequeue_count and message.dequeue_count > self.opts.max_dequeue_count:
                await loop.run_in_executor(self.invoker.pool, self._to_poison, message)
                return
            try:
                body = base64.b64decode(message.content, validate=True)
                trigger_message = QueueMessage(
                    id=message.id,
                    body=body,
                    dequeue_count=message.dequeue_count,
                    expiration_time=message.expires_on,
                    insertion_time=message.inserted_on,
                    time_next_visible=message.next_visible_on,
                    pop_receipt=message.pop_receipt,
                )
                done = asyncio.Event()
                renewal = asyncio.create_task(self._keep_lease(message, done))
                try:
                    await self.invoker.invoke(self.name, "queue", self.fn, trigger_message)
                finally:
                    done.set()
                    await renewal  # a renewal under way finishes and records its pop receipt first
            except (Exception, binascii.Error) as exc:  # noqa: BLE001 - any failure is retried, then poisoned
                log.warning(
                    "function=%s message=%s dequeue_count=%s failed: %s",
                    self.name,
                    message.id,
                    message.dequeue_count,
                    type(exc).__name__,
                )
                await loop.run_in_executor(self.invoker.pool, self._after_failure, message)
                return
            self.fault.succeeded(self.name, message.id)
            await loop.run_in_executor(self.invoker.pool, self._delete, message)
        finally:
            self.in_flight -= 1

    def _delete(self, message: StorageMessage) -> None:
        try:
            self.queue.delete_message(message.id, message.pop_receipt)
        except Exception as exc:  # noqa: BLE001 - lease lost: another delivery will handle it (at least once)
            log.warning("queue %s: delete of %s failed (%s)", self.queue.queue_name, message.id, type(exc).__name__)

    def _after_failure(self, message: StorageMessage) -> None:
        if (message.dequeue_count or 0) >= self.opts.max_dequeue_count:
            self._to_poison(message)
            return
        try:
            self.queue.update_message(
                message.id, message.pop_receipt, visibility_timeout=int(self.opts.visibility_timeout)
            )
        except Exception as exc:  # noqa: BLE001 - lease lost: the message reappears when its lease ends
            log.warning("queue %s: release of %s failed (%s)", self.queue.queue_name, message.id, type(exc).__name__)

    def _to_poison(self, message: StorageMessage) -> None:
        try:
            self.poison.create_queue()
        except ResourceExistsError:
            pass
        self.poison.send_message(message.content)
        self._delete(message)
        log.error(
            "queue %s: message %s moved to %s after %s attempts",
            self.queue.queue_name,
            message.id,
            self.poison.queue_name,
            message.dequeue_count,
        )
