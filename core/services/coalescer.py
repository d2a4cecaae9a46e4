"""Group commit for queue work that one worker process runs concurrently (docs/tracking.md, "The pings writer").

The Functions host hands a delivery batch of queue messages (host.json: batchSize 16, newBatchThreshold 8) to
one worker process, one invocation per message, on the worker's thread pool. An invocation calls `submit(item)`;
the coalescer gathers the items that share a key and arrive together, one thread (the first to arrive, the
leader) runs `flush(items)` for all of them, and every invocation returns only once a flush that held its item
has succeeded. So the work is done once per group, and a message is never acknowledged before its data is
stored.

* Bounded: the leader waits at most `max_wait` seconds for company, less when the group is full (`full_at`,
  counted with `size`); while a flush of the same key is still running, the next group keeps gathering until it
  ends (at most one flush per key at a time), then goes.
* No thread of its own: flushes run on the invocations' threads, so nothing is left behind by a killed process
  (its messages were not deleted: the host delivers them again).
* Failure: when a group of several items fails, each invocation tries its own item alone once more, so one bad
  message fails (and is retried, then poisoned) on its own, as without coalescing; a failure of that solo try, or
  of a group of one, propagates to its invocation (the host retries, then poisons).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class _Group(Generic[T]):
    items: list[T] = field(default_factory=list)
    size: int = 0
    full: bool = False
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class Coalescer(Generic[T]):
    """Thread-safe group commit keyed by `key(item)`; see the module docstring."""

    def __init__(
        self,
        flush: Callable[[Sequence[T]], object],
        *,
        key: Callable[[T], Hashable],
        size: Callable[[T], int] = lambda _item: 1,
        max_wait: float = 0.005,
        full_at: int = 100,
    ) -> None:
        if max_wait < 0 or full_at < 1:
            raise ValueError("max_wait must be >= 0 and full_at >= 1")
        self._flush, self._key, self._size = flush, key, size
        self.max_wait, self.full_at = max_wait, full_at
        self._cond = threading.Condition()
        self._open: dict[Hashable, _Group[T]] = {}  # the group now gathering, per key
        self._flushing: set[Hashable] = set()  # keys whose flush is running
        self.flushes = 0  # how many flushes ran (a figure for tests and benchmarks)

    def submit(self, item: T) -> None:
        """Return once a flush holding `item` succeeded; raise when it (and the solo retry) failed."""
        key = self._key(item)
        with self._cond:
            group = self._open.get(key)
            leader = group is None
            if group is None:
                group = self._open[key] = _Group()
            group.items.append(item)
            group.size += self._size(item)
            if group.size >= self.full_at:
                group.full = True
                del self._open[key]  # later arrivals start the next group
                self._cond.notify_all()
            if leader:
                self._gather(key, group)
        if not leader:
            group.done.wait()
        else:
            try:
                self._flush(list(group.items))
            except BaseException as exc:  # noqa: BLE001 - handed to every waiter of the group, re-raised below
                group.error = exc
            finally:
                with self._cond:
                    self._flushing.discard(key)
                    self.flushes += 1
                    self._cond.notify_all()
                group.done.set()
        if group.error is None:
            return
        if len(group.items) == 1:  # the leader's own item alone: nothing to isolate
            raise group.error
        self._flush([item])  # isolate: only an item that fails on its own fails its invocation

    def _gather(self, key: Hashable, group: _Group[T]) -> None:
        """Under the lock: wait for company (bounded), then for the running flush of this key, then claim it."""
        deadline = time.monotonic() + self.max_wait
        while not group.full:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._cond.wait(remaining)
        while key in self._flushing:
            self._cond.wait()
        if self._open.get(key) is group:
            del self._open[key]
        self._flushing.add(key)
