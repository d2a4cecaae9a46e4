"""The local stack of the benchmarks: a scratch Cosmos DB database and queues on the running emulators, and this
checkout's function app served by the local host on a free port, either bench/ingest_app.py (the product's app plus
the naive baseline and the host's backend-request counters) or the product's app alone."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess  # nosec B404 - the local host's process handle
import sys
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.lib.measure import NAIVE_CONTAINER
from devhost.launch import HostDidNotStart, free_port, start_local_host

__all__ = [
    "Stack",
    "create_scratch_database",
    "free_port",
    "sample_settings_into_env",
    "scratch_database",
    "scratch_settings",
    "start_host",
    "start_stack",
    "stop_host",
    "stop_stack",
]

ROOT = Path(__file__).resolve().parents[2]


def _load_settings_into_env() -> None:
    path = ROOT / "local.settings.json"
    sample = json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]
    values = json.loads(path.read_text())["Values"] if path.exists() else {}
    for key, value in {**sample, **values}.items():
        os.environ.setdefault(key, str(value))


def sample_settings_into_env() -> None:
    """The values of local.settings.sample.json (the local emulators) as defaults of this process's environment."""
    for key, value in json.loads((ROOT / "local.settings.sample.json").read_text())["Values"].items():
        os.environ.setdefault(key, str(value))


def scratch_settings(tag: str) -> tuple[Any, str]:
    """Check the emulators answer, point this process at a database `<tag>-<suffix>` and queues
    `<queue>-<tag>-<suffix>`, provision them, and answer (Settings, suffix)."""
    for name, port in {"Azurite": 10001, "Cosmos DB": 8081}.items():
        with socket.socket() as s:
            s.settimeout(0.3)
            if s.connect_ex(("127.0.0.1", port)) != 0:
                sys.exit(f"{name} is not running: start the emulators with `python -m scripts.stack up`")
    _load_settings_into_env()
    from core import schema
    from core.settings import Settings
    from scripts import dev_issuer
    from scripts.provision import provision

    suffix = uuid.uuid4().hex[:8]
    os.environ["COSMOS_DATABASE"] = f"{tag}-{suffix}"
    for q in schema.QUEUES:
        os.environ[q.setting] = f"{q.default_name}-{tag}-{suffix}"
    os.environ["AzureFunctionsJobHost__extensions__queues__maxPollingInterval"] = "00:00:00.2"
    os.environ["AUTH_JWKS_URI"] = f"file:{ROOT / '.local/dev-issuer/jwks.json'}"
    dev_issuer.ensure_keys()
    settings = Settings()
    provision(settings)
    return settings, suffix


def start_host(log_name: str, *, app: str | None = None) -> tuple[subprocess.Popen[bytes], str, Path]:
    """Start the local host (with this process's environment) and wait until /api/health answers: (process, API
    base URL, log path). Exits with a message if it dies or does not answer within 60 s."""
    host = start_local_host(
        log_path=ROOT / ".local" / "logs" / f"{log_name}.log", env=os.environ, extra_args=["--app", app] if app else []
    )
    try:
        host.wait_until_answering(timeout=60)
    except HostDidNotStart:
        sys.exit(f"the local host did not start: see {host.log_path}")
    return host.proc, host.api, host.log_path


def stop_host(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def peak_rss_mb(proc: subprocess.Popen[bytes]) -> float | None:
    """The highest resident memory the local host's process has had so far (Linux VmHWM), in MB; None elsewhere or
    once it has exited. The local host is one Python process running the product's app (as the Python worker does in
    Azure) plus the small devhost front, so this is an upper bound of the worker's own memory."""
    try:
        status = Path(f"/proc/{proc.pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    return None


def create_scratch_database(client: Any, name: str) -> Any:
    """A database `name` with every container of core/schema.py, on the Cosmos DB client given."""
    from azure.cosmos import PartitionKey

    from core import schema

    database = client.create_database_if_not_exists(name)
    for spec in schema.CONTAINERS:
        database.create_container_if_not_exists(id=spec.name, partition_key=PartitionKey(path=spec.partition_key))
    return database


def scratch_database(tag: str) -> tuple[Any, Any, Any]:
    """A database `<tag>-<random>` with every container on the Cosmos DB emulator (settings from the environment,
    else local.settings.sample.json), without queues or host: (Settings, Cosmos DB client, database). The caller
    deletes it: `client.delete_database(settings.cosmos_database)`."""
    sample_settings_into_env()
    os.environ["COSMOS_DATABASE"] = f"{tag}-{uuid.uuid4().hex[:8]}"
    from core.adapters.cosmos import build_cosmos_client
    from core.settings import Settings

    settings = Settings()
    client = build_cosmos_client(settings)
    return settings, client, create_scratch_database(client, settings.cosmos_database)


@dataclass
class Stack:
    url: str
    proc: subprocess.Popen[bytes]
    settings: Any
    database: Any
    naive_queue: str | None  # bench/ingest_app.py's baseline queue; None when the host serves the product's app alone
    log_path: Path


def start_stack(tag: str = "bench", *, bench_app: bool = True) -> Stack:
    """Scratch settings (`scratch_settings(tag)`) and a local host logging to .local/logs/devhost-<tag>-<suffix>.log,
    serving bench/ingest_app.py (with its baseline's container and queue) or, without `bench_app`, the product's app."""
    settings, suffix = scratch_settings(tag)
    from core.adapters.cosmos import build_cosmos_client

    database = build_cosmos_client(settings).get_database_client(settings.cosmos_database)
    naive_queue = None
    if bench_app:
        from azure.cosmos import PartitionKey

        from core.adapters.queues import build_queue_service

        naive_queue = f"bench-naive-{suffix}"
        os.environ["BENCH_NAIVE_QUEUE"] = naive_queue  # the host polls it even when the baseline is idle
        database.create_container_if_not_exists(id=NAIVE_CONTAINER, partition_key=PartitionKey(path="/accountId"))
        build_queue_service(settings).create_queue(naive_queue)
    proc, url, log_path = start_host(f"devhost-{tag}-{suffix}", app="bench.ingest_app" if bench_app else None)
    return Stack(url, proc, settings, database, naive_queue, log_path)


def stop_stack(stack: Stack) -> None:
    """Stop the host, drop the scratch database and queues (and the baseline's queue)."""
    stop_host(stack.proc)
    from core.adapters.queues import build_queue_service
    from scripts.provision import drop

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the emulator's self-signed certificate
        drop(stack.settings)
    if stack.naive_queue:
        with contextlib.suppress(Exception):  # best effort clean-up
            build_queue_service(stack.settings).delete_queue(stack.naive_queue)
