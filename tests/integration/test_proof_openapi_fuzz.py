"""Proof row 9 (issue 9): property-based fuzzing of every operation in the served OpenAPI document (schemathesis).

The document is read from this session's devhost (GET /api/openapi.json), every operation is called with a valid
token of the right kind (owner on account endpoints, member on `me` endpoints, platform admin on admin endpoints,
a fresh identity where the operation creates an account or accepts an invitation) and with real ids of that
caller's own account in the path, so generated queries and bodies reach the handlers instead of stopping at 404.
Each operation gets a fixed number of positive (schema-valid) and negative (schema-invalid) examples from a
derandomized Hypothesis run, and every response must pass: no 5xx, a documented status code, a documented content
type, a body that matches the documented schema, and documented response headers.

Every date-time of the document also carries explicit examples at the edges of the calendar (years 1 and 9999 with
offsets whose conversion to UTC overflows, and just outside 2000..2100 UTC), and the ping ingest body an example
batch mixing such pings with a valid one: each operation runs once per such example, under the same checks.

Operations whose effect would end the session's own fixtures get fresh resources per example instead (removing a
member, deleting a note or a legal hold) or a dedicated owner (closing an account), so nothing is skipped.
"""

from __future__ import annotations

import io
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from PIL import Image
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.examples import get_strategies_from_examples

from core.domain.email import outbox_id_for
from core.signing import LinkSigner
from tests.helpers import rid
from tests.integration.conftest import Stack, User, add_member, new_identity, register_owner
from tests.integration.tracking_helpers import ping

ROW = 9
POSITIVE_EXAMPLES = 10  # schema-valid inputs per operation
NEGATIVE_EXAMPLES = 5  # schema-invalid inputs per operation (each must be a documented 4xx)
EXAMPLE_DEADLINE = timedelta(seconds=15)  # per example, including its fresh resources; a slower answer fails
REQUEST_TIMEOUT = 15.0
TIME_BUDGET_PER_OPERATION_S = 1.6  # the whole run gets this per documented operation (0.9 s each measured on a
# quiet machine); past it the remaining operations fail the test instead of running on
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# The HTTP server in front of the app refuses a request line longer than this before any function runs (the
# devhost's aiohttp: 400 text/plain; Azure's Kestrel front end: 414 at 8 KiB). Negative examples with huge query
# strings end there: they are counted apart and must be such a refusal, never a 5xx and never reach the app.
HOST_REQUEST_LINE_LIMIT = 8190
CONSENT = {"granted": True, "deviceId": "fuzz-phone", "appVersion": "5.0.0"}
# Issue 13: past either end of Python's calendar once converted to UTC, or just outside the accepted 2000..2100 UTC.
EDGE_DATES = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999Z",
    "1999-12-31T23:59:59+00:00",
    "2099-12-31T23:59:59-00:01",
]

Prepared = tuple[dict[str, str], dict[str, str]]  # (request headers, path parameters) for one example


@dataclass
class World:
    """The session's callers and real ids of their own account."""

    api: httpx.Client
    stack: Stack
    owner: User
    member: User
    admin: User
    closing_owner: User  # only for POST /accounts/{accountId}/closure
    ids: dict[str, str] = field(default_factory=dict)
    device_auth: dict[str, str] = field(default_factory=dict)  # the member's device token, for /api/ingest/*

    @property
    def signer(self) -> LinkSigner:
        return LinkSigner(self.stack.settings.token_signing_key.get_secret_value().encode())


def _ok(r: httpx.Response, *statuses: int) -> dict[str, Any]:
    assert r.status_code in statuses, (r.request.method, r.request.url.path, r.status_code, r.text)
    body: dict[str, Any] = r.json() if r.content else {}
    return body


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


def _uploaded_photo(api: httpx.Client, member: User) -> str:
    data = _jpeg()
    grant = _ok(
        api.post("/me/photos", json={"contentType": "image/jpeg", "sizeBytes": len(data)}, headers=member.auth), 201
    )
    put = httpx.put(grant["uploadUrl"], content=data, headers=grant["uploadHeaders"], timeout=REQUEST_TIMEOUT)
    assert put.status_code == 201, put.text
    _ok(api.post(f"/me/photos/{grant['photoId']}/complete", headers=member.auth), 202)
    photo_id: str = grant["photoId"]
    return photo_id


