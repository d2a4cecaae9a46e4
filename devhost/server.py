"""The local host: HTTP triggers over aiohttp, queue triggers polling Azurite, timer triggers on NCRONTAB.

App settings it honours besides host.json overrides:
- `AzureWebJobs.<function>.Disabled=true` leaves that function out (no listener, no route), as on the real host;
- `DEVHOST_QUEUE_LEASE_SECONDS` how long a received message stays invisible (renewed while its function runs);
- `DEVHOST_FAULT_KILL_BEFORE_DELETE=N` (fault injection, tests only): after the N-th successful queue invocation the
  host SIGKILLs itself before deleting that message, so a crash lands exactly between "handled" and "deleted".
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import importlib
import json
import logging
import os
import re
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import azure.functions as func
from aiohttp import web
from azure.core.exceptions import ResourceExistsError
from azure.functions.queue import QueueMessage
from azure.functions.timer import TimerRequest
from azure.storage.queue import QueueClient, QueueServiceClient
from azure.storage.queue import QueueMessage as StorageMessage

from devhost.ncrontab import Schedule
from devhost.routes import RouteTable

log = logging.getLogger("devhost")
_SETTING = re.compile(r"%([A-Za-z0-9_]+)%")


def resolve_setting_expressions(value: str) -> str:
    """%NAME% binding expressions, resolved from App Settings (the environment) as the real host does."""

    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in os.environ:
            raise KeyError(f"app setting {name} is not set (binding expression %{name}%)")
        return os.environ[name]

    return _SETTING.sub(repl, value)


def _duration(text: str, default: float) -> float:
    if not text:
        return default
    h, m, s = text.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def apply_host_overrides(host: dict[str, Any]) -> dict[str, Any]:
    """App settings named AzureFunctionsJobHost__a__b override host.json's a.b, as on the real host."""
    prefix = "AzureFunctionsJobHost__"
    for key, value in os.environ.items():
        if not key.startswith(prefix):
            continue
        path = key[len(prefix):].split("__")
        node = host
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return host


