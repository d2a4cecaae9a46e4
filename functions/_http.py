"""The one shared HTTP helper: authentication, body limits, parsing, and mapping results and errors to responses.

Every HTTP trigger is declared with `endpoint(...)`, which also records it for the OpenAPI document.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeVar

import azure.functions as func
from pydantic import BaseModel, ValidationError

from core.bootstrap import container, current_cosmos_requests, current_invocation_id, traced_http
from core.domain.client_summary import ClientSummary, summarize
from core.domain.errors import (
    DependencyUnavailable,
    DomainError,
    FieldError,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    UnsupportedMediaType,
    ValidationFailed,
)
from core.domain.identity import Identity, Principal, Subject
from core.domain.inputs import duplicate_key
from core.domain.rate_limits import LimitPolicy, Per
from core.services import card_guard
from core.services.device_auth import DeviceCaller
from core.services.use_cases.sign_in import SignInUseCases
from core.services.wiring import UseCases
from functions import _cors  # issue 15: the portal's origins (one place)

log = logging.getLogger("industrack.http")

U = TypeVar("U", bound=UseCases)

PROBLEM_BASE = "https://industrack.com/problems/"
JSON = "application/json"


class Auth(Enum):
    NONE = "none"  # public: health, OpenAPI, policy text, signed links
    IDENTITY = "identity"  # a valid token, not yet an account (registration, accepting an invitation)
    PRINCIPAL = "principal"  # a registered, active user of an account
    ADMIN = "admin"  # a platform administrator
    DEVICE = "device"  # a member's device token, on the app ingest endpoints only (core/services/device_auth.py)
    OPTIONAL = "optional"  # no token, or a valid one (a principal when it is a registered, active user): analytics
    # An active user, or a former one (removed, left, account closed) while their sign-in record is kept: only the
    # endpoints of a person's rights about their own data (what is held, export, erasure, their requests).
    FORMER_OR_PRINCIPAL = "former-or-principal"


@dataclass
class Call:
    """What a handler receives: the parsed input and who is calling."""

    req: func.HttpRequest
    route: Mapping[str, str]
    body: Any = None
    raw: bytes = b""  # the body as sent, on endpoints declared with raw_body=True (within the same limits)
    query: Any = None
    identity_: Identity | None = None
    principal_: Principal | None = None
    device_: DeviceCaller | None = None
    subject_: Subject | None = None

    @property
    def identity(self) -> Identity:
        assert self.identity_ is not None, "endpoint declared without authentication"
        return self.identity_

    @property
    def principal(self) -> Principal:
        assert self.principal_ is not None, "endpoint declared without a principal"
        return self.principal_

    @property
    def subject(self) -> Subject:
        """The caller on `Auth.FORMER_OR_PRINCIPAL` endpoints: a Principal, or a FormerMember whose access ended."""
        assert self.subject_ is not None, "endpoint declared without a subject"
        return self.subject_

    @property
    def client(self) -> ClientSummary:
        """The caller's truncated network and browser and OS families (core/domain/client_summary.py)."""
        return summarize(self.req.headers)

    @property
    def device(self) -> DeviceCaller:
        assert self.device_ is not None, "endpoint declared without a device token"
        return self.device_


@dataclass(frozen=True)
class EndpointSpec:
    name: str
    method: str
    route: str
    auth: Auth
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    produces: tuple[str, ...] = (JSON,)
    extra_statuses: tuple[int, ...] = field(default=())
    response_headers: tuple[tuple[str, str], ...] = field(default=())  # (name, description) on the success response
    # When given and false for this process, the route answers 404 before anything else (as if it did not exist).
    available: Callable[[], bool] | None = None
    raw_body: bool = False  # the handler reads `call.raw` itself (the tracking apps' own formats)
    # Abuse limits (core/domain/rate_limits.py, docs/abuse-limits.md): per network before authentication, per caller
    # (identity, principal or device) after it; a refused call answers 429 with Retry-After.
    limits: tuple[LimitPolicy, ...] = field(default=())


ENDPOINTS: list[EndpointSpec] = []


def problem(
    status: int, code: str, title: str, detail: str | None = None, errors: list[FieldError] | None = None
) -> func.HttpResponse:
    doc: dict[str, Any] = {"type": PROBLEM_BASE + code, "title": title, "status": status}
    if detail:
        doc["detail"] = detail
    if errors:
        doc["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    return func.HttpResponse(
        body=json.dumps(doc),
        status_code=status,
        headers={"Content-Type": "application/problem+json", "Cache-Control": "no-store"},
    )


