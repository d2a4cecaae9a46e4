"""`DecodeBudget`: how much memory the photo verifications of one process may hold at once for decoding.

A weighted semaphore counted in bytes. Each verification asks for what its decode will need (estimated from the
file's header before anything is decoded, `checks.decode_cost`) and waits until that much is free; it gives the
bytes back when it ends, also when it fails. Waiters are served in arrival order, so a large photo is not starved
by a stream of small ones. A photo that needs more than the whole budget is granted the whole budget: it waits
until nothing else is held and then runs alone. Threads of one process share it (the Functions Python worker runs
synchronous functions on a thread pool, and a queue trigger takes a batch of messages at once); the composition root
(core/bootstrap/photos.py) builds one per process.

The budget bounds the memory decodes hold; what the process's resident size does also depends on the C allocator
giving freed memory back. glibc's does not by default: it raises its mmap threshold after the first large block is
freed, so later decode buffers come from per-thread heaps that keep them (measured: 24 photos on 6 threads, one
at a time, left the worker 380 MB larger; docs/scaling.md, "Instance memory"). `return_large_blocks_on_free`, which
the root calls once with the budget, fixes the threshold at 1 MiB: every block that large is mapped on its own and
unmapped when freed.
"""

from __future__ import annotations

import ctypes
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager


class DecodeBudget:
    def __init__(self, capacity_bytes: int) -> None:
        if capacity_bytes <= 0:
            raise ValueError("a decode budget needs a positive capacity")
        self.capacity = capacity_bytes
        self._held = 0
        self._most_held = 0
        self._line: deque[object] = deque()  # the waiters' tickets, first come first served
        self._changed = threading.Condition()

    @property
    def held(self) -> int:
        """The bytes granted now."""
        with self._changed:
            return self._held

    @property
    def most_held(self) -> int:
        """The most bytes ever granted at once (never above the capacity)."""
        with self._changed:
            return self._most_held

    @property
    def waiting(self) -> int:
        """How many verifications wait for their share."""
        with self._changed:
            return len(self._line)

    def granted_for(self, need: int) -> int:
        """What a request for `need` bytes is granted: the need, at most the whole budget."""
        return min(max(need, 0), self.capacity)

    @contextmanager
    def holding(self, need: int) -> Iterator[int]:
        """Wait until `need` bytes (at most the capacity) are free, hold them for the block, give them back."""
        granted = self.granted_for(need)
        if granted == 0:  # nothing will be decoded: nothing to wait for
            yield 0
            return
        ticket = object()
        with self._changed:
            self._line.append(ticket)
            try:
                self._changed.wait_for(lambda: self._line[0] is ticket and self._held + granted <= self.capacity)
            finally:
                self._line.remove(ticket)  # also when the wait is interrupted: the next one in line may go on
                self._changed.notify_all()
            self._held += granted
            self._most_held = max(self._most_held, self._held)
        try:
            yield granted
        finally:
            with self._changed:
                self._held -= granted
                self._changed.notify_all()


_M_MMAP_THRESHOLD = -3  # glibc's malloc.h
LARGE_BLOCK_BYTES = 1024 * 1024


def return_large_blocks_on_free(threshold: int = LARGE_BLOCK_BYTES) -> bool:
    """Have the C allocator (glibc) map every block of `threshold` bytes or more on its own, so that freeing it gives
    the memory back to the system; setting it also stops glibc moving the threshold up. Process-wide, once, by the
    composition root. False where the C library has no `mallopt` (not glibc): nothing changes there."""
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own C library
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, threshold))
