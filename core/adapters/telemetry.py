"""Observability: each invocation's id and W3C trace context on every log record, JSON log lines on request, and
OpenTelemetry through the Azure Monitor distro when APPLICATIONINSIGHTS_CONNECTION_STRING is set.

- `invocation(...)` (used by functions/_http.py through `traced_http`) binds the invocation id and the trace context
  (the caller's `traceparent` continued with a new span id, or a new trace) to a context variable for the duration
  of the invocation; a log record factory copies them onto every record (`invocation_id`, `trace_id`, `span_id`,
  `traceparent`), whichever handler then writes it (the worker's, OpenTelemetry's, a console's).
- `LOG_FORMAT=json` adds one JSON object per line on stderr; the default (`text`) leaves logging as it is, so local
  logs stay readable (the devhost's own format).
- Azure Monitor is configured lazily, at the first invocation and never at import (function_app imports no
  OpenTelemetry package), with the runtime identity (`AZURE_CLIENT_ID`; Application Insights accepts no key).
  Cosmos DB and Storage calls are dependencies through the Azure SDK instrumentation, Stripe through `requests`,
  SMTP through `dependency(...)`. `ScrubbingSpanProcessor` removes what could be personal from span attributes
  before export: query strings and fragments of URLs, blob names (they carry account and user ids), client
  addresses and user ids.
- Volume (issue 31, docs/observability.md "Volume and cost"): whole traces sampled by TELEMETRY_SAMPLING_RATIO,
  log records below WARNING exported only inside a kept trace (`SampledLogFilter`), the SDK loggers at WARNING.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger(__name__)

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_ZERO_TRACE, _ZERO_SPAN = "0" * 32, "0" * 16
CONNECTION_SETTING = "APPLICATIONINSIGHTS_CONNECTION_STRING"


@dataclass
class Invocation:
    function: str
    trigger: str
    invocation_id: str
    trace_id: str
    span_id: str
    parent_span_id: str | None = None
    sampled: bool = True
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def traceparent(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-{'01' if self.sampled else '00'}"


_current: ContextVar[Invocation | None] = ContextVar("industrack_invocation", default=None)


def current() -> Invocation | None:
    return _current.get()


COSMOS_REQUESTS = "industrack.cosmos_requests"


def count_cosmos_request(_request: Any) -> None:
    """The Cosmos DB client's request hook (core/adapters/cosmos.py): counts each request sent (each try) on the
    current invocation, so the request log line says how many Cosmos DB requests a call made."""
    inv = _current.get()
    if inv is not None:
        inv.attributes[COSMOS_REQUESTS] = int(inv.attributes.get(COSMOS_REQUESTS, 0)) + 1


def cosmos_requests() -> int:
    inv = _current.get()
    return int(inv.attributes.get(COSMOS_REQUESTS, 0)) if inv is not None else 0


def parse_traceparent(value: str | None) -> tuple[str, str, bool] | None:
    """(trace id, parent span id, sampled) of a valid W3C traceparent (version 00), else None."""
    m = _TRACEPARENT.match((value or "").strip().lower())
    if m is None or m.group(1) == _ZERO_TRACE or m.group(2) == _ZERO_SPAN:
        return None
    return m.group(1), m.group(2), int(m.group(3), 16) & 1 == 1


# ---------------------------------------------------------------- log records


_installed = False
_install_lock = threading.Lock()


def install_logging(log_format: str | None = None) -> None:
    """Once per process: the record factory (invocation fields on every record) and, with LOG_FORMAT=json (the
    settings' `log_format` unless given), a JSON-lines handler on stderr."""
    global _installed
    if _installed:
        return
    with _install_lock:
        if _installed:
            return
        if log_format is None:
            from core.settings import get_settings

            settings = get_settings()
            log_format = settings.log_format
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            annotate(record)
            return record

        logging.setLogRecordFactory(factory)
        quiet_sdk_loggers()
        if log_format == "json":
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(JsonLineFormatter())
            logging.getLogger().addHandler(handler)
        _installed = True


# Libraries whose INFO lines describe every HTTP request they send (the Azure SDK's logging policy writes the
# request and the response of each call): warnings and errors only, wherever the app runs.
SDK_LOGGERS = ("azure", "azure.core", "azure.cosmos", "azure.storage", "azure.identity", "urllib3", "requests", "msal")


def quiet_sdk_loggers() -> None:
    for name in SDK_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def annotate(record: logging.LogRecord) -> None:
    inv = _current.get()
    record.invocation_id = inv.invocation_id if inv else None
    record.function_name = inv.function if inv else None
    record.trace_id = inv.trace_id if inv else None
    record.span_id = inv.span_id if inv else None
    record.traceparent = inv.traceparent if inv else None


class JsonLineFormatter(logging.Formatter):
    """One JSON object per line. Exceptions give their type and frames only: messages of exceptions can carry
    input values."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, attr in (
            ("invocationId", "invocation_id"),
            ("function", "function_name"),
            ("traceId", "trace_id"),
            ("spanId", "span_id"),
            ("traceparent", "traceparent"),
        ):
            value = getattr(record, attr, None)
            if value:
                line[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            import traceback

            line["exception"] = record.exc_info[0].__name__
            line["stack"] = [f"{f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(record.exc_info[2])]
        return json.dumps(line, ensure_ascii=False)


# ---------------------------------------------------------------- invocations and spans


@contextmanager
def invocation(
    function: str,
    trigger: str,
    *,
    traceparent: str | None = None,
    invocation_id: str | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Iterator[Invocation]:
    """Binds one invocation's id and trace context; with Azure Monitor configured it is also a span (SERVER for
    HTTP, CONSUMER otherwise) continuing the caller's trace. `attributes` must hold nothing personal."""
    install_logging()
    ensure_azure_monitor()
    parent = parse_traceparent(traceparent)
    inv = Invocation(
        function=function,
        trigger=trigger,
        invocation_id=invocation_id or secrets.token_hex(16),
        trace_id=parent[0] if parent else secrets.token_hex(16),
        span_id=secrets.token_hex(8),
        parent_span_id=parent[1] if parent else None,
        sampled=parent[2] if parent else True,
        attributes=dict(attributes or {}),
    )
    with _span(inv, traceparent if parent else None) as span_ids:
        if span_ids is not None:  # OpenTelemetry chose the ids; logs must name the span that is exported
            inv.trace_id, inv.span_id = span_ids
        token = _current.set(inv)
        try:
            yield inv
        finally:
            _current.reset(token)


