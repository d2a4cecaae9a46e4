"""A tiny function app used only to test the local host's trigger semantics."""

from __future__ import annotations

import json
import os
import time

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def _record(kind: str, **data: object) -> None:
    with open(os.environ["DEVHOST_TEST_OUT"], "a", encoding="utf-8") as out:
        out.write(json.dumps({"kind": kind, **data}) + "\n")


@app.route(route="items/{n:int}", methods=["GET", "POST"])
def item_by_number(req: func.HttpRequest) -> func.HttpResponse:
    body = {
        "route": dict(req.route_params),
        "query": dict(req.params),
        "method": req.method,
        "length": len(req.get_body() or b""),
        "header": req.headers.get("x-probe"),
    }
    return func.HttpResponse(json.dumps(body), mimetype="application/json", headers={"X-Handled": "int"})


@app.route(route="items/{name}", methods=["GET"])
def item_by_name(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(req.route_params["name"], status_code=203)


@app.route(route="files/{*rest}", methods=["GET"])
def files(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(req.route_params.get("rest", ""))


@app.route(route="boom", methods=["GET"])
def boom(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("internal detail that must not leave the host")


@app.queue_trigger(arg_name="msg", queue_name="%DEVHOST_TEST_QUEUE%", connection="AzureWebJobsStorage")
def work(msg: func.QueueMessage) -> None:
    text = msg.get_body().decode()
    _record(
        "queue",
        id=msg.id,
        body=text,
        dequeue_count=msg.dequeue_count,
        inserted=msg.insertion_time.isoformat() if msg.insertion_time else None,
    )
    if text.startswith("slow:"):
        time.sleep(float(text.split(":", 1)[1]))
    if text == "fail":
        raise ValueError("always fails")


@app.timer_trigger(arg_name="timer", schedule="0 0 0 1 1 *", run_on_startup=True)
def yearly(timer: func.TimerRequest) -> None:
    _record("timer", past_due=timer.past_due)
