"""functions/_http.py without emulators: roles, the card guard's place in the parser (before parsing), the
problem+json shapes of every refusal, the 503 of an unreachable backing service, and the health answer."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import azure.functions as func
import pytest
from azure.core.exceptions import ServiceRequestError
from pydantic import Field

from core.bootstrap import container
from core.domain.accounts import ApiModel
from core.ports import HealthProbe
from functions import _http, health
from functions._http import Auth, Call, endpoint
from tests.unit.http.conftest import ADMIN, MEMBER, NEWCOMER, problem_of, request, token, triggers
from tests.unit.roots import ADMIN_ROLE

CALLS: list[str] = []  # what reached a handler


class ThingIn(ApiModel):
    name: str = Field(min_length=1, max_length=50)
    note: str | None = None


class ThingOut(ApiModel):
    name: str
    by: str


@cache
def seam() -> dict[str, Callable[[func.HttpRequest], func.HttpResponse]]:
    """A Blueprint of test endpoints declared with the real `endpoint(...)`; kept out of the OpenAPI list."""
    bp = func.Blueprint()  # type: ignore[no-untyped-call]  # azure-functions leaves Blueprint.__init__ unannotated
    before = len(_http.ENDPOINTS)

    @endpoint(bp, "GET", "seam/me", auth=Auth.PRINCIPAL, response=ThingOut, summary="t", tag="t")
    def seam_me(call: Call) -> ThingOut:
        CALLS.append("me")
        return ThingOut(name="me", by=call.principal.user_id)

    @endpoint(bp, "GET", "seam/admin", auth=Auth.ADMIN, response=ThingOut, summary="t", tag="t")
    def seam_admin(call: Call) -> ThingOut:
        CALLS.append("admin")
        return ThingOut(name="admin", by=call.identity.user_id)

    @endpoint(
        bp, "POST", "seam/things", auth=Auth.IDENTITY, body=ThingIn, response=ThingOut, status=201, summary="t", tag="t"
    )
    def seam_things(call: Call) -> ThingOut:
        CALLS.append("things")
        return ThingOut(name=call.body.name, by=call.identity.user_id)

    @endpoint(bp, "GET", "seam/unreachable", auth=Auth.NONE, response=ThingOut, summary="t", tag="t")
    def seam_unreachable(call: Call) -> ThingOut:
        account = container().accounts.get_account("acc-1")  # the root's Cosmos DB adapter, its SDK failing below
        return ThingOut(name=str(account), by="-")

    @endpoint(bp, "GET", "seam/raw-failure", auth=Auth.NONE, response=ThingOut, summary="t", tag="t")
    def seam_raw_failure(call: Call) -> ThingOut:
        raise ConnectionError("connection refused")

    @endpoint(bp, "GET", "seam/bug", auth=Auth.NONE, response=ThingOut, summary="t", tag="t")
    def seam_bug(call: Call) -> ThingOut:
        raise KeyError("a bug")

    del _http.ENDPOINTS[before:]
    return triggers(bp)


@pytest.fixture(autouse=True)
def _clear_calls() -> Iterator[None]:
    CALLS.clear()
    yield


def _post(
    body: bytes, *, content_type: str | None = "application/json", headers: dict[str, str] | None = None
) -> func.HttpResponse:
    return seam()["seam_things"](
        request(
            "POST",
            "/api/seam/things",
            bearer=token(sub=NEWCOMER),
            body=body,
            content_type=content_type,
            headers=headers,
        )
    )


# ---------------------------------------------------------------- roles


def test_a_principal_endpoint_needs_a_registered_user(deps: Any) -> None:
    ok = seam()["seam_me"](request("GET", "/api/seam/me", bearer=token()))
    assert ok.status_code == 200 and json.loads(ok.get_body()) == {"name": "me", "by": MEMBER}
    assert ok.headers["Content-Type"] == "application/json" and ok.headers["Cache-Control"] == "no-store"
    problem_of(seam()["seam_me"](request("GET", "/api/seam/me", bearer=token(sub=NEWCOMER))), 403, "not-registered")
    assert CALLS == ["me"]


def test_the_platform_admin_check_is_the_token_role(deps: Any) -> None:
    refused = seam()["seam_admin"](request("GET", "/api/seam/admin", bearer=token(sub=MEMBER)))
    problem_of(refused, 403, "forbidden")
    other_role = seam()["seam_admin"](request("GET", "/api/seam/admin", bearer=token(sub=ADMIN, roles=["owner"])))
    problem_of(other_role, 403, "forbidden")
    assert CALLS == []  # refused before the handler
    ok = seam()["seam_admin"](request("GET", "/api/seam/admin", bearer=token(sub=ADMIN, roles=[ADMIN_ROLE])))
    assert ok.status_code == 200 and json.loads(ok.get_body())["by"] == ADMIN and CALLS == ["admin"]


# ---------------------------------------------------------------- the card guard, in the parser


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"name": "x", "note": "my card 4242 4242 4242 4242"}', "note"),
        (b'{"name": "4111-1111-1111-1111"}', "name"),
        (b'{"name": "x", "unknownField": "5555555555554444"}', "unknownField"),  # the model would refuse it anyway
    ],
)
def test_a_card_number_is_refused_before_the_body_is_parsed(deps: Any, body: bytes, field: str) -> None:
    doc = problem_of(_post(body), 422, "validation-failed")
    assert doc["errors"] == [{"field": field, "message": "contains what looks like a payment card number"}]
    assert "4242" not in json.dumps(doc) and "1111" not in json.dumps(doc) and CALLS == []


def test_numbers_that_are_not_cards_pass_the_guard(deps: Any) -> None:
    response = _post(b'{"name": "order 4242 4242 4242 4241", "note": "call 612 555 0100"}')  # fails Luhn; a phone
    assert response.status_code == 201, response.get_body()
    assert CALLS == ["things"]


# ---------------------------------------------------------------- problem+json shapes


def test_refusals_have_the_problem_json_shape_and_reach_no_handler(deps: Any) -> None:
    too_big = b'{"name": "' + b"x" * 3000 + b'"}'
    problem_of(_post(too_big), 413, "payload-too-large")
    problem_of(_post(b"{}", headers={"Content-Length": "999999"}), 413, "payload-too-large")  # refused unread
    problem_of(_post(b'{"name": "x"}', content_type="text/plain"), 415, "unsupported-media-type")
    problem_of(_post(b'{"name": "x"}', content_type=None), 415, "unsupported-media-type")
    malformed = problem_of(_post(b'{"name": '), 422, "validation-failed")
    assert malformed["errors"] == [{"field": "body", "message": "malformed JSON"}]
    nan = problem_of(_post(b'{"name": NaN}'), 422, "validation-failed")
    assert nan["errors"][0]["field"] == "name"  # NaN is no string (and allow_inf_nan=False refuses it in numbers)
    invalid = problem_of(_post(b'{"name": ""}'), 422, "validation-failed")
    assert [e["field"] for e in invalid["errors"]] == ["name"]
    unknown = problem_of(_post(b'{"name": "x", "role": "owner"}'), 422, "validation-failed")
    assert [e["field"] for e in unknown["errors"]] == ["role"]
    assert CALLS == []
    assert _post(b'{"name": "x"}', content_type="application/merge-patch+json").status_code == 201


class _UnreachableCosmos:
    """A database client whose every item read fails as the SDK does when Cosmos DB does not answer."""

    def get_container_client(self, name: str) -> Any:
        return self

    def read_item(self, **kwargs: Any) -> Any:
        raise ServiceRequestError("connection refused")


def test_an_unreachable_backing_service_is_503_with_retry_after(deps: Any) -> None:
    deps.__dict__["database"] = _UnreachableCosmos()  # the adapter the root builds on it raises the core's error
    response = seam()["seam_unreachable"](request("GET", "/api/seam/unreachable"))
    problem_of(response, 503, "dependency-unavailable")
    assert response.headers["Retry-After"] == str(_http.RETRY_AFTER_SECONDS)


def test_an_sdk_error_is_not_guessed_at_by_the_seam(deps: Any) -> None:
    """Only the adapters translate SDK failures: a handler's own ConnectionError is a bug, left to the host."""
    with pytest.raises(ConnectionError):
        seam()["seam_raw_failure"](request("GET", "/api/seam/raw-failure"))


