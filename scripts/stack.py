"""Start, reuse and stop the local emulators: Azurite, the Cosmos DB server, localstripe and an SMTP server.

python -m scripts.stack up [--record FILE]    start what is not already answering; FILE lists what this call started
python -m scripts.stack down [--only FILE]    stop what `up` started (all, or only the services named in FILE)
python -m scripts.stack status
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess  # nosec B404 - starts the fixed emulator commands listed below
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local"
RUN = LOCAL / "run"
LOGS = LOCAL / "logs"
PY = sys.executable


@dataclass(frozen=True)
class Service:
    name: str
    ports: tuple[int, ...]
    command: tuple[str, ...]
    url: str


SERVICES: tuple[Service, ...] = (
    Service(
        "azurite",
        (10000, 10001, 10002),
        (
            str(ROOT / "node_modules/.bin/azurite"),
            "--silent",
            "--disableTelemetry",
            "--skipApiVersionCheck",
            "--location",
            str(LOCAL / "azurite"),
            "--blobHost",
            "127.0.0.1",
            "--queueHost",
            "127.0.0.1",
            "--tableHost",
            "127.0.0.1",
        ),
        "blob http://127.0.0.1:10000, queue http://127.0.0.1:10001, table http://127.0.0.1:10002",
    ),
    Service("cosmos", (8081,), ("node", str(ROOT / "tools/cosmos-emulator.js")), "https://127.0.0.1:8081"),
    Service(
        "localstripe", (8420,), (PY, "-m", "localstripe", "--port", "8420", "--from-scratch"), "http://127.0.0.1:8420"
    ),
    Service(
        "smtp",
        (1025,),
        (PY, "-m", "scripts.smtp_server", "--port", "1025", "--maildir", str(LOCAL / "mail")),
        "smtp://127.0.0.1:1025 (messages in .local/mail)",
    ),
)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


def _pid_file(svc: Service) -> Path:
    return RUN / f"{svc.name}.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def up(record: Path | None) -> int:
    RUN.mkdir(parents=True, exist_ok=True)
    LOGS.mkdir(parents=True, exist_ok=True)
    (LOCAL / "azurite").mkdir(parents=True, exist_ok=True)
    started: list[str] = []
    for svc in SERVICES:
        if all(port_open(p) for p in svc.ports):
            print(f"  {svc.name:12} reused      {svc.url}")
            continue
        if any(port_open(p) for p in svc.ports):
            print(f"  {svc.name:12} a port of {svc.ports} is taken by something else; stop it first", file=sys.stderr)
            return 1
        log = open(LOGS / f"{svc.name}.log", "ab")  # noqa: SIM115 - handed to the child process
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        proc = subprocess.Popen(  # nosec B603 - fixed argv from SERVICES, no shell
            svc.command,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
        )
        _pid_file(svc).write_text(str(proc.pid))
        started.append(svc.name)
        deadline = time.monotonic() + 90
        while not all(port_open(p) for p in svc.ports):
            if proc.poll() is not None:
                print(f"  {svc.name:12} exited with {proc.returncode}; see .local/logs/{svc.name}.log", file=sys.stderr)
                return 1
            if time.monotonic() > deadline:
                print(f"  {svc.name:12} did not answer within 90 s", file=sys.stderr)
                return 1
            time.sleep(0.1)
        print(f"  {svc.name:12} started     {svc.url}")
    if record is not None:
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps(started))
    return 0


def _stop(svc: Service) -> None:
    pid_file = _pid_file(svc)
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text().strip() or 0)
    if pid and _alive(pid):
        try:
            os.killpg(pid, signal.SIGTERM)
        except OSError:
            pass
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        print(f"  {svc.name:12} stopped")
    pid_file.unlink(missing_ok=True)


def down(only: Path | None) -> int:
    names = {s.name for s in SERVICES}
    if only is not None:
        names = set(json.loads(only.read_text())) if only.exists() else set()
    for svc in SERVICES:
        if svc.name in names:
            _stop(svc)
    return 0


def status() -> int:
    for svc in SERVICES:
        state = "up" if all(port_open(p) for p in svc.ports) else "down"
        print(f"  {svc.name:12} {state:5} {svc.url}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.stack")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_up = sub.add_parser("up")
    p_up.add_argument("--record", type=Path)
    p_down = sub.add_parser("down")
    p_down.add_argument("--only", type=Path)
    sub.add_parser("status")
    args = parser.parse_args()
    if args.cmd == "up":
        return up(args.record)
    if args.cmd == "down":
        return down(args.only)
    return status()


if __name__ == "__main__":
    sys.exit(main())