def _seed(api: httpx.Client, stack: Stack) -> World:
    owner = register_owner(api)
    member = add_member(api, owner)
    world = World(api, stack, owner, member, new_identity(admin=True), register_owner(api))
    for capability in ("location", "camera"):
        _ok(api.put(f"/me/consents/{capability}", json=CONSENT, headers=member.auth), 200)
    _ok(
        api.post(
            "/me/locations", json={"pings": [ping(datetime.now(UTC) - timedelta(minutes=1))]}, headers=member.auth
        ),
        202,
    )
    note = _ok(api.post("/me/notes", json={"text": "fuzz seed"}, headers=member.auth), 201)
    request = _ok(api.post("/me/data-requests", json={"type": "rectification"}, headers=member.auth), 202)
    hold = _ok(
        api.post(
            "/platform/legal-holds", json={"accountId": owner.account_id, "reason": "fuzz"}, headers=world.admin.auth
        ),
        201,
    )
    versions = _ok(api.get("/policy/versions"), 200)
    invitation = _ok(
        api.post(
            f"/accounts/{owner.account_id}/invitations",
            json={"email": f"{rid('inv-')}@example.com", "fullName": "Never Accepts"},
            headers=owner.auth,
        ),
        201,
    )
    outbox_id = outbox_id_for(f"invitation-{invitation['invitationId']}")
    device = _ok(api.post("/me/devices", json={"name": "fuzz: revoked by the DELETE routes"}, headers=member.auth), 201)
    sender = _ok(api.post("/me/devices", json={"name": "fuzz: sends"}, headers=member.auth), 201)
    world.device_auth = {"Authorization": f"Bearer {sender['token']}"}
    _ok(api.get(f"/admin/email/outbox/{outbox_id}", headers=world.admin.auth), 200)
    world.ids = {
        "accountId": owner.account_id,
        "userId": member.user_id,
        "noteId": note["noteId"],
        "photoId": _uploaded_photo(api, member),
        "requestId": request["requestId"],
        "holdId": hold["holdId"],
        "versionId": versions["items"][0]["versionId"],
        "capability": "location",
        "outboxId": outbox_id,
        "deviceId": device["deviceId"],
        "siteId": _job_site(api, owner),
    }
    return world


def _with_edge_examples(node: Any) -> None:
    """Give every date-time schema of the document the edge dates as explicit examples (in place)."""
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("format") == "date-time":
            node["examples"] = list(EDGE_DATES)
        for value in node.values():
            _with_edge_examples(value)
    elif isinstance(node, list):
        for value in node:
            _with_edge_examples(value)


def _edge_ping_batches(document: dict[str, Any]) -> None:
    """`pings` are free-form in the document (each is checked on its own): an example batch of edge pings."""
    now = datetime.now(UTC)
    batch = [ping(now - timedelta(seconds=30), 0), *(ping(now, i + 1, timestamp=t) for i, t in enumerate(EDGE_DATES))]
    media = document["paths"]["/api/me/locations"]["post"]["requestBody"]["content"]["application/json"]
    media["examples"] = {
        "edge-timestamps": {
            "summary": "one valid ping, the rest at the edges of the calendar",
            "value": {"pings": batch},
        }
    }


SITE_BODY = {"name": "Fuzz yard", "area": {"kind": "circle", "centre": {"latitude": 44.97, "longitude": -93.26}}}


def _job_site(api: httpx.Client, owner: User) -> str:
    site: str = _ok(api.post(f"/accounts/{owner.account_id}/job-sites", json=SITE_BODY, headers=owner.auth), 201)[
        "siteId"
    ]
    return site


def _fresh_job_site(w: World, ids: dict[str, str]) -> Prepared:
    return w.owner.auth, {**ids, "siteId": _job_site(w.api, w.owner)}


def _fresh_identity(w: World, _: dict[str, str]) -> Prepared:
    return new_identity().auth, {}


