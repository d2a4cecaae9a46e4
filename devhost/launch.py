"""Start this checkout's local host as a child process and wait until it answers: the one way the tests, the proofs
and the benchmarks run a host of their own (each with its own port, environment and log file)."""

from __future__ import annotations

import socket
import subprocess  # nosec B404 - starts this checkout's local host with a fixed argv
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


class HostDidNotStart(RuntimeError):
    """The host exited, or did not answer within the time allowed; the message ends with its log's tail."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class LocalHost:
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api(self) -> str:
        return f"{self.base}/api"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_until_answering(self, *, path: str = "/api/health", timeout: float = 60.0) -> None:
        """Poll `path` until it answers 200; raise HostDidNotStart if the process exits or time runs out."""
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise HostDidNotStart(f"the local host exited ({self.proc.returncode}): {self.log()[-3000:]}")
            try:
                if httpx.get(f"{self.base}{path}", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise HostDidNotStart(
                    f"the local host did not answer {path} within {timeout:.0f} s: {self.log()[-3000:]}"
                )
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def start_local_host(
    *, log_path: Path, env: Mapping[str, str], port: int | None = None, extra_args: Sequence[str] = ()
) -> LocalHost:
    """Start `python -m devhost` in this checkout with `env` (the whole environment of the child), its output in
    `log_path`. It does not wait: call `wait_until_answering` (tests may need to do something first)."""
    port = port or free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "devhost", "--port", str(port), *extra_args]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=dict(env),  # nosec B603 - fixed argv, no shell
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    return LocalHost(proc, port, log_path)
