"""Timer triggers on NCRONTAB schedules (six fields, UTC), with runOnStartup."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from azure.functions.timer import TimerRequest

from devhost.invoker import Invoker
from devhost.ncrontab import Schedule

log = logging.getLogger("devhost")


class TimerRunner:
    def __init__(self, name: str, fn: Any, schedule: str, run_on_startup: bool, invoker: Invoker) -> None:
        self.name, self.fn, self.invoker = name, fn, invoker
        self.schedule = Schedule.parse(schedule)
        self.run_on_startup = run_on_startup
        self._stopping = False

    def stop(self) -> None:
        self._stopping = True

    async def fire(self, past_due: bool = False) -> None:
        request = TimerRequest(past_due=past_due)
        try:
            await self.invoker.invoke(self.name, "timer", self.fn, request)
        except Exception:
            log.exception("timer %s failed", self.name)

    async def run(self) -> None:
        if self.run_on_startup:
            await self.fire()
        while not self._stopping:
            now = datetime.now(UTC)
            due = self.schedule.next_after(now)
            while not self._stopping and datetime.now(UTC) < due:
                await asyncio.sleep(min(1.0, (due - datetime.now(UTC)).total_seconds()))
            if not self._stopping:
                await self.fire()
