"""A Cosmos DB stand-in of one's own: `tools/cosmos-emulator.js` started on a free port, for the tests and benchmarks
that move its clock or read its counters (the `/_emulator/` control endpoints) without touching the shared server
on 8081. The SDK client is built the way the app builds it for the local emulator (`build_cosmos_client`, the key
of local.settings.sample.json, the self-signed certificate accepted)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess  # nosec B404 - starts this checkout's emulator launcher with a fixed argument list
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from azure.cosmos import CosmosClient
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parent.parent
LAUNCHER = ROOT / "tools" / "cosmos-emulator.js"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def emulator_key() -> str:
    """The local emulator's well-known key, as the sample settings give it to the app."""
    values = json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]
    return str(values["COSMOS_KEY"])


def request_counts(endpoint: str, database: str) -> dict[tuple[str, str, str], int]:
    """Document requests the emulator at `endpoint` served for `database` since it started, by (container,
    partition-key header, operation): tools/cosmos-emulator/control.js, GET /_emulator/requests. Raises when the
    emulator predates the counters (restart it from this checkout)."""
    with httpx.Client(  # nosec B501 - the launcher's self-signed certificate, on 127.0.0.1 only
        base_url=endpoint,
        verify=False,  # noqa: S501 - the same self-signed local certificate
        timeout=30,
    ) as client:
        response = client.get("/_emulator/requests", params={"database": database})
    if response.status_code == 404:
        raise RuntimeError(f"the emulator at {endpoint} has no request counters: restart it from this checkout")
    response.raise_for_status()
    counts: dict[tuple[str, str, str], int] = {}
    for row in response.json()["requests"]:
        key = (str(row["container"]), str(row["partitionKey"]), str(row["operation"]))
        counts[key] = counts.get(key, 0) + int(row["count"])
    return counts


class PrivateCosmosEmulator:
    """`with PrivateCosmosEmulator(log_path=...) as emu:` starts the launcher and waits until it answers; leaving the
    block stops it. `sweep_ms` is how often expired items are removed; `node_args` go before the script (heap size)."""

    def __init__(self, *, log_path: Path, sweep_ms: int = 1000, node_args: tuple[str, ...] = ()) -> None:
        self.port = free_port()
        self.endpoint = f"https://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._sweep_ms = sweep_ms
        self._node_args = node_args
        self._proc: subprocess.Popen[bytes] | None = None
        self._control: httpx.Client | None = None

    def __enter__(self) -> PrivateCosmosEmulator:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self, timeout: float = 60.0) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = dict(
            os.environ,
            COSMOS_EMULATOR_PORT=str(self.port),
            COSMOS_EMULATOR_HOST="127.0.0.1",
            COSMOS_EMULATOR_SWEEP_MS=str(self._sweep_ms),
        )
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(  # nosec B603 B607 - node from PATH, fixed arguments, no shell
                ["node", *self._node_args, str(LAUNCHER)],  # noqa: S607 - node from PATH, as scripts/stack.py runs it
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while not _port_open(self.port):
            if self._proc.poll() is not None:
                raise RuntimeError(f"the emulator exited ({self._proc.returncode}): {self._log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the emulator did not answer on {self.port} within {timeout:.0f} s")
            time.sleep(0.05)
        self._control = httpx.Client(  # nosec B501 - the launcher's self-signed certificate, on 127.0.0.1 only
            base_url=self.endpoint,
            verify=False,  # noqa: S501 - the same self-signed local certificate
            timeout=30,
        )

    def stop(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)

    def _log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:] if self.log_path.exists() else ""

    def client(self, *, read_timeout_seconds: float = 5.0) -> CosmosClient:
        from core.adapters.cosmos import build_cosmos_client
        from core.settings import Settings

        settings = Settings(
            environment="local",
            cosmos_endpoint=self.endpoint,
            cosmos_key=SecretStr(emulator_key()),
            cosmos_verify_tls=False,
            cosmos_read_timeout_seconds=read_timeout_seconds,
        )
        return build_cosmos_client(settings)

    # ---- the launcher's control endpoints (tools/cosmos-emulator/control.js)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        assert self._control is not None, "the emulator is not running"
        response = self._control.request(method, path, json=body)
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    def clock(self) -> dict[str, Any]:
        return self._call("GET", "/_emulator/clock")

    def set_clock_offset(self, seconds: float) -> dict[str, Any]:
        return self._call("PUT", "/_emulator/clock", {"offsetSeconds": seconds})

    def pause_sweep(self, paused: bool) -> dict[str, Any]:
        return self._call("PUT", "/_emulator/sweep", {"paused": paused})

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "/_emulator/stats")

    def container_stats(self, database: str, container: str) -> dict[str, Any]:
        for entry in self.stats()["containers"]:
            if entry["database"] == database and entry["container"] == container:
                return dict(entry)
        raise LookupError(f"no container {database}/{container} on the emulator")
