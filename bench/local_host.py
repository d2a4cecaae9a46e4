"""The local stack of the benchmarks: scratch Cosmos DB database and queues on the running emulators, and this
checkout's function app served by the local host on a free port. Used by bench/ingest.py and bench/load.py."""

from __future__ import annotations

import json
import os
import socket
import subprocess  # nosec B404 - the local host's process handle
import sys
import uuid
from pathlib import Path
from typing import Any

from devhost.launch import HostDidNotStart, free_port, start_local_host

__all__ = ["free_port", "scratch_settings", "start_host", "stop_host"]

ROOT = Path(__file__).resolve().parents[1]


def _load_settings_into_env() -> None:
    path = ROOT / "local.settings.json"
    sample = json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]
    values = json.loads(path.read_text())["Values"] if path.exists() else {}
    for key, value in {**sample, **values}.items():
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