def test_a_bug_is_left_to_the_host_which_answers_500_without_detail(deps: Any) -> None:
    with pytest.raises(KeyError):
        seam()["seam_bug"](request("GET", "/api/seam/bug"))


# ---------------------------------------------------------------- health


class Probe:
    def __init__(self, name: str, error: Exception | None = None) -> None:
        self.name, self.error = name, error

    def check(self) -> None:
        if self.error is not None:
            raise self.error


@pytest.mark.parametrize(
    ("probes", "status", "state"),
    [
        ([Probe("cosmos"), Probe("storage")], 200, {"status": "ok", "dependencies": {"cosmos": "ok", "storage": "ok"}}),
        (
            [Probe("cosmos", TimeoutError()), Probe("storage")],
            503,
            {"status": "degraded", "dependencies": {"cosmos": "unavailable", "storage": "ok"}},
        ),
        (
            [Probe("cosmos"), Probe("storage", ConnectionError("refused"))],
            503,
            {"status": "degraded", "dependencies": {"cosmos": "ok", "storage": "unavailable"}},
        ),
    ],
)
def test_health_is_503_when_a_dependency_is_unreachable(
    deps: Any, probes: list[HealthProbe], status: int, state: dict[str, Any]
) -> None:
    deps.__dict__["health_probes"] = probes
    response = triggers(health.bp)["health"](request("GET", "/api/health"))
    assert response.status_code == status and json.loads(response.get_body()) == state
    assert response.headers["Content-Type"] == "application/json"
