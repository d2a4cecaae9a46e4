"""The app's clock. Every service gets it from the composition root (core/bootstrap/: `Container.clock`).

`SystemClock` is the real time. `FileTestClock` is the local-only test clock (docs/test-clock.md): the real time
moved by an offset, or frozen at an instant, as written in a small JSON file. The file is read again whenever it
changes (one `stat` per reading of the clock), so every part of the local host (HTTP, queue and timer triggers)
and any other process given the same file sees the same time, and the setting survives a restart of the host.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.domain.test_clock import TestClockState


def system_now() -> datetime:
    return datetime.now(UTC)


class SystemClock:
    def now(self) -> datetime:
        return system_now()


class FileTestClock:
    """Local only: the real time plus an offset, or a frozen instant, kept in `path` (absent file: real time)."""

    def __init__(self, path: Path, *, system: Callable[[], datetime] = system_now) -> None:
        self.path = path
        self._system = system
        self._lock = threading.Lock()
        self._seen: tuple[int, int] | None = None  # (mtime_ns, size) of the file last read
        self._state = TestClockState()

    def system_now(self) -> datetime:
        return self._system()

    def state(self) -> TestClockState:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            with self._lock:
                self._seen, self._state = None, TestClockState()
                return self._state
        stamp = (st.st_mtime_ns, st.st_size)
        with self._lock:
            if stamp != self._seen:
                self._state = TestClockState.model_validate(json.loads(self.path.read_text(encoding="utf-8")))
                self._seen = stamp
            return self._state

    def now(self) -> datetime:
        state = self.state()
        if state.frozen_at is not None:
            return state.frozen_at
        return self._system() + timedelta(seconds=state.offset_seconds)

    def set(self, state: TestClockState) -> None:
        """Write the new state atomically (a reader never sees half a file)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(state.model_dump_json(), encoding="utf-8")
        os.replace(tmp, self.path)

    def reset(self) -> None:
        self.path.unlink(missing_ok=True)