@dataclass
class QueueOptions:
    batch_size: int = 16
    new_batch_threshold: int = 8
    max_dequeue_count: int = 5
    visibility_timeout: float = 0.0
    max_polling_interval: float = 2.0
    function_timeout: float = 600.0
    lease_seconds: int = 600  # how long a received message stays invisible; renewed while its function runs

    @classmethod
    def from_host_json(cls, host: dict[str, Any]) -> QueueOptions:
        q = host.get("extensions", {}).get("queues", {})
        batch = int(q.get("batchSize", 16))
        return cls(
            batch_size=batch,
            new_batch_threshold=int(q.get("newBatchThreshold", batch // 2)),
            max_dequeue_count=int(q.get("maxDequeueCount", 5)),
            visibility_timeout=_duration(q.get("visibilityTimeout", ""), 0.0),
            max_polling_interval=_duration(q.get("maxPollingInterval", ""), 60.0),
            function_timeout=_duration(host.get("functionTimeout", ""), 600.0),
            lease_seconds=int(os.environ.get("DEVHOST_QUEUE_LEASE_SECONDS", "600")),
        )


def function_disabled(name: str) -> bool:
    """`AzureWebJobs.<name>.Disabled` set to true/1 in App Settings disables a function, as on the real host."""
    return os.environ.get(f"AzureWebJobs.{name}.Disabled", "").strip().lower() in ("true", "1")


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
            log.critical("fault injection: SIGKILL after queue invocation %d (function=%s message=%s), before its "
                         "delete", self.count, function, message_id)
            for handler in logging.getLogger().handlers:
                handler.flush()
            self._kill()


class Invoker:
    """Runs user functions on a thread pool and logs one line per invocation."""

    def __init__(self, workers: int) -> None:
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fn")

    async def invoke(self, name: str, trigger: str, fn: Any, *args: Any) -> Any:
        started = time.perf_counter()
        outcome = "ok"
        try:
            result = await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)
            if isinstance(result, func.HttpResponse):
                outcome = str(result.status_code)
            return result
        except Exception:
            outcome = "failed"
            raise
        finally:
            log.info(
                "invocation function=%s trigger=%s duration_ms=%.1f outcome=%s",
                name, trigger, (time.perf_counter() - started) * 1000, outcome,
            )


class QueueListener:
    def __init__(self, name: str, fn: Any, queue: QueueClient, poison: QueueClient, opts: QueueOptions,
                 invoker: Invoker, fault: KillBeforeDelete | None = None) -> None:
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
        return list(self.queue.receive_messages(
            messages_per_page=self.opts.batch_size, max_messages=self.opts.batch_size,
            visibility_timeout=self.opts.lease_seconds,
        ))

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
                log.warning("queue %s: lease renewal of %s failed (%s)", self.queue.queue_name, message.id,
                            type(exc).__name__)
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
                    id=message.id, body=body, dequeue_count=message.dequeue_count,
                    expiration_time=message.expires_on, insertion_time=message.inserted_on,
                    time_next_visible=message.next_visible_on, pop_receipt=message.pop_receipt,
                )
                done = asyncio.Event()
                renewal = asyncio.create_task(self._keep_lease(message, done))
                try:
                    await self.invoker.invoke(self.name, "queue", self.fn, trigger_message)
                finally:
                    done.set()
                    await renewal  # a renewal under way finishes and records its pop receipt first
            except (Exception, binascii.Error) as exc:  # noqa: BLE001 - any failure is retried, then poisoned
                log.warning("function=%s message=%s dequeue_count=%s failed: %s", self.name, message.id,
                            message.dequeue_count, type(exc).__name__)
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
            self.queue.update_message(message.id, message.pop_receipt,
                                      visibility_timeout=int(self.opts.visibility_timeout))
        except Exception as exc:  # noqa: BLE001 - lease lost: the message reappears when its lease ends
            log.warning("queue %s: release of %s failed (%s)", self.queue.queue_name, message.id, type(exc).__name__)

    def _to_poison(self, message: StorageMessage) -> None:
        try:
            self.poison.create_queue()
        except ResourceExistsError:
            pass
        self.poison.send_message(message.content)
        self._delete(message)
        log.error("queue %s: message %s moved to %s after %s attempts", self.queue.queue_name, message.id,
                  self.poison.queue_name, message.dequeue_count)


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
                    service = QueueServiceClient.from_connection_string(connection)
                queue_name = resolve_setting_expressions(binding["queueName"])
                listener = QueueListener(
                    name, fn, service.get_queue_client(queue_name),
                    service.get_queue_client(f"{queue_name}-poison"), opts, self.invoker, self.fault,
                )
                self.queue_listeners.append(listener)
                self.queue_functions[name] = listener
            elif kind == "timerTrigger":
                schedule = resolve_setting_expressions(binding["schedule"])
                self.timers[name] = TimerRunner(name, fn, schedule, bool(binding.get("runOnStartup")),
                                                self.invoker)
            else:
                raise RuntimeError(f"devhost does not support trigger {kind!r} of function {name}")
            log.info("indexed function=%s trigger=%s", name, kind)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/admin/functions/") and request.method == "POST":
            return await self._admin(request, path.removeprefix("/admin/functions/"))
        if not path.startswith(f"/{self.prefix}/") and path != f"/{self.prefix}":
            return web.Response(status=404)
        found = self.routes.resolve(request.method, path[len(self.prefix) + 1:])
        if found is None:
            return web.Response(status=404)
        (name, fn), params = found
        body = await request.read()
        req = func.HttpRequest(
            method=request.method, url=str(request.url), headers=dict(request.headers),
            params={k: v for k, v in request.query.items()}, route_params=params, body=body,
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
            headers["Content-Type"] = f"{mimetype}; charset={result.charset}" if mimetype.startswith(
                ("text/", "application/json")) else mimetype
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
            message = QueueMessage(id="admin-" + str(time.time_ns()), body=data, dequeue_count=1,
                                   insertion_time=datetime.now(UTC))
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


def load_settings_file(path: Path) -> None:
    """Put local.settings.json Values into the environment; values already in the environment win."""
    if not path.exists():
        return
    values = json.loads(path.read_text()).get("Values", {})
    for key, value in values.items():
        os.environ.setdefault(key, str(value))


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
