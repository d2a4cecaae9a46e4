"""Opt-in CPU accounting and profiling of function invocations, for the benchmarks (never on by default).

With `DEVHOST_CPU_ACCOUNTING=1` the host measures each invocation's thread CPU time (`time.thread_time_ns`, the CPU
the worker thread spent in the function, not wall time) and wall time, and serves the totals per function:

    GET  /admin/cpu                    {"processCpuNs": .., "functions": {name: {"invocations", "cpuNs", "wallNs"}}}
    POST /admin/profile/start          {"functions": [names]}: cProfile those functions' invocations from now on
    POST /admin/profile/stop           writes <DEVHOST_PROFILE_DIR>/<function>.pstats, answers {"written": [paths]}

`processCpuNs` is the host process's own CPU counter (user + system, all threads), so what the functions did not
use is the host's share: HTTP parsing, queue polling and deletes. Without the setting these paths answer 404.
cProfile hooks one thread at a time, so each pool thread gets its own profiler per function; they are merged on stop.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

ENABLED_SETTING = "DEVHOST_CPU_ACCOUNTING"
PROFILE_DIR_SETTING = "DEVHOST_PROFILE_DIR"


class CpuAccounting:
    def __init__(self, *, enabled: bool, profile_dir: Path) -> None:
        self.enabled = enabled
        self.profile_dir = profile_dir
        self._lock = threading.Lock()
        self._totals: dict[str, list[int]] = {}  # name -> [invocations, cpu ns, wall ns]
        self._profiling: frozenset[str] = frozenset()
        self._profiles: dict[tuple[str, int], cProfile.Profile] = {}

    @classmethod
    def from_env(cls) -> CpuAccounting:
        enabled = os.environ.get(ENABLED_SETTING, "").strip().lower() in ("1", "true")
        return cls(enabled=enabled, profile_dir=Path(os.environ.get(PROFILE_DIR_SETTING, ".local/bench/profiles")))

    def run(self, name: str, fn: Callable[..., Any], *args: Any) -> Any:
        """Call fn(*args) on this (pool) thread, counting its CPU and wall time under `name` when enabled."""
        if not self.enabled:
            return fn(*args)
        profile = self._profile(name) if name in self._profiling else None
        cpu0, wall0 = time.thread_time_ns(), time.perf_counter_ns()
        if profile is not None:
            profile.enable()
        try:
            return fn(*args)
        finally:
            if profile is not None:
                profile.disable()
            cpu, wall = time.thread_time_ns() - cpu0, time.perf_counter_ns() - wall0
            with self._lock:
                entry = self._totals.setdefault(name, [0, 0, 0])
                entry[0] += 1
                entry[1] += cpu
                entry[2] += wall

    def _profile(self, name: str) -> cProfile.Profile:
        key = (name, threading.get_ident())
        with self._lock:
            if key not in self._profiles:
                self._profiles[key] = cProfile.Profile(time.thread_time)  # CPU, not wall time
            return self._profiles[key]

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            functions = {n: {"invocations": v[0], "cpuNs": v[1], "wallNs": v[2]} for n, v in self._totals.items()}
        return {"processCpuNs": time.process_time_ns(), "functions": functions}

    def start_profile(self, names: list[str]) -> None:
        with self._lock:
            self._profiles.clear()
            self._profiling = frozenset(names)

    def stop_profile(self) -> list[str]:
        with self._lock:
            profiles, self._profiles, self._profiling = dict(self._profiles), {}, frozenset()
        self.profile_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for name in sorted({n for n, _ in profiles}):
            parts = [p for (n, _), p in profiles.items() if n == name]
            stats = pstats.Stats(parts[0])
            for extra in parts[1:]:
                stats.add(extra)
            path = self.profile_dir / f"{name}.pstats"
            stats.dump_stats(str(path))
            written.append(str(path))
        return written

    async def handle(self, request: web.Request) -> web.Response | None:
        """Answer the /admin/cpu and /admin/profile/* paths (404 when accounting is off); None for other paths."""
        path, method = request.path, request.method
        if path not in ("/admin/cpu", "/admin/profile/start", "/admin/profile/stop"):
            return None
        if not self.enabled:
            return web.Response(status=404)
        if path == "/admin/cpu" and method == "GET":
            return web.json_response(self.snapshot())
        if path == "/admin/profile/start" and method == "POST":
            try:
                names = json.loads(await request.read() or b"{}").get("functions", [])
            except (ValueError, AttributeError):
                return web.Response(status=400, text='body must be JSON: {"functions": [names]}')
            self.start_profile([str(n) for n in names])
            return web.Response(status=204)
        if path == "/admin/profile/stop" and method == "POST":
            return web.json_response({"written": self.stop_profile()})
        return web.Response(status=405)
