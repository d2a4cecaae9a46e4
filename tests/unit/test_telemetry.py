"""Observability (core/adapters/telemetry.py): invocation id and W3C trace context on every log record, JSON lines
on request, OpenTelemetry only when APPLICATIONINSIGHTS_CONNECTION_STRING is set and never at import, nothing
personal in exported span attributes."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap

import azure.functions as func
import pytest

from core.adapters import telemetry
from tests.helpers import app_functions
from tests.infra.bicep_text import ROOT

PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def run_python(code: str, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **env},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def test_importing_the_function_app_loads_no_opentelemetry_even_with_a_connection_string() -> None:
    out = run_python(
        """
        import sys, function_app
        print(sorted(m for m in sys.modules if m.startswith(("opentelemetry", "azure.monitor"))))
    """,
        APPLICATIONINSIGHTS_CONNECTION_STRING="InstrumentationKey=00000000-0000-0000-0000-000000000000",
    )
    assert out == "[]"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (PARENT, ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", True)),
        (PARENT[:-2] + "00", ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", False)),
        ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", None),
        ("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", None),
        ("garbage", None),
        (None, None),
    ],
)
def test_traceparent_is_parsed_strictly(value: str | None, expected: object) -> None:
    assert telemetry.parse_traceparent(value) == expected


def test_log_records_carry_the_invocation_id_and_continue_the_callers_trace(
    caplog: pytest.LogCaptureFixture,
) -> None:
    telemetry.install_logging("text")
    logger = logging.getLogger("industrack.test")
    with caplog.at_level(logging.INFO, logger="industrack.test"):
        logger.info("outside")
        with telemetry.invocation("get_me", "http", traceparent=PARENT, invocation_id="inv-1") as inv:
            logger.info("inside")
    outside, inside = caplog.records
    assert getattr(outside, "invocation_id", "missing") is None
    assert inside.invocation_id == "inv-1" and inside.function_name == "get_me"  # type: ignore[attr-defined]  # the record factory adds this field at run time
    assert inside.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"  # type: ignore[attr-defined]  # the record factory adds this field at run time
    assert inside.span_id == inv.span_id != "00f067aa0ba902b7"  # type: ignore[attr-defined]  # the record factory adds this field at run time
    assert inside.traceparent == f"00-4bf92f3577b34da6a3ce929d0e0e4736-{inv.span_id}-01"  # type: ignore[attr-defined]  # the record factory adds this field at run time
    assert telemetry.current() is None


def test_a_new_trace_is_started_without_a_valid_traceparent() -> None:
    with telemetry.invocation("f", "queue", traceparent="nonsense") as inv:
        assert telemetry.parse_traceparent(inv.traceparent) == (inv.trace_id, inv.span_id, True)
        assert inv.parent_span_id is None and len(inv.invocation_id) == 32


def test_json_lines_have_the_fields_and_no_exception_message() -> None:
    record = logging.LogRecord("industrack.http", logging.ERROR, __file__, 1, "failed for %s", ("inv",), None)
    telemetry.annotate(record)
    try:
        raise ValueError("ada@example.com is not allowed")
    except ValueError:
        record.exc_info = sys.exc_info()
    with telemetry.invocation("f", "http", traceparent=PARENT, invocation_id="inv-2"):
        telemetry.annotate(record)
    line = json.loads(telemetry.JsonLineFormatter().format(record))
    assert line["message"] == "failed for inv" and line["level"] == "ERROR" and line["invocationId"] == "inv-2"
    assert line["traceId"] == "4bf92f3577b34da6a3ce929d0e0e4736" and line["traceparent"].startswith("00-4bf9")
    assert line["exception"] == "ValueError" and line["stack"]
    assert "ada@example.com" not in json.dumps(line)


def test_the_http_hook_runs_each_endpoint_inside_an_invocation(caplog: pytest.LogCaptureFixture) -> None:
    telemetry.install_logging("text")
    trigger = next(f for f in app_functions() if f.get_function_name() == "openapi_document")
    request = func.HttpRequest(
        method="GET", url="http://localhost/api/openapi.json", body=b"", headers={"traceparent": PARENT}
    )
    with caplog.at_level(logging.INFO, logger="industrack.http"):
        response = trigger.get_user_function()(request)
    assert response.status_code == 200
    line = next(r for r in caplog.records if r.name == "industrack.http")
    assert line.function_name == "openapi_document"  # type: ignore[attr-defined]  # the record factory adds this field at run time
    assert line.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"  # type: ignore[attr-defined]  # the record factory adds this field at run time


def test_exported_spans_continue_the_trace_name_dependencies_and_carry_nothing_personal() -> None:
    """The Azure Monitor distro configured for real (a connection string to a closed local port), spans captured
    in memory after the project's scrubbing processor."""
    out = run_python(
        """
        import json, logging, requests
        from opentelemetry import trace
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        from core.adapters import telemetry

        assert telemetry.ensure_azure_monitor()
        memory = InMemorySpanExporter()
        trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(memory))
        seen = {}
        with telemetry.invocation("setup_billing", "http", traceparent=sys_parent,
                                  attributes={"http.route": "accounts/{accountId}/billing/setup"}) as inv:
            seen["log_trace"], seen["log_span"] = inv.trace_id, inv.span_id
            with telemetry.dependency("SMTP", "smtp.example.net"):
                pass
            try:
                requests.get("http://127.0.0.1:9/v1/customers?email=ada%40example.com&limit=1", timeout=1)
            except requests.RequestException:
                pass
        spans = [{"name": s.name, "kind": s.kind.name, "trace": f"{s.context.trace_id:032x}",
                  "span": f"{s.context.span_id:016x}",
                  "parent": f"{s.parent.span_id:016x}" if s.parent else None,
                  "attributes": dict(s.attributes)} for s in memory.get_finished_spans()]
        print(json.dumps({"seen": seen, "spans": spans}))
    """.replace("sys_parent", repr(PARENT)),
        APPLICATIONINSIGHTS_CONNECTION_STRING="InstrumentationKey=00000000-0000-0000-0000-000000000000;"
        "IngestionEndpoint=http://127.0.0.1:9/",
        OTEL_BSP_EXPORT_TIMEOUT="100",
        APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL="true",
        # every trace (the default exports a few in a hundred: tests/unit/test_telemetry_volume.py)
        TELEMETRY_SAMPLING_RATIO="1",
    )
    result = json.loads(out)
    spans = {s["name"]: s for s in result["spans"]}
    server = spans["setup_billing"]
    assert server["kind"] == "SERVER" and server["trace"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert server["parent"] == "00f067aa0ba902b7"
    assert (result["seen"]["log_trace"], result["seen"]["log_span"]) == (server["trace"], server["span"])
    assert spans["SMTP"]["kind"] == "CLIENT" and spans["SMTP"]["parent"] == server["span"]
    http = next(s for s in result["spans"] if s["kind"] == "CLIENT" and s["name"] != "SMTP")
    assert http["parent"] == server["span"], "Stripe-like requests calls are dependencies of the invocation"
    dumped = json.dumps(result["spans"])
    # (not a bare "ada": span and invocation ids are random hex and spell it now and then)
    assert "example.com" not in dumped and "email=" not in dumped and "limit=" not in dumped, dumped


def test_url_scrubbing_keeps_host_path_and_blob_container_only() -> None:
    assert (
        telemetry.scrub_url("https://api.stripe.com/v1/customers?email=a%40b.c#x")
        == "https://api.stripe.com/v1/customers"
    )
    assert (
        telemetry.scrub_url("https://st1.blob.core.windows.net/photos/acc-1/user-1/p1/original?sv=1")
        == "https://st1.blob.core.windows.net/photos/{blob}"
    )
    assert (
        telemetry.scrub_url("http://127.0.0.1:10000/devstoreaccount1/exports/acc/x.zip")
        == "http://127.0.0.1:10000/devstoreaccount1/exports/{blob}"
    )
    assert telemetry.scrub_url("/api/accounts?x=1") == "/api/accounts"


def test_every_queue_and_timer_function_runs_inside_an_invocation(caplog: pytest.LogCaptureFixture) -> None:
    background = [f for f in app_functions() if f.get_trigger().get_binding_name() in ("queueTrigger", "timerTrigger")]
    assert len(background) >= 10
    assert all(getattr(f.get_user_function(), "__industrack_traced__", False) for f in background)

    bp = func.Blueprint()  # type: ignore[no-untyped-call]  # azure-functions leaves Blueprint.__init__ unannotated
    seen: list[telemetry.Invocation | None] = []

    @bp.queue_trigger(arg_name="msg", queue_name="q", connection="AzureWebJobsStorage")
    def handle_thing(msg: func.QueueMessage) -> None:
        seen.append(telemetry.current())
        logging.getLogger("industrack.test").info("handled")

    assert telemetry.trace_background_functions(bp) == 1
    assert telemetry.trace_background_functions(bp) == 0, "wrapped once"
    telemetry.install_logging("text")
    user = bp._function_builders[0]._function._func
    with caplog.at_level(logging.INFO, logger="industrack.test"):
        user(msg=func.QueueMessage(id="m-1", body=b"{}"))
    [inv] = seen
    assert inv is not None and inv.function == "handle_thing" and inv.trigger == "queue"
    assert inv.attributes == {"messaging.message.id": "m-1", "messaging.delivery_count": 0}
    assert caplog.records[-1].invocation_id == inv.invocation_id  # type: ignore[attr-defined]  # the record factory adds this field at run time
    assert telemetry.current() is None