def _fresh_invitation(w: World, _: dict[str, str]) -> Prepared:
    invitee = new_identity()
    r = _ok(
        w.api.post(
            f"/accounts/{w.owner.account_id}/invitations",
            json={"email": invitee.email, "fullName": "Fuzz Worker"},
            headers=w.owner.auth,
        ),
        201,
    )
    return invitee.auth, {"token": r["token"]}


def _fresh_member(w: World, ids: dict[str, str]) -> Prepared:
    return w.owner.auth, {**ids, "userId": add_member(w.api, w.owner).user_id}


def _fresh_leaver(w: World, ids: dict[str, str]) -> Prepared:
    """A member of their own for each example of `POST /me/leave`: the session's member stays in the account."""
    return add_member(w.api, w.owner).auth, ids


def _fresh_note(w: World, ids: dict[str, str]) -> Prepared:
    note = _ok(w.api.post("/me/notes", json={"text": "to delete"}, headers=w.member.auth), 201)
    return w.member.auth, {**ids, "noteId": note["noteId"]}


def _fresh_hold(w: World, ids: dict[str, str]) -> Prepared:
    hold = _ok(
        w.api.post(
            "/platform/legal-holds", json={"accountId": w.owner.account_id, "reason": "fuzz"}, headers=w.admin.auth
        ),
        201,
    )
    return w.admin.auth, {**ids, "holdId": hold["holdId"]}


def _signed_tokens(w: World) -> dict[str, str]:
    """Validly signed link tokens for the member (the handlers then look up outbox entries and nonces)."""
    later = datetime.now(UTC) + timedelta(hours=1)
    s, outbox_id = w.signer, w.ids["outboxId"]
    return {
        "/api/email/verify/{token}": s.sign(
            "email-verification", {"u": w.member.user_id, "e": w.member.email, "n": rid("n-")}, expires_at=later
        ),
        "/api/email/unsubscribe/{token}": s.sign(
            "email-unsubscribe", {"o": outbox_id, "u": w.member.user_id, "c": "product"}, expires_at=later
        ),
        "/api/t/o/{token}": s.sign("email-open", {"o": outbox_id}, expires_at=later),
        "/api/t/c/{token}": s.sign("email-click", {"o": outbox_id, "u": "https://industrack.com/"}, expires_at=later),
    }


def _plan(w: World, method: str, path: str) -> tuple[str, Callable[[World, dict[str, str]], Prepared]]:
    """Who calls the operation and how each example gets its headers and path ids."""
    ids = {**w.ids}
    per_example: dict[tuple[str, str], Callable[[World, dict[str, str]], Prepared]] = {
        ("POST", "/api/accounts"): _fresh_identity,
        ("POST", "/api/invitations/{token}/accept"): _fresh_invitation,
        ("GET", "/api/invitations/{token}"): _fresh_invitation,
        ("DELETE", "/api/accounts/{accountId}/members/{userId}"): _fresh_member,
        ("POST", "/api/me/leave"): _fresh_leaver,
        ("DELETE", "/api/me/notes/{noteId}"): _fresh_note,
        ("DELETE", "/api/accounts/{accountId}/job-sites/{siteId}"): _fresh_job_site,
        ("DELETE", "/api/platform/accounts/{accountId}/legal-holds/{holdId}"): _fresh_hold,
    }
    if (method, path) in per_example:
        return "fresh resources per example", per_example[(method, path)]
    tokens = _signed_tokens(w)
    if path in tokens:
        return "public, signed link", lambda _w, _i: ({}, {"token": tokens[path]})
    if path == "/api/accounts/{accountId}/closure":
        return "dedicated owner", lambda _w, _i: (w.closing_owner.auth, {"accountId": w.closing_owner.account_id})
    if path.startswith("/api/ingest/"):
        return "member's device token", lambda _w, _i: (w.device_auth, ids)
    if path.startswith(("/api/admin/", "/api/platform/")):
        return "platform admin", lambda _w, _i: (w.admin.auth, ids)
    if path.startswith("/api/accounts/"):
        return "owner", lambda _w, _i: (w.owner.auth, ids)
    if path == "/api/me" or path.startswith("/api/me/"):
        return "member", lambda _w, _i: (w.member.auth, ids)
    return "public", lambda _w, _i: ({}, ids)