@contextmanager
def _span(inv: Invocation, traceparent: str | None) -> Iterator[tuple[str, str] | None]:
    if not _monitor_configured:
        yield None
        return
    from opentelemetry import trace
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    ctx = TraceContextTextMapPropagator().extract({"traceparent": traceparent}) if traceparent else None
    kind = trace.SpanKind.SERVER if inv.trigger == "http" else trace.SpanKind.CONSUMER
    tracer = trace.get_tracer("industrack")
    # Exception messages can carry input values: the span records the failure, not the message.
    with tracer.start_as_current_span(
        inv.function, context=ctx, kind=kind, record_exception=False, set_status_on_exception=True
    ) as span:
        span.set_attribute("faas.trigger", inv.trigger)
        span.set_attribute("faas.invocation_id", inv.invocation_id)
        for key, value in inv.attributes.items():
            span.set_attribute(key, value)
        sc = span.get_span_context()
        yield f"{sc.trace_id:032x}", f"{sc.span_id:016x}"
        for key, value in inv.attributes.items():  # set during the invocation (status code)
            span.set_attribute(key, value)


@contextmanager
def dependency(kind: str, target: str) -> Iterator[None]:
    """A client span for a call no instrumentation sees (SMTP). `target` is a host name, never an address."""
    if not _monitor_configured:
        yield
        return
    from opentelemetry import trace

    with trace.get_tracer("industrack").start_as_current_span(
        kind, kind=trace.SpanKind.CLIENT, record_exception=False
    ) as span:
        span.set_attribute("server.address", target)
        yield


