"""Row 4 of issue 9: a dedicated Azurite, Cosmos DB server and devhost per scenario (the shared emulators are never
stopped), an outage of one of them in the middle of a bounded ingest loop, and the check that every accepted ping
is stored.

Azurite is stopped for real (SIGTERM, process gone) and started again on the same ports with the same --location,
so what survives is what it wrote to disk. The Cosmos DB server keeps its data in memory only, so a real stop would
wipe the database: it is frozen with SIGSTOP and thawed with SIGCONT; a frozen server accepts TCP connections and
never answers, the harder case for client timeouts (a refused connection fails at once).

A receive that Azurite handles while it stops (it marks the messages invisible for the receive's lease and saves
that on exit) may never send its answer: the host never sees those messages, and they come back only when the lease
ends. The real host's receive lease is 10 minutes (the devhost's default, DEVHOST_QUEUE_LEASE_SECONDS=600), longer
than this test can wait, so the Azurite scenario runs its devhost with a LEASE_SECONDS lease (renewed every half
lease while a function runs, as always). While Azurite is stopped the test reads the queue store Azurite saved on
exit (its LokiJS file and extents) and records which accepted pings were in the queue, which of those were under a
lease with no ping stored (a receive answer lost in the stop) and which acknowledged pings are absent from it.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess  # nosec B404 - starts the fixed emulator and host commands below
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import httpx
from azure.core.exceptions import ResourceNotFoundError

from core import schema
from core.adapters.cosmos import build_cosmos_client
from core.adapters.cosmos_tracking import ping_partition
from core.adapters.queues import build_queue_service
from core.settings import Settings
from devhost.launch import start_local_host
from scripts import dev_issuer
from tests.helpers import wait_for
from tests.integration.conftest import User, add_member, register_owner
from tests.integration.tracking_helpers import iso, set_location_consent

ROOT = Path(__file__).resolve().parents[2]
OUTAGE_SECONDS = 30.0
BEFORE_SECONDS = 5.0
AFTER_SECONDS = 8.0
BATCH_PINGS = 5
BATCH_INTERVAL = 0.25  # seconds between batch starts while the services answer
MAX_BATCHES = 400
BURST_BATCHES = 4  # sent back to back just before the stop
CLIENT_TIMEOUT = 60.0  # the test's own patience; an ingest call that reaches it counts as a hang
ALL_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
LEASE_SECONDS = 20  # the Azurite scenario's receive lease (the host's is 10 min): see the module docstring
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

Kind = Literal["cosmos", "azurite"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _local_values() -> dict[str, str]:
    path = ROOT / "local.settings.json"
    if not path.exists():
        path = ROOT / "local.settings.sample.json"
    return {k: str(v) for k, v in json.loads(path.read_text())["Values"].items()}


@dataclass
class Call:
    started: float
    ended: float
    status: int  # 0: no answer within CLIENT_TIMEOUT or the connection failed
    ids: list[str]
    day: str = ""
    accepted: int = 0
    problem_json: bool = False
    retry_after: str | None = None
    detail: str = ""  # the answer's body when it is not a plain full acceptance


@dataclass
class QueuedAtStop:
    """One message of the pings queue in the store Azurite saved when it stopped."""

    message_id: str
    dequeue_count: int
    invisible_for: float  # seconds after the stop until it is visible again; <= 0: visible
    ping_ids: set[str]


@dataclass
class OutageRun:
    kind: Kind
    calls: list[Call] = field(default_factory=list)
    sigterm_at: float = 0.0
    stopped_at: float = 0.0
    restarted_at: float = 0.0
    accepted_ids: set[str] = field(default_factory=set)
    stored_ids: set[str] = field(default_factory=set)
    burst_ids: set[str] = field(default_factory=set)
    poisoned: int = 0
    writer_failures: int = 0  # failed write_pings deliveries in the host log (retried by the queue)
    flush_marker_survived: bool | None = None  # Azurite only: a message sent just before SIGTERM is there after
    azurite_exit_seconds: float | None = None
    host_log_tail: str = ""
    queued_at_stop: list[QueuedAtStop] | None = None  # Azurite only; None: its saved store could not be read
    stored_before_restart: set[str] = field(default_factory=set)  # Azurite only: in Cosmos DB just before restart

    def orphaned_lease_ids(self) -> set[str]:
        """Pings of messages under a lease at the stop none of whose pings was stored while Azurite was down: a
        receive whose answer never reached the host (a message being handled at the stop is stored meanwhile)."""
        out: set[str] = set()
        for m in self.queued_at_stop or []:
            if m.dequeue_count and m.invisible_for > 0 and not m.ping_ids & self.stored_before_restart:
                out |= m.ping_ids & self.accepted_ids
        return out

    def not_kept_by_azurite(self) -> set[str]:
        """Pings acknowledged (202) before the SIGTERM that are neither stored before the restart nor in the queue
        store Azurite saved: a message Azurite acknowledged and then dropped (empty when the store was not read)."""
        if self.queued_at_stop is None:
            return set()
        before = {
            i
            for c in self.calls
            if c.ended < self.sigterm_at and c.status == 202 and c.accepted == len(c.ids)
            for i in c.ids
        }
        return before - self.stored_before_restart - {i for m in self.queued_at_stop for i in m.ping_ids}

    def loss_report(self) -> list[str]:
        """For each call with accepted pings that were never stored: when it ran and where its pings were."""
        lost = self.accepted_ids - self.stored_ids
        by_ping = {i: m for m in self.queued_at_stop or [] for i in m.ping_ids}
        lines: list[str] = []
        for c in self.calls:
            gone = lost & set(c.ids)
            if not gone:
                continue
            when = (
                f"call {c.started - self.sigterm_at:+.2f}..{c.ended - self.sigterm_at:+.2f} s from SIGTERM, "
                f"status {c.status}, {len(gone)}/{len(c.ids)} pings lost: "
            )
            m = next((by_ping[i] for i in gone if i in by_ping), None)
            if c.started > self.restarted_at:
                where = "accepted after the restart"
            elif self.queued_at_stop is None:
                where = "Azurite's saved store not read"
            elif m is None:
                where = "NOT in Azurite's store saved at the stop although acknowledged " + (
                    "before the SIGTERM" if c.ended < self.sigterm_at else "around the stop"
                )
            else:
                lease = f"under a lease for {m.invisible_for:.0f} s more" if m.invisible_for > 0 else "visible"
                where = (
                    f"in Azurite's store at the stop, message {m.message_id} dequeued {m.dequeue_count} time(s), "
                    f"{lease}"
                )
            lines.append(when + where)
        return lines

    def during(self) -> list[Call]:
        """Calls that overlapped the outage."""
        return [c for c in self.calls if c.ended >= self.stopped_at and c.started <= self.restarted_at]

    def statuses(self, calls: list[Call]) -> dict[int, int]:
        out: dict[int, int] = {}
        for c in calls:
            out[c.status] = out.get(c.status, 0) + 1
        return out


class DedicatedStack:
    """Azurite + Cosmos DB server + devhost on free ports, used by one scenario only."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.suffix = uuid.uuid4().hex[:8]
        self.dir = ROOT / ".local" / "proof-outage" / f"{name}-{self.suffix}"
        self.azurite_dir = self.dir / "azurite"
        self.blob_port, self.queue_port, self.table_port = _free_port(), _free_port(), _free_port()
        self.cosmos_port = _free_port()
        self.host_port = _free_port()
        self.log_path = ROOT / ".local" / "logs" / f"devhost-proof-outage-{name}-{self.suffix}.log"
        self.azurite: subprocess.Popen[bytes] | None = None
        self.cosmos: subprocess.Popen[bytes] | None = None
        self.host: subprocess.Popen[bytes] | None = None
        values = _local_values()
        storage = (
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
            "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
            f"BlobEndpoint=http://127.0.0.1:{self.blob_port}/devstoreaccount1;"
            f"QueueEndpoint=http://127.0.0.1:{self.queue_port}/devstoreaccount1;"
            f"TableEndpoint=http://127.0.0.1:{self.table_port}/devstoreaccount1;"
        )
        values.update(
            {
                "AzureWebJobsStorage": storage,
                "COSMOS_ENDPOINT": f"https://127.0.0.1:{self.cosmos_port}",
                "COSMOS_DATABASE": f"proof-outage-{self.suffix}",
                "AUTH_JWKS_URI": f"file:{ROOT / '.local/dev-issuer/jwks.json'}",
            }
        )
        # scripts.provision names the queues from the environment (or the defaults): use the same names.
        for q in schema.QUEUES:
            values[q.setting] = os.environ.get(q.setting, q.default_name)
        self.values = values
        self.settings = Settings(**values)  # type: ignore[arg-type]  # by alias, as the host reads them
        self.pings_queue = values[schema.LOCATION_PINGS_QUEUE.setting]
        self.host_env: dict[str, str] = {}  # extra devhost settings of this scenario

    # ---- processes
    def _azurite_argv(self) -> list[str]:
        return [
            str(ROOT / "node_modules/.bin/azurite"),
            "--silent",
            "--disableTelemetry",
            "--skipApiVersionCheck",
            "--location",
            str(self.azurite_dir),
            "--blobHost",
            "127.0.0.1",
            "--queueHost",
            "127.0.0.1",
            "--tableHost",
            "127.0.0.1",
            "--blobPort",
            str(self.blob_port),
            "--queuePort",
            str(self.queue_port),
            "--tablePort",
            str(self.table_port),
        ]

    def start_azurite(self) -> None:
        self.azurite_dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / "azurite.log", "ab") as log:
            self.azurite = subprocess.Popen(
                self._azurite_argv(),
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        proc = self.azurite
        ports = (self.blob_port, self.queue_port, self.table_port)

        def up() -> bool:
            assert proc.poll() is None, f"azurite exited: {(self.dir / 'azurite.log').read_text()[-2000:]}"
            return all(_port_open(p) for p in ports)

        wait_for(up, timeout=60, interval=0.1, what=f"azurite on {ports}")

    def stop_azurite(self) -> float:
        """SIGTERM and wait until the process is gone; returns how long it took to exit."""
        assert self.azurite is not None
        started = time.monotonic()
        self.azurite.send_signal(signal.SIGTERM)
        self.azurite.wait(timeout=30)
        assert not _alive(self.azurite.pid)
        assert not _port_open(self.queue_port)
        return time.monotonic() - started

    def start_cosmos(self) -> None:
        env = dict(os.environ, COSMOS_EMULATOR_PORT=str(self.cosmos_port), COSMOS_EMULATOR_HOST="127.0.0.1")
        with open(self.dir / "cosmos.log", "ab") as log:
            self.cosmos = subprocess.Popen(
                ["node", str(ROOT / "tools/cosmos-emulator.js")],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        proc = self.cosmos

        def up() -> bool:
            assert proc.poll() is None, f"cosmos emulator exited: {(self.dir / 'cosmos.log').read_text()[-2000:]}"
            return _port_open(self.cosmos_port)

        wait_for(up, timeout=60, interval=0.1, what=f"cosmos emulator on {self.cosmos_port}")

    def freeze_cosmos(self) -> None:
        assert self.cosmos is not None
        os.kill(self.cosmos.pid, signal.SIGSTOP)

    def thaw_cosmos(self) -> None:
        assert self.cosmos is not None
        os.kill(self.cosmos.pid, signal.SIGCONT)

    def start_host(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AzureFunctionsJobHost__")}
        env.update(self.values)  # the product's host.json retry settings, not the suite's quick ones
        env.update(self.host_env)
        host = start_local_host(log_path=self.log_path, env=env, port=self.host_port)
        self.host = host.proc
        host.wait_until_answering(timeout=90)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.host_port}/api"

    def start(self) -> None:
        from scripts.provision import provision

        self.dir.mkdir(parents=True, exist_ok=True)
        self.start_azurite()
        self.start_cosmos()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the emulator's self-signed certificate
            provision(self.settings)
        self.start_host()

    def close(self) -> None:
        for proc in (self.host, self.azurite, self.cosmos):
            if proc is None or proc.poll() is not None:
                continue
            if proc is self.cosmos:
                os.kill(proc.pid, signal.SIGCONT)  # a stopped process does not act on SIGTERM
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)

    def queued_at_stop(self) -> list[QueuedAtStop] | None:
        """Azurite stopped: the pings queue's messages in the store it saved on exit (LokiJS JSON, bodies in extent
        files). Emulator internals, read for the report only; None when the layout is not the expected one."""
        try:
            db = json.loads((self.azurite_dir / "__azurite_db_queue__.json").read_text())
            messages = next(c["data"] for c in db["collections"] if c["name"] == "$MESSAGES_COLLECTION$")
            now_ms = time.time() * 1000
            out: list[QueuedAtStop] = []
            for m in messages:
                if m["queueName"] != self.pings_queue:
                    continue
                extent = m["persistency"]
                with open(self.azurite_dir / "__queuestorage__" / extent["id"], "rb") as f:
                    f.seek(int(extent["offset"]))
                    raw = f.read(int(extent["count"]))
                try:
                    text = base64.b64decode(raw, validate=True).decode(errors="replace")
                except ValueError:
                    text = raw.decode(errors="replace")
                out.append(
                    QueuedAtStop(
                        str(m["messageId"]),
                        int(m["dequeueCount"]),
                        (float(m["timeNextVisible"]) - now_ms) / 1000,
                        set(UUID_RE.findall(text)),
                    )
                )
            return out
        except (OSError, ValueError, KeyError, TypeError, StopIteration):
            return None

    # ---- reads of what the stack holds
    def stored_ids(self, owner: User, member: User, days: set[str]) -> set[str]:
        container = (
            build_cosmos_client(self.settings)
            .get_database_client(self.settings.cosmos_database)
            .get_container_client(schema.PINGS.name)
        )
        found: set[str] = set()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for day in days:
                pk = ping_partition(owner.account_id, member.user_id, datetime.fromisoformat(day).date())
                found |= {
                    str(i)
                    for i in container.query_items(
                        "SELECT VALUE c.id FROM c WHERE c.pk = @pk",
                        parameters=[{"name": "@pk", "value": pk}],
                        partition_key=pk,
                    )
                }
        return found

    def poisoned(self) -> int:
        poison = build_queue_service(self.settings).get_queue_client(schema.poison_queue_name(self.pings_queue))
        try:
            return int(poison.get_queue_properties().approximate_message_count or 0)
        except ResourceNotFoundError:
            return 0


@contextmanager
def dedicated_stack(name: str) -> Iterator[DedicatedStack]:
    stack = DedicatedStack(name)
    if name == "azurite":
        stack.host_env["DEVHOST_QUEUE_LEASE_SECONDS"] = str(LEASE_SECONDS)
    try:
        stack.start()
        yield stack
    finally:
        stack.close()


def _batch(now: datetime, n: int) -> list[dict[str, Any]]:
    return [
        {
            "id": str(uuid.uuid4()),
            "timestamp": iso(now + timedelta(milliseconds=10 * (i + 1))),
            "latitude": 44.9778 + i * 0.0001,
            "longitude": -93.2650,
            "horizontalAccuracy": 8.5,
            "source": "gps",
        }
        for i in range(n)
    ]


def _ingest(client: httpx.Client, member: User) -> Call:
    taken = datetime.now(UTC)
    pings = _batch(taken, BATCH_PINGS)
    ids = [str(p["id"]) for p in pings]
    day = taken.date().isoformat()
    started = time.monotonic()
    try:
        r = client.post("/me/locations", json={"pings": pings}, headers=member.auth)
    except httpx.HTTPError:
        return Call(started, time.monotonic(), 0, ids, day)
    call = Call(
        started,
        time.monotonic(),
        r.status_code,
        ids,
        day,
        problem_json=r.headers.get("content-type", "").startswith("application/problem+json"),
        retry_after=r.headers.get("retry-after"),
    )
    if r.status_code == 202:
        call.accepted = int(r.json()["accepted"])
    if call.accepted != len(ids):
        call.detail = r.text[:500]
    elif call.problem_json:
        assert r.json()["status"] == r.status_code, r.text
    return call


def _flush_marker(stack: DedicatedStack, text: str | None) -> bool:
    """Send (text given) or look for the marker message in a queue of its own, straight through the SDK."""
    queue = build_queue_service(stack.settings).get_queue_client(f"proof-flush-{stack.suffix}")
    if text is not None:
        queue.create_queue()
        queue.send_message(base64.b64encode(text.encode()).decode())
        return True
    return any(base64.b64decode(m.content).decode().startswith("flush-") for m in queue.peek_messages(max_messages=5))


def today() -> set[str]:
    return {datetime.now(UTC).date().isoformat()}


def _reached(at: float) -> Callable[[], bool]:
    return lambda: time.monotonic() >= at


def run_outage(kind: Kind) -> OutageRun:
    """Ingest small batches before, during and after a 30 s outage of one service, then wait for every accepted
    ping in Cosmos DB. Bounded: at most MAX_BATCHES calls and a fixed time budget."""
    dev_issuer.ensure_keys()
    run = OutageRun(kind)
    with dedicated_stack(kind) as stack, httpx.Client(base_url=stack.base_url, timeout=CLIENT_TIMEOUT) as client:
        owner = register_owner(client)
        member = add_member(client, owner)
        set_location_consent(client, member, True)
        window = {"timeZone": "UTC", "windows": [{"days": ALL_DAYS, "start": "00:00", "end": "23:59"}]}
        r = client.put("/me/tracking-schedule", json=window, headers=member.auth)
        assert r.status_code == 200, r.text

        begin = time.monotonic()
        control_errors: list[BaseException] = []

        def control() -> None:
            try:
                wait_for(
                    lambda: time.monotonic() >= begin + BEFORE_SECONDS,
                    timeout=BEFORE_SECONDS + 5,
                    what="the end of the before phase",
                )
                # A burst right before the stop, so that accepted messages wait in the queue through the outage.
                with httpx.Client(base_url=stack.base_url, timeout=CLIENT_TIMEOUT) as burst_client:
                    for _ in range(BURST_BATCHES):
                        burst = _ingest(burst_client, member)
                        run.calls.append(burst)
                        if burst.status == 202 and burst.accepted == len(burst.ids):
                            run.burst_ids.update(burst.ids)
                if kind == "azurite":
                    _flush_marker(stack, f"flush-{uuid.uuid4().hex}")  # written just before the stop
                    run.sigterm_at = time.monotonic()
                    run.azurite_exit_seconds = stack.stop_azurite()
                    run.queued_at_stop = stack.queued_at_stop()
                else:
                    run.sigterm_at = time.monotonic()
                    stack.freeze_cosmos()
                run.stopped_at = time.monotonic()
                wait_for(
                    lambda: time.monotonic() >= run.stopped_at + OUTAGE_SECONDS,
                    timeout=OUTAGE_SECONDS + 5,
                    interval=0.2,
                    what="the end of the outage",
                )
                if kind == "azurite":
                    # A message being handled at the stop is stored by now (Cosmos DB is up); one under a lease
                    # with nothing stored was received by a call whose answer never came.
                    run.stored_before_restart = stack.stored_ids(
                        owner, member, {c.day for c in list(run.calls)} | today()
                    )
                    stack.start_azurite()
                else:
                    stack.thaw_cosmos()
                run.restarted_at = time.monotonic()
            except BaseException as exc:  # reported by the scenario thread below
                control_errors.append(exc)
                run.restarted_at = run.restarted_at or time.monotonic()

        controller = threading.Thread(target=control, name=f"outage-{kind}", daemon=True)
        controller.start()
        deadline = begin + BEFORE_SECONDS + OUTAGE_SECONDS + AFTER_SECONDS + 3 * CLIENT_TIMEOUT
        for _ in range(MAX_BATCHES):
            now = time.monotonic()
            if (run.restarted_at and now >= run.restarted_at + AFTER_SECONDS) or now >= deadline:
                break
            next_at = now + BATCH_INTERVAL
            call = _ingest(client, member)
            run.calls.append(call)
            if call.status == 202 and call.accepted == len(call.ids):
                run.accepted_ids.update(call.ids)
            wait_for(_reached(next_at), timeout=BATCH_INTERVAL + 1, interval=0.02, what="the next batch time")
        controller.join(timeout=60)
        assert not controller.is_alive(), "the outage control thread did not finish"
        if control_errors:
            raise control_errors[0]
        if kind == "azurite":
            run.flush_marker_survived = _flush_marker(stack, None)

        days = {c.day for c in run.calls} | today()

        run.accepted_ids |= run.burst_ids

        def all_stored() -> bool:
            run.stored_ids = stack.stored_ids(owner, member, days)
            return run.accepted_ids <= run.stored_ids

        try:
            # Messages that failed while Cosmos DB was down come back after host.json visibilityTimeout (30 s).
            wait_for(all_stored, timeout=120, interval=1.0, what="every accepted ping stored")
        except AssertionError:
            pass  # the test asserts on the numbers and prints them
        run.poisoned = stack.poisoned()
        log = stack.log_path.read_text(errors="replace")
        run.writer_failures = sum(1 for line in log.splitlines() if "function=write_pings" in line and "failed" in line)
        run.host_log_tail = log[-4000:]
    return run
