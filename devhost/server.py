"""The local host: indexes the app's functions and serves HTTP triggers over aiohttp; queue triggers live in
`devhost/queues.py`, timers in `devhost/timers.py`, configuration in `devhost/config.py`, fault injection in
`devhost/faults.py`.

App settings it honours besides host.json overrides:
- `AzureWebJobs.<function>.Disabled=true` leaves that function out (no listener, no route), as on the real host;
- `DEVHOST_QUEUE_LEASE_SECONDS` how long a received message stays invisible (renewed while its function runs);
- `DEVHOST_CPU_ACCOUNTING=1` (benchmarks): CPU time per function on `GET /admin/cpu`, cProfile on demand
  (`devhost/cpu.py`);
- `DEVHOST_FAULT_KILL_BEFORE_DELETE=N` (fault injection, tests only): after the N-th successful queue invocation the
  host SIGKILLs itself before deleting that message, so a crash lands exactly between "handled" and "deleted".
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import os
import signal
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import azure.functions as func
from aiohttp import web
from azure.functions.queue import QueueMessage
from azure.storage.queue import QueueServiceClient

from core.adapters.transport import http_transport
from devhost.config import QueueOptions, apply_host_overrides, function_disabled, resolve_setting_expressions
from devhost.faults import KillBeforeDelete
from devhost.invoker import Invoker
from devhost.queues import QueueListener
from devhost.routes import RouteTable
from devhost.timers import TimerRunner

log = logging.getLogger("devhost")


class Host:
    def __init__(self, app_module: str, root: Path) -> None:
        self.root = root
        self.host_json: dict[str, Any] = apply_host_overrides(json.loads((root / "host.json").read_text()))
        self.prefix = self.host_json.get("extensions", {}).get("http", {}).get("routePrefix", "api").strip("/")
        self.invoker = Invoker(workers=int(os.environ.get("PYTHON_THREADPOOL_THREAD_COUNT", "16")))
        self.routes = RouteTable()
        self.queue_listeners: list[QueueListener] = []
        self.timers: dict[str, TimerRunner] = {}
        self.queue_functions: dict[str, QueueListener] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._admin_runs: set[asyncio.Task[Any]] = set()
        self.fault = KillBeforeDelete.from_env()
        if self.fault.after:
            log.warning("fault injection armed: SIGKILL after queue invocation %d, before its delete", self.fault.after)
        module = importlib.import_module(app_module)
        self._index(module.app)

    def _index(self, app: func.FunctionApp) -> None:
        opts = QueueOptions.from_host_json(self.host_json)
        service: QueueServiceClient | None = None
        for function in app.get_functions():
            name = str(function.get_function_name())
            if function_disabled(name):
                log.info("function=%s disabled by app setting AzureWebJobs.%s.Disabled", name, name)
                continue
            fn = function.get_user_function()
            trigger = function.get_trigger()
            binding = trigger.get_dict_repr() if trigger is not None else {}
            kind = binding.get("type")
            if kind == "httpTrigger":
                route = str(binding.get("route") or name)
                self.routes.add(route, binding.get("methods"), (name, fn))
            elif kind == "queueTrigger":
                connection = os.environ[binding.get("connection") or "AzureWebJobsStorage"]
                if service is None:
                    # the app's transport (core/adapters/transport.py): without it every poll and delete scanned
                    # the environment for proxies, a cost the Functions host's own polling does not have
                    transport, verify = http_transport()
                    service = QueueServiceClient.from_connection_string(
                        connection, transport=transport, connection_verify=verify
                    )
                queue_name = resolve_setting_expressions(binding["queueName"])
                listener = QueueListener(
                    name,
                    fn,
                    service.get_queue_client(queue_name),
                    service.get_queue_client(f"{queue_name}-poison"),
                    opts,
                    self.invoker,
                    self.fault,
                )
                self.queue_listeners.append(listener)
                self.queue_functions[name] = listener
            elif kind == "timerTrigger":
                schedule = resolve_setting_expressions(binding["schedule"])
                self.timers[name] = TimerRunner(name, fn, schedule, bool(binding.get("runOnStartup")), self.invoker)
            else:
                raise RuntimeError(f"devhost does not support trigger {kind!r} of function {name}")
            log.info("indexed function=%s trigger=%s", name, kind)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith(("/admin/cpu", "/admin/profile/")):
            answer = await self.invoker.cpu.handle(request)
            if answer is not None:
                return answer
        if path.startswith("/admin/functions/") and request.method == "POST":
            return await self._admin(request, path.removeprefix("/admin/functions/"))
        if not path.startswith(f"/{self.prefix}/") and path != f"/{self.prefix}":
            return web.Response(status=404)
        found = self.routes.resolve(request.method, path[len(self.prefix) + 1 :])
        if found is None:
            return web.Response(status=404)
        (name, fn), params = found
        body = await request.read()
        req = func.HttpRequest(
            method=request.method,
            url=str(request.url),
            headers=dict(request.headers),
            params={k: v for k, v in request.query.items()},
            route_params=params,
            body=body,
        )
        try:
            result = await self.invoker.invoke(name, "http", fn, req)
        except Exception:
            log.exception("function %s raised", name)
            return web.Response(status=500)
        return self._to_response(result)

    @staticmethod
    def _to_response(result: Any) -> web.Response:
        if not isinstance(result, func.HttpResponse):
            return web.Response(status=500)
        headers = {k: v for k, v in result.headers.items()}
        if not any(k.lower() == "content-type" for k in headers):
            mimetype = result.mimetype or "text/plain"
            headers["Content-Type"] = (
                f"{mimetype}; charset={result.charset}"
                if mimetype.startswith(("text/", "application/json"))
                else mimetype
            )
        return web.Response(status=result.status_code, body=result.get_body(), headers=headers)

    async def _admin(self, request: web.Request, name: str) -> web.Response:
        payload: dict[str, Any] = {}
        raw = await request.read()
        if raw:
            try:
                payload = json.loads(raw)
            except ValueError:
                return web.Response(status=400, text="body must be JSON")
        if name in self.timers:
            self._spawn(self.timers[name].fire())
            return web.Response(status=202)
        if name in self.queue_functions:
            listener = self.queue_functions[name]
            data = str(payload.get("input", "")).encode()
            message = QueueMessage(
                id="admin-" + str(time.time_ns()), body=data, dequeue_count=1, insertion_time=datetime.now(UTC)
            )
            self._spawn(self.invoker.invoke(name, "queue", listener.fn, message))
            return web.Response(status=202)
        return web.Response(status=404)

    def _spawn(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self._admin_runs.add(task)
        task.add_done_callback(self._admin_runs.discard)

    async def start_background(self) -> None:
        for listener in self.queue_listeners:
            self._tasks.append(asyncio.create_task(listener.run()))
        for timer in self.timers.values():
            self._tasks.append(asyncio.create_task(timer.run()))

    async def stop_background(self) -> None:
        for listener in self.queue_listeners:
            listener.stop()
        for timer in self.timers.values():
            timer.stop()
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def serve(app_module: str, root: Path, host: str, port: int) -> None:
    runner_host = Host(app_module, root)
    web_app = web.Application(client_max_size=100 * 1024 * 1024)
    web_app.router.add_route("*", "/{tail:.*}", runner_host.handle)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    await site.start()
    await runner_host.start_background()
    log.info("devhost listening on http://%s:%d/%s", host, port, runner_host.prefix)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("devhost stopping")
    await runner_host.stop_background()
    await runner.cleanup()
    runner_host.invoker.pool.shutdown(wait=True, cancel_futures=True)