RETRY_AFTER_SECONDS = 10  # on 503: a backing service is unreachable; clients retry the same call later


def problem_for(error: DomainError) -> func.HttpResponse:
    response = problem(error.status, error.code, error.title, error.detail, error.errors)
    if error.status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    elif isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


# The OpenAPI description of a paged list's header (every list endpoint paged with a sealed token).
PAGE_HEADERS = (
    (
        "X-Continuation",
        "Present when there is a next page: pass it unchanged as ?continuation="
        " (opaque and signed; any other value is a 422)",
    ),
)


def paged_response(page: BaseModel, continuation: str | None) -> func.HttpResponse:
    """A page of a list as JSON, its continuation token also in X-Continuation (when there is a next page)."""
    response = json_response(page)
    if continuation:
        response.headers["X-Continuation"] = continuation
    return response


def json_response(model: BaseModel | None, status: int = 200) -> func.HttpResponse:
    if model is None:
        return func.HttpResponse(status_code=204, headers={"Cache-Control": "no-store"})
    return func.HttpResponse(
        body=model.model_dump_json(by_alias=True),
        status_code=status,
        headers={"Content-Type": JSON, "Cache-Control": "no-store"},
    )


def _field_errors(exc: ValidationError, prefix: str = "") -> list[FieldError]:
    out: list[FieldError] = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        out.append(FieldError(prefix + loc, err["msg"]))
    return out


def _sized_body(req: func.HttpRequest, max_bytes: int) -> bytes:
    """The body, or 413 when it (or its declared length) passes the limit every endpoint shares."""
    declared = req.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(f"The body may be at most {max_bytes} bytes.")
    raw = req.get_body() or b""
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"The body may be at most {max_bytes} bytes.")
    return raw


def _refuse_card_numbers(raw: bytes) -> None:
    """422 for a body that carries what looks like a card number: before anything parses, stores or logs it."""
    card_field = card_guard.find_card_number(raw)
    if card_field is not None:
        raise ValidationFailed(
            "Payment card numbers are not accepted; cards are entered only in the payment provider's own form.",
            errors=[FieldError(card_field, "contains what looks like a payment card number")],
        )


def _raw_body(req: func.HttpRequest, max_bytes: int) -> bytes:
    raw = _sized_body(req, max_bytes)
    _refuse_card_numbers(raw)
    return raw


def _parse_body(req: func.HttpRequest, model: type[BaseModel], max_bytes: int) -> BaseModel:
    raw = _sized_body(req, max_bytes)
    ctype = (req.headers.get("content-type") or "").split(";")[0].strip().lower()
    if ctype != JSON and not ctype.endswith("+json"):
        raise UnsupportedMediaType()
    _refuse_card_numbers(raw)
    repeated = duplicate_key(raw) if raw else None  # one object member, one value: never "the last one wins"
    if repeated is not None:
        raise ValidationFailed(
            "A JSON object in the body names the same member more than once.",
            errors=[FieldError(repeated, "appears more than once in its object")],
        )
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise ValidationFailed(
                "The body is not valid JSON (UTF-8, no NaN or Infinity).",
                errors=[FieldError("body", "malformed JSON")],
            ) from exc
        raise ValidationFailed(errors=_field_errors(exc)) from exc


