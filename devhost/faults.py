"""Fault injection for the proofs (off unless configured): the host kills itself between "handled" and "deleted"."""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable

log = logging.getLogger("devhost")


class KillBeforeDelete:
    """Fault injection: counts successful queue invocations over the whole host and, at the N-th, kills the host
    (SIGKILL: no clean-up, no delete, no lease release) before that message is deleted. Off unless configured."""

    SETTING = "DEVHOST_FAULT_KILL_BEFORE_DELETE"

    def __init__(self, after: int, kill: Callable[[], None] | None = None) -> None:
        if after < 0:
            raise ValueError(f"{self.SETTING} must be a count >= 0 (0 = off)")
        self.after = after
        self.count = 0
        self._kill = kill or (lambda: os.kill(os.getpid(), signal.SIGKILL))

    @classmethod
    def from_env(cls) -> KillBeforeDelete:
        text = os.environ.get(cls.SETTING, "").strip()
        try:
            return cls(int(text) if text else 0)
        except ValueError as exc:
            raise ValueError(f"{cls.SETTING} must be a count >= 0 (0 = off), not {text!r}") from exc

    def succeeded(self, function: str, message_id: str) -> None:
        """Called after a queue invocation succeeded and before its message is deleted."""
        if not self.after:
            return
        self.count += 1
        if self.count == self.after:
            log.critical(
                "fault injection: SIGKILL after queue invocation %d (function=%s message=%s), before its delete",
                self.count,
                function,
                message_id,
            )
            for handler in logging.getLogger().handlers:
                handler.flush()
            self._kill()
