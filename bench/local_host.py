"""The local stack of the benchmarks: scratch Cosmos DB database and queues on the running emulators, and this
checkout's function app served by the local host on a free port. Used by bench/ingest.py and bench/load.py."""

from __future__ import annotations

import json
import os
import socket
import subprocess  # nosec B404 - starts this checkout's local host
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


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
    port = free_port()
    log_path = ROOT / ".local" / "logs" / f"{log_name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "devhost", "--port", str(port), *(["--app", app] if app else [])]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, cwd=ROOT, env=os.environ.copy(),  # nosec B603 - fixed argv, no shell
                                stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            sys.exit(f"the local host exited: see {log_path}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return proc, url, log_path
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            stop_host(proc)
            sys.exit(f"the local host did not answer within 60 s: see {log_path}")
        time.sleep(0.2)


def stop_host(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