def _parse_query(req: func.HttpRequest, model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(dict(req.params))
    except ValidationError as exc:
        raise ValidationFailed(errors=_field_errors(exc, prefix="query.")) from exc


def use_cases(area: type[U]) -> Callable[[], U]:
    """A trigger module's product area: `notes = use_cases(NoteUseCases)`, then `notes().create(...)` inside a
    trigger. The area's object comes from the process's composition root on first use (no I/O at import); a trigger
    never sees the root or a store."""

    def current() -> U:
        return container().use_case(area)

    return current


sign_in = use_cases(SignInUseCases)


def _run(spec: EndpointSpec, handler: Callable[[Call], Any], req: func.HttpRequest) -> func.HttpResponse:
    call = Call(req=req, route=req.route_params)
    if spec.available is not None and not spec.available():
        raise NotFound()
    gate = sign_in()
    for policy in spec.limits:  # before the token is even looked at: a flood costs one counter each
        if policy.per is Per.NETWORK:
            gate.enforce_limit(limit=policy, subject=call.client.network)
    if spec.auth is Auth.DEVICE:  # never a JWT here, and a device token is never accepted below
        call.device_ = gate.authenticate_device(
            authorization=req.headers.get("authorization"), query_token=req.params.get("token")
        )
    elif spec.auth is Auth.OPTIONAL:
        # A credential that is sent must be a valid bearer token (401 otherwise; a device token never is).
        if req.headers.get("authorization") or req.params.get("token"):
            call.identity_ = gate.identify(authorization=req.headers.get("authorization"))
            try:
                call.principal_ = gate.resolve_principal(identity=call.identity_)
            except DependencyUnavailable:
                raise  # the sign-in records are unreachable: 503, not "signed out"
            except DomainError:
                call.principal_ = None  # signed in but not (or no longer) a user of an account: as signed out
    elif spec.auth is not Auth.NONE:
        call.identity_ = gate.identify(authorization=req.headers.get("authorization"))
        if spec.auth is Auth.ADMIN:
            gate.require_platform_admin(identity=call.identity_)
        elif spec.auth is Auth.PRINCIPAL:
            call.principal_ = gate.resolve_principal(identity=call.identity_)
        elif spec.auth is Auth.FORMER_OR_PRINCIPAL:
            call.subject_ = gate.resolve_subject(identity=call.identity_)
    for policy in spec.limits:
        if policy.per is Per.CALLER:
            gate.enforce_limit(limit=policy, subject=_caller(call))
    if spec.query is not None:
        call.query = _parse_query(req, spec.query)
    if spec.body is not None:
        call.body = _parse_body(req, spec.body, gate.limits.max_body_bytes)
    elif spec.raw_body:
        call.raw = _raw_body(req, gate.limits.max_body_bytes)
    result = handler(call)
    if isinstance(result, func.HttpResponse):
        return result
    return json_response(result, spec.status if result is not None else 204)


def _caller(call: Call) -> str:
    """Whom a per-caller limit counts: the device on the ingest endpoints, otherwise the signed-in identity."""
    if call.device_ is not None:
        return f"device:{call.device.principal.user_id}:{call.device.device_id}"
    return f"user:{call.identity.user_id}"


def endpoint(
    bp: func.Blueprint,
    method: str,
    route: str,
    *,
    auth: Auth,
    summary: str,
    tag: str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    produces: tuple[str, ...] = (JSON,),
    extra_statuses: tuple[int, ...] = (),
    response_headers: tuple[tuple[str, str], ...] = (),
    available: Callable[[], bool] | None = None,
    raw_body: bool = False,
    limits: tuple[LimitPolicy, ...] = (),
) -> Callable[[Callable[[Call], Any]], Callable[[Call], Any]]:
    """Declare an HTTP trigger: the handler takes a Call and returns a model, None (204) or a raw response."""
    if any(p.per is Per.CALLER for p in limits) and auth in (Auth.NONE, Auth.OPTIONAL):
        raise ValueError(f"{route}: a per-caller limit needs an endpoint whose caller is always known")

    def decorate(handler: Callable[[Call], Any]) -> Callable[[Call], Any]:
        spec = EndpointSpec(
            name=handler.__name__,
            method=method.upper(),
            route=route,
            auth=auth,
            summary=summary,
            tag=tag,
            body=body,
            query=query,
            response=response,
            status=status,
            produces=produces,
            extra_statuses=extra_statuses,
            response_headers=response_headers,
            available=available,
            raw_body=raw_body,
            limits=limits,
        )
        ENDPOINTS.append(spec)

        def trigger(req: func.HttpRequest) -> func.HttpResponse:
            started = time.perf_counter()
            try:
                response_ = _run(spec, handler, req)
            except DomainError as exc:  # other exceptions: the host logs them and answers 500 without detail
                if isinstance(exc, DependencyUnavailable):  # raised by an adapter (core/adapters/errors.py)
                    log.warning("%s: backing service unavailable (%s)", spec.name, type(exc.__cause__).__name__)
                response_ = problem_for(exc)
            # The request log line (policy: "log files"): the route template (never the URL), the truncated
            # network, browser and OS families and the invocation id; never a token, header value or body.
            client = summarize(req.headers)
            log.info(
                "%s %s -> %s in %.1f ms; client %s, %s on %s; invocation %s; cosmos requests %d",
                spec.method,
                spec.route,
                response_.status_code,
                (time.perf_counter() - started) * 1000,
                client.network,
                client.browser,
                client.os,
                current_invocation_id() or "-",
                current_cosmos_requests(),
            )
            return _cors.apply(req, response_)  # issue 15: readable by the portal's origins only

        trigger.__name__ = handler.__name__
        trigger.__qualname__ = handler.__qualname__
        bp.route(route=route, methods=[spec.method], auth_level=func.AuthLevel.ANONYMOUS)(
            traced_http(spec.name, route, spec.method, trigger)
        )
        return handler

    return decorate