def traced_http(name: str, route: str, method: str, handler: Any) -> Any:
    """Wraps an HTTP trigger (keeps its name, signature and annotations for the worker's indexing)."""
    import functools

    @functools.wraps(handler)
    def trigger(req: Any) -> Any:
        headers = getattr(req, "headers", {}) or {}
        with invocation(
            name,
            "http",
            traceparent=headers.get("traceparent"),
            invocation_id=headers.get("x-ms-invocation-id"),
            attributes={"http.request.method": method, "http.route": route},
        ) as inv:
            started = time.perf_counter()
            response = handler(req)
            inv.attributes["http.response.status_code"] = getattr(response, "status_code", 0)
            inv.attributes["industrack.duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
            return response

    return trigger


_BACKGROUND = {"queueTrigger": "queue", "timerTrigger": "timer"}


def trace_background_functions(blueprint: Any) -> int:
    """Run each queue and timer function of a Blueprint inside an invocation (CONSUMER span, a new trace). Called
    by function_app.py, through core.bootstrap, before registering the Blueprint; HTTP functions are traced by
    `traced_http`. Uses the Blueprint's function list (azure-functions keeps no public one); the real worker's
    indexing test and the local host's tests run the wrapped functions. Answers how many functions it wrapped."""
    import functools

    wrapped = 0
    for builder in getattr(blueprint, "_function_builders", []):
        function = builder._function
        trigger = function.get_trigger()
        kind = _BACKGROUND.get(trigger.get_binding_name() if trigger is not None else "")
        user = function._func
        if kind is None or getattr(user, "__industrack_traced__", False):
            continue

        def make(user: Any, kind: str) -> Any:
            @functools.wraps(user)
            def run(*args: Any, **kwargs: Any) -> Any:
                attributes: dict[str, Any] = {}
                for value in (*args, *kwargs.values()):
                    message_id = getattr(value, "id", None)
                    if kind == "queue" and isinstance(message_id, str):
                        attributes["messaging.message.id"] = message_id
                        attributes["messaging.delivery_count"] = getattr(value, "dequeue_count", None) or 0
                with invocation(user.__name__, kind, attributes=attributes):
                    return user(*args, **kwargs)

            run.__industrack_traced__ = True  # type: ignore[attr-defined]  # a marker attribute on the function object: trace each function once
            return run

        function._func = make(user, kind)
        wrapped += 1
    return wrapped


# ---------------------------------------------------------------- Azure Monitor


_monitor_configured = False
_monitor_tried = False
_monitor_lock = threading.Lock()


def ensure_azure_monitor(env: Mapping[str, str] | None = None) -> bool:
    """Configure the Azure Monitor distro once, when the connection string is set; a failure is logged and the app
    goes on without telemetry."""
    global _monitor_configured, _monitor_tried
    if _monitor_tried:
        return _monitor_configured
    with _monitor_lock:
        if _monitor_tried:
            return _monitor_configured
        _monitor_tried = True
        explicit = env is not None
        env = os.environ if env is None else env
        connection = env.get(CONNECTION_SETTING, "").strip()
        if not connection:
            return False
        try:
            from azure.monitor.opentelemetry import configure_azure_monitor

            credential = None
            if "authorization=aad" in env.get("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", "").lower():
                from core.adapters.identity import shared_credential

                credential = shared_credential()  # the runtime identity (AZURE_CLIENT_ID), as every client
            configure_azure_monitor(
                connection_string=connection,
                credential=credential,
                span_processors=[ScrubbingSpanProcessor()],
                instrumentation_options={
                    name: {"enabled": False} for name in ("django", "fastapi", "flask", "psycopg2")
                },
                enable_live_metrics=False,
                # Whole traces by trace id (Application Insights' own sampler: a trace's dependencies are kept or
                # dropped with it). OTEL_TRACES_SAMPLER, when set, overrides this (the distro reads it first).
                sampling_ratio=sampling_ratio(env) if explicit else _settings_sampling_ratio(),
            )
            sample_log_records()
            _monitor_configured = True
        except Exception as exc:  # noqa: BLE001 - observability must never stop the app
            log.warning("Azure Monitor not configured (%s); the app runs without OpenTelemetry", type(exc).__name__)
        return _monitor_configured


def _settings_sampling_ratio() -> float:
    from core.settings import get_settings

    settings = get_settings()
    return settings.telemetry_sampling_ratio


def sampling_ratio(env: Mapping[str, str]) -> float:
    """TELEMETRY_SAMPLING_RATIO (0 to 1); the default when unset or out of range (logged: never stop the app)."""
    from core.settings import DEFAULT_TELEMETRY_SAMPLING_RATIO

    raw = env.get("TELEMETRY_SAMPLING_RATIO", "").strip()
    if not raw:
        return DEFAULT_TELEMETRY_SAMPLING_RATIO
    try:
        ratio = float(raw)
    except ValueError:
        ratio = -1.0
    if not 0.0 <= ratio <= 1.0:
        log.warning("TELEMETRY_SAMPLING_RATIO must be 0 to 1; using %s", DEFAULT_TELEMETRY_SAMPLING_RATIO)
        return DEFAULT_TELEMETRY_SAMPLING_RATIO
    return ratio


class SampledLogFilter(logging.Filter):
    """On the distro's log handler: a record below WARNING is exported only inside a sampled span (the log lines of
    an exported trace stay with it, the others go with their trace); warnings and errors are always exported."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        from opentelemetry import trace

        context = trace.get_current_span().get_span_context()
        return bool(context.is_valid and context.trace_flags.sampled)


def sample_log_records() -> int:
    """Adds SampledLogFilter to each OpenTelemetry logging handler of the root logger (the distro's); answers how
    many it found."""
    from opentelemetry.instrumentation.logging.handler import LoggingHandler

    found = 0
    for handler in logging.getLogger().handlers:
        if isinstance(handler, LoggingHandler):
            if not any(isinstance(f, SampledLogFilter) for f in handler.filters):
                handler.addFilter(SampledLogFilter())
            found += 1
    return found


_URL_KEYS = ("url.full", "http.url", "http.target", "url.path")
_DROP_KEYS = (
    "url.query",
    "enduser.id",
    "enduser.pseudo.id",
    "user.id",
    "user.email",
    "user.name",
    "client.address",
    "http.client_ip",
    "net.peer.ip",
    "db.statement",
    "db.query.text",
)


def scrub_url(value: str) -> str:
    """No query string or fragment (Stripe list calls carry e-mail addresses there), and only the container of a
    blob path (blob names carry account and user ids)."""
    parts = urlsplit(value)
    path = parts.path
    if ".blob." in (parts.hostname or "") or parts.port == 10000:
        segments = [s for s in path.split("/") if s]
        keep = 2 if parts.port == 10000 else 1  # Azurite puts the account name first
        if len(segments) > keep:
            path = "/" + "/".join(segments[:keep]) + "/{blob}"
    if not parts.scheme and not parts.netloc:  # http.target: a path only
        return path
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


class ScrubbingSpanProcessor:
    """Runs before the exporter's processor (configure_azure_monitor adds given processors first) and replaces the
    attributes of each ended span with a scrubbed copy."""

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        return None

    def _on_ending(self, span: Any) -> None:
        return None

    def on_end(self, span: Any) -> None:
        attributes = dict(span.attributes or {})
        changed = False
        for key in _DROP_KEYS:
            if key in attributes:
                del attributes[key]
                changed = True
        for key in _URL_KEYS:
            value = attributes.get(key)
            if isinstance(value, str):
                scrubbed = scrub_url(value)
                changed = changed or scrubbed != value
                attributes[key] = scrubbed
        if changed:
            from opentelemetry.attributes import BoundedAttributes

            span._attributes = BoundedAttributes(attributes=attributes, immutable=True)

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