def _without_token(prepare: Callable[[World, dict[str, str]], Prepared]) -> Callable[[World, dict[str, str]], Prepared]:
    def prepared(w: World, ids: dict[str, str]) -> Prepared:
        headers, path_ids = prepare(w, ids)
        return headers, {k: v for k, v in path_ids.items() if k != "token"}

    return prepared


@dataclass
class Tally:
    examples: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    unsatisfiable: list[str] = field(default_factory=list)
    by_operation: dict[str, Counter[int]] = field(default_factory=dict)
    sample_refusal: dict[str, str] = field(default_factory=dict)
    host_refused: int = 0  # request line over HOST_REQUEST_LINE_LIMIT: answered by the HTTP server, not the app


def _fuzz(
    w: World,
    operation: Any,
    mode: schemathesis.GenerationMode,
    max_examples: int,
    tally: Tally,
    prepare: Callable[[World, dict[str, str]], Prepared],
    strategy: Any = None,
) -> None:
    label = f"{operation.method.upper()} {operation.path}"
    names = [p.name for p in operation.path_parameters]

    @settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=EXAMPLE_DEADLINE,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=strategy if strategy is not None else operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        headers, path_ids = prepare(w, dict(w.ids))
        if names:
            case.path_parameters = {name: path_ids.get(name, case.path_parameters.get(name, "x")) for name in names}
        try:
            response = case.call(
                base_url=w.stack.host_url, headers=headers, timeout=REQUEST_TIMEOUT, allow_redirects=False
            )
        except Exception as exc:  # a reset or timeout is a failure of the server, not of the run
            tally.examples += 1
            tally.failures.append(f"{label} [{mode.value}]: transport error {type(exc).__name__}: {exc}")
            return
        tally.examples += 1
        tally.statuses[response.status_code] += 1
        tally.by_operation.setdefault(label, Counter())[response.status_code] += 1
        if response.status_code >= 400:
            tally.sample_refusal.setdefault(label, f"{response.status_code} {response.text[:200]}")
        request_line = f"{response.request.method} {response.request.path_url} HTTP/1.1"
        if len(request_line.encode()) > HOST_REQUEST_LINE_LIMIT:
            tally.host_refused += 1
            if response.status_code not in (400, 414):
                tally.failures.append(
                    f"{label} [{mode.value}]: a {len(request_line)}-byte request line got "
                    f"{response.status_code}, not the host's 400/414"
                )
            return
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                tally.failures.append(_describe(label, mode, response, failure))
        except Failure as failure:
            tally.failures.append(_describe(label, mode, response, failure))

    try:
        run()
    except Unsatisfiable:
        tally.unsatisfiable.append(f"{label} [{mode.value}]")


def _describe(label: str, mode: schemathesis.GenerationMode, response: Any, failure: Failure) -> str:
    body = response.text[:300] if hasattr(response, "text") else ""
    return f"{label} [{mode.value}] -> {response.status_code}: {failure.title}: {failure.message[:400]} | {body}"


