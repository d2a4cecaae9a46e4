"""The local host against Azurite, with a tiny app: routes, errors, queue retries/poison/leases and timers."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.queue import QueueClient, QueueServiceClient

from devhost.launch import start_local_host
from tests.helpers import wait_for
from tests.integration.conftest import ROOT, Stack


@pytest.fixture(scope="module")
def host(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    out = tmp_path_factory.mktemp("devhost") / "records.jsonl"
    out.touch()
    queue_name = f"devhost-test-{uuid.uuid4().hex[:8]}"
    conn = stack.settings.storage_connection_string
    assert conn is not None
    service = QueueServiceClient.from_connection_string(conn.get_secret_value())
    service.create_queue(queue_name)
    env = dict(
        os.environ,
        DEVHOST_TEST_OUT=str(out),
        DEVHOST_TEST_QUEUE=queue_name,
        DEVHOST_QUEUE_LEASE_SECONDS="4",
        AzureFunctionsJobHost__extensions__queues__maxDequeueCount="3",
    )
    file_log = tmp_path_factory.mktemp("devhost-log") / "logs" / "devhost.log"  # as make run's --log-file
    host = start_local_host(
        log_path=ROOT / ".local" / "logs" / f"devhost-selftest-{queue_name}.log",
        env=env,
        extra_args=["--app", "tests.integration.devhost_app.app", "--log-file", str(file_log)],
    )
    base = host.base
    try:
        host.wait_until_answering(path="/api/files/x", timeout=30)
        yield {
            "base": base,
            "out": out,
            "queue": service.get_queue_client(queue_name),
            "log": host.log_path,
            "file_log": file_log,
            "poison": service.get_queue_client(f"{queue_name}-poison"),
        }
    finally:
        host.stop()
        for name in (queue_name, f"{queue_name}-poison"):
            with contextlib.suppress(ResourceNotFoundError):
                service.delete_queue(name)


def test_the_log_file_gets_what_the_console_gets(host: dict[str, Any]) -> None:
    """make run passes --log-file .local/logs/devhost.log: the file (its folder created) holds the host's log."""
    assert httpx.get(f"{host['base']}/api/files/log-file-probe", timeout=5).status_code == 200

    def logged() -> list[str]:
        text = host["file_log"].read_text() if host["file_log"].exists() else ""
        return [line for line in text.splitlines() if "files" in line and "200" in line]

    lines = wait_for(logged, timeout=10, what="an invocation line in the log file")
    console = host["log"].read_text()
    assert all(line in console for line in lines)


def _records(host: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    lines = Path(host["out"]).read_text().splitlines()
    return [r for r in map(json.loads, lines) if r["kind"] == kind]


def _peek(queue: QueueClient) -> list[Any]:
    try:
        return list(queue.peek_messages(max_messages=32))
    except ResourceNotFoundError:  # the host creates the poison queue on first use
        return []


def _send(queue: QueueClient, text: str) -> None:
    queue.send_message(base64.b64encode(text.encode()).decode())


def test_route_constraints_params_and_precedence(host: dict[str, Any]) -> None:
    r = httpx.post(f"{host['base']}/api/items/42?x=1", content=b"abc", headers={"X-Probe": "p"})
    assert r.status_code == 200 and r.headers["x-handled"] == "int"
    assert r.json() == {"route": {"n": "42"}, "query": {"x": "1"}, "method": "POST", "length": 3, "header": "p"}
    r = httpx.get(f"{host['base']}/api/items/abc")
    assert (r.status_code, r.text) == (203, "abc")
    assert httpx.get(f"{host['base']}/api/files/a/b/c.txt").text == "a/b/c.txt"
    assert httpx.delete(f"{host['base']}/api/items/42").status_code == 404
    assert httpx.get(f"{host['base']}/elsewhere").status_code == 404


def test_unhandled_error_is_500_without_detail(host: dict[str, Any]) -> None:
    r = httpx.get(f"{host['base']}/api/boom")
    assert r.status_code == 500
    assert "internal detail" not in r.text and "Traceback" not in r.text


def test_queue_message_is_base64_decoded_with_metadata(host: dict[str, Any]) -> None:
    marker = f"hello-{uuid.uuid4().hex}"
    _send(host["queue"], marker)
    rec = wait_for(lambda: [r for r in _records(host, "queue") if r["body"] == marker], what="the message")[0]
    assert rec["dequeue_count"] == 1 and rec["id"] and rec["inserted"]


def test_failing_message_is_tried_max_dequeue_count_times_then_poisoned(host: dict[str, Any]) -> None:
    _send(host["queue"], "fail")
    wait_for(lambda: _peek(host["poison"]), timeout=60, what="the poison queue")
    attempts = [r["dequeue_count"] for r in _records(host, "queue") if r["body"] == "fail"]
    assert attempts == [1, 2, 3]
    assert base64.b64decode(host["poison"].peek_messages()[0].content) == b"fail"


def test_long_running_message_keeps_its_lease(host: dict[str, Any]) -> None:
    _send(host["queue"], "slow:6")
    wait_for(lambda: [r for r in _records(host, "queue") if r["body"] == "slow:6"], what="the slow message")

    def settled() -> bool:
        return not _peek(host["queue"])

    wait_for(settled, timeout=30, what="the slow message to be deleted")
    # a 4 s lease on a 6 s run: without renewal the message would have been delivered a second time
    assert [r["dequeue_count"] for r in _records(host, "queue") if r["body"] == "slow:6"] == [1]


def test_timer_runs_on_startup_and_when_fired(host: dict[str, Any]) -> None:
    wait_for(lambda: _records(host, "timer"), what="runOnStartup")
    assert httpx.post(f"{host['base']}/admin/functions/yearly").status_code == 202
    wait_for(lambda: len(_records(host, "timer")) >= 2, what="the fired timer")
