"""The function app as served for `bench/ingest.py` only: the product's app, plus

* a naive ingest baseline: `POST /api/bench/naive-ping` takes ONE ping and puts ONE queue message; its queue
  trigger makes ONE Cosmos DB write per message into the `bench-naive-pings` container (partition /accountId,
  default indexing of every path);
* a no-op endpoint (`GET /api/bench/noop`) to compare latencies with;
* counters of every request this process sends to Cosmos DB and to the queues (`GET /api/bench/counters`), by
  function and operation ("<function> cosmos.request.<container>.<op>"), so that backend calls are counted, not
  estimated. Queue polling is done by the host, not a function: it counts under "other", by queue name.

Never deployed: function_app.py does not import it.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections import Counter
from types import FrameType
from typing import Any
from urllib.parse import urlparse

import azure.functions as func
from azure.core.pipeline.transport import RequestsTransport

from core.bootstrap import container
from core.services import auth
from function_app import app

NAIVE_CONTAINER = "bench-naive-pings"
_lock = threading.Lock()
COUNTS: Counter[str] = Counter()
_original_send = RequestsTransport.send


def _body(request: Any) -> bytes:
    for attr in ("content", "data", "body"):
        value = getattr(request, attr, None)
        if isinstance(value, bytes):
            return value
        if isinstance(value, str):
            return value.encode()
    return b""


def _classify(request: Any, response: Any) -> list[tuple[str, int]]:
    url = urlparse(request.url)
    method = request.method.upper()
    headers = {k.lower(): str(v).lower() for k, v in request.headers.items()}
    parts = [p for p in url.path.split("/") if p]
    if url.port == 8081:
        collection = parts[parts.index("colls") + 1] if "colls" in parts else "-"
        if "docs" not in parts:
            return [(f"cosmos.meta.{method}", 1)]
        if headers.get("x-ms-cosmos-is-batch-request") == "true":
            try:
                operations = len(json.loads(_body(request) or b"[]"))
            except ValueError:
                operations = 0
            return [(f"cosmos.request.{collection}.batch", 1), (f"cosmos.written.{collection}", operations)]
        if headers.get("x-ms-documentdb-isquery") == "true" or "query+json" in headers.get("content-type", ""):
            try:
                returned = int(json.loads(response.body()).get("_count", 0))
            except (ValueError, AttributeError):
                returned = 0
            return [(f"cosmos.request.{collection}.query", 1), (f"cosmos.returned.{collection}", returned)]
        if method == "GET":
            return [(f"cosmos.request.{collection}.read", 1)]
        if method in ("POST", "PUT"):
            op = (
                "upsert"
                if headers.get("x-ms-documentdb-is-upsert") == "true"
                else ("create" if method == "POST" else "replace")
            )
            return [(f"cosmos.request.{collection}.{op}", 1), (f"cosmos.written.{collection}", 1)]
        return [(f"cosmos.request.{collection}.{method.lower()}", 1)]
    if url.port == 10001 and len(parts) >= 3 and parts[2] == "messages":
        queue = parts[1]
        if method == "POST":
            return [(f"queue.{queue}.send", 1)]
        if method == "DELETE":
            return [(f"queue.{queue}.delete", 1)]
        if method == "PUT":
            return [(f"queue.{queue}.update", 1)]
        if method == "GET":
            got = b"<QueueMessage>" in (response.body() if response is not None else b"")
            return [(f"queue.{queue}.{'receive' if got else 'receive-empty'}", 1)]
    return [(f"other.{method}", 1)]


# Requests are attributed to the function that made them (found on the call stack), so that background work of
# other areas (timers, other queues) running at the same time is not counted against either mode.
COUNTED_FUNCTIONS = {
    "ingest_locations",
    "write_pings",
    "bench_naive_ping",
    "bench_naive_writer",
    "get_latest_positions",
    "get_member_track",
    "ingest_overland",
}  # bench/devices.py


def _function() -> str:
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_name in COUNTED_FUNCTIONS:
            return frame.f_code.co_name
        frame = frame.f_back
    return "other"


def _counting_send(self: Any, request: Any, **kwargs: Any) -> Any:
    response = _original_send(self, request, **kwargs)
    try:
        fn = _function()
        items = _classify(request, response)
    except Exception:  # noqa: BLE001 - counting must never break a request
        fn, items = "other", [("uncounted", 1)]
    with _lock:
        for key, n in items:
            COUNTS[f"{fn} {key}"] += n
    return response


RequestsTransport.send = _counting_send

bp = func.Blueprint()  # type: ignore[no-untyped-call]  # azure-functions leaves Blueprint.__init__ unannotated


@bp.route(route="bench/noop", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def bench_noop(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(status_code=204)


@bp.route(route="bench/counters", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def bench_counters(req: func.HttpRequest) -> func.HttpResponse:
    with _lock:
        snapshot = dict(COUNTS)
    return func.HttpResponse(json.dumps(snapshot), mimetype="application/json")


@bp.route(route="bench/naive-ping", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
def bench_naive_ping(req: func.HttpRequest) -> func.HttpResponse:
    """The baseline: authenticate, check the JSON, one queue message for one ping. No consent, no windows."""
    d = container()
    identity = auth.identify(authorization=req.headers.get("authorization"), token_verifier=d.token_verifier)
    principal = auth.resolve_principal(identity=identity, users=d.users)
    ping = json.loads(req.get_body())
    if not isinstance(ping, dict) or "id" not in ping:
        return func.HttpResponse(status_code=422)
    message = json.dumps({"accountId": principal.account_id, "userId": principal.user_id, "ping": ping})
    _naive_queue().send_message(message)
    return func.HttpResponse(json.dumps({"accepted": 1}), status_code=202, mimetype="application/json")


_naive: dict[str, Any] = {}


def _naive_queue() -> Any:
    if "queue" not in _naive:
        from core.adapters.queues import queue_client

        _naive["queue"] = queue_client(container().queue_service, os.environ["BENCH_NAIVE_QUEUE"])
    return _naive["queue"]


@bp.queue_trigger(arg_name="msg", queue_name="%BENCH_NAIVE_QUEUE%", connection="AzureWebJobsStorage")
def bench_naive_writer(msg: func.QueueMessage) -> None:
    body = json.loads(msg.get_body())
    ping = body["ping"]
    doc = {"id": ping["id"], "accountId": body["accountId"], "userId": body["userId"], "docType": "ping", **ping}
    container().database.get_container_client(NAIVE_CONTAINER).upsert_item(doc)


app.register_functions(bp)