def test_every_operation_of_the_served_document_holds_under_fuzzing(
    api: httpx.Client, stack: Stack, figure: Callable[..., None]
) -> None:
    started = time.monotonic()
    document = _ok(api.get("/openapi.json"), 200)
    _with_edge_examples(document)
    _edge_ping_batches(document)
    schema = schemathesis.openapi.from_dict(document)
    world = _seed(api, stack)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]  # an Err would raise here, failing the proof
    in_document = sum(
        len([m for m in item if m in {"get", "put", "post", "patch", "delete"}]) for item in document["paths"].values()
    )
    tally = Tally()
    covered: list[str] = []
    reached: set[str] = set()  # operations where some example got a 2xx/3xx from the real handler
    callers: Counter[str] = Counter()
    out_of_time: list[str] = []
    explicit = 0  # examples from the document (the edge dates)
    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"
        if time.monotonic() - started > TIME_BUDGET_PER_OPERATION_S * in_document:
            out_of_time.append(label)
            continue
        caller, prepare = _plan(world, operation.method.upper(), operation.path)
        callers[caller] += 1
        before = tally.examples
        before_ok = sum(n for s, n in tally.statuses.items() if s < 400)
        for mode, n in (
            (schemathesis.GenerationMode.POSITIVE, POSITIVE_EXAMPLES),
            (schemathesis.GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES),
        ):
            _fuzz(world, operation, mode, n, tally, prepare)
        edge_examples = get_strategies_from_examples(operation)
        for strategy in edge_examples:  # one example each: the edge dates (and any other example of the document)
            _fuzz(world, operation, schemathesis.GenerationMode.POSITIVE, 1, tally, prepare, strategy)
        explicit += len(edge_examples)
        if "{token}" in operation.path:  # and forged tokens: whatever string the generator makes of one
            _fuzz(
                world,
                operation,
                schemathesis.GenerationMode.POSITIVE,
                POSITIVE_EXAMPLES,
                tally,
                _without_token(prepare),
            )
        if operation.path == "/api/admin/test-clock":  # the operations after it run on the real time again
            _ok(api.delete("/admin/test-clock", headers=world.admin.auth), 200)
        if tally.examples > before:
            covered.append(label)
        if sum(n for s, n in tally.statuses.items() if s < 400) > before_ok:
            reached.add(label)
    unique_failures = sorted(set(tally.failures))
    elapsed = time.monotonic() - started
    figure(
        ROW,
        f"{tally.examples} examples ({explicit} of them the document's edge-date examples) run over "
        f"{len(covered)}/{in_document} operations "
        f"({len(reached)} answered 2xx/3xx at least once), {len(unique_failures)} failures, "
        f"{tally.host_refused} refused by the HTTP host (request line > 8 KiB), "
        f"{len(out_of_time)} not run for time, {elapsed:.0f} s",
        examples=tally.examples,
        failures=len(unique_failures),
        operations_covered=len(covered),
        operations_in_document=in_document,
        host_refused=tally.host_refused,
        unsatisfiable=len(tally.unsatisfiable),
        operations_reaching_success=len(reached),
        statuses=dict(sorted(tally.statuses.items())),
        callers=dict(callers),
        edge_date_examples=explicit,
    )
    for label in sorted(set(covered) - reached):
        print(
            f"never 2xx/3xx: {label} {dict(tally.by_operation.get(label, {}))} e.g. {tally.sample_refusal.get(label)}"
        )
    print("no schema-invalid input to generate (every part fixed or free-form):", tally.unsatisfiable)
    print("\n".join(unique_failures[:60]))
    assert not out_of_time, f"time budget exceeded before: {out_of_time}"
    # Nine operations take date-times (tracks x2, note lists x2, photo list, photo grant, note create and edit, policy
    # version): each edge date once, plus the ping batch.
    assert explicit >= 9 * len(EDGE_DATES) + 1, explicit
    assert in_document == len(operations) == len(covered), (in_document, len(operations), len(covered))
    assert tally.statuses and max(tally.statuses) < 500, tally.statuses
    assert not unique_failures, f"{len(unique_failures)} failures:\n" + "\n".join(unique_failures[:40])
    assert len(reached) >= len(operations) // 2, sorted(set(covered) - reached)


def test_a_signed_link_with_non_ascii_text_is_gone_not_a_crash() -> None:
    """Found by this row: hmac.compare_digest raised TypeError on a non-ASCII `confirm` phrase (a 500 on closure)."""
    from core.domain.errors import Gone

    signer = LinkSigner(b"k" * 32)
    token = signer.sign("account-closure", {"a": "acc"})
    for forged in ("\u00e9.\u00e9", token + "\u00e9", token.split(".")[0] + ".\u0419\u0416", "\ud800.x"):
        with pytest.raises(Gone):
            signer.verify("account-closure", forged, now=datetime.now(UTC))
    assert signer.verify("account-closure", token, now=datetime.now(UTC)) == {"a": "acc"}
