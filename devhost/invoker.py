"""Runs user functions off the event loop and logs one line per invocation, as the host's invocation log does."""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import azure.functions as func

from devhost.cpu import CpuAccounting

log = logging.getLogger("devhost")


class Invoker:
    """Runs user functions on a thread pool and logs one line per invocation."""

    def __init__(self, workers: int) -> None:
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fn")
        self.cpu = CpuAccounting.from_env()  # opt-in (DEVHOST_CPU_ACCOUNTING): CPU time per function

    async def invoke(self, name: str, trigger: str, fn: Any, *args: Any) -> Any:
        started = time.perf_counter()
        outcome = "ok"
        try:
            result = await asyncio.get_running_loop().run_in_executor(self.pool, self.cpu.run, name, fn, *args)
            if isinstance(result, func.HttpResponse):
                outcome = str(result.status_code)
            return result
        except Exception:
            outcome = "failed"
            raise
        finally:
            log.info(
                "invocation function=%s trigger=%s duration_ms=%.1f outcome=%s",
                name,
                trigger,
                (time.perf_counter() - started) * 1000,
                outcome,
            )
