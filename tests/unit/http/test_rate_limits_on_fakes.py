"""Abuse limits through the triggers on a root of fakes (docs/abuse-limits.md): every limited endpoint answers 429
problem+json with Retry-After once its policy's rate is spent, per network before authentication and per caller
after it; another network or caller is not held back."""

from __future__ import annotations

import json

import azure.functions as func
import pytest

from core.domain.rate_limits import LimitPolicy, Per
from functions import accounts, analytics, devices, email, members, privacy, tracking
from functions._http import ENDPOINTS, Auth, EndpointSpec
from tests.unit.fakes import FakeRateLimiter
from tests.unit.fakes_devices import FakeDeviceStore
from tests.unit.http.areas import MEMBER, NEWCOMER, OWNER, Team, answer, http, on_fakes, refused, triggers
from tests.unit.roots import unit_settings

pytestmark = pytest.mark.usefixtures("no_azure_clients")

run = triggers(accounts.bp, analytics.bp, devices.bp, email.bp, members.bp, privacy.bp, tracking.bp)
RATE = 2
LOW = {
    name: f"{RATE}/m"
    for name in (
        "RATE_LIMIT_SIGN_UP_PER_NETWORK",
        "RATE_LIMIT_SIGN_UP_PER_IDENTITY",
        "RATE_LIMIT_INVITATIONS",
        "RATE_LIMIT_EMAIL_CHANGES",
        "RATE_LIMIT_DATA_REQUESTS",
        "RATE_LIMIT_DEVICE_TOKENS",
        "RATE_LIMIT_PAGE_VIEWS_PER_NETWORK",
        "RATE_LIMIT_INVITATION_LINKS_PER_NETWORK",
        "RATE_LIMIT_INGEST_PER_DEVICE",
        "RATE_LIMIT_INGEST_PER_MEMBER",
    )
}
LIMITED = [(e, p) for e in ENDPOINTS if e.limits for p in e.limits]


def _request(spec: EndpointSpec, *, network: int, user: str, device_token: str | None) -> func.HttpRequest:
    headers = {"X-Forwarded-For": f"198.51.100.{network}, 203.0.{network}.9"}  # the last entry: the front end's
    if device_token is not None:
        headers["Authorization"] = f"Bearer {device_token}"
        return http(spec.method, spec.route, raw=b"{}", headers=headers, params={"id": "x"})
    signed = None if spec.auth is Auth.OPTIONAL else user
    return http(
        spec.method,
        spec.route,
        user=signed,
        body={},
        headers=headers,
        route={"accountId": "acc-1", "token": "not.a-token"},
    )


@pytest.mark.parametrize(("spec", "policy"), LIMITED, ids=[f"{e.name}-{p.name}" for e, p in LIMITED])
def test_each_limited_endpoint_answers_429_with_retry_after_once_its_rate_is_spent(
    spec: EndpointSpec, policy: LimitPolicy
) -> None:
    team, limiter, store = Team(), FakeRateLimiter(), FakeDeviceStore()
    with on_fakes(team.root(unit_settings(**LOW), rate_limiter=limiter, devices=store)):
        token = None
        if spec.auth is Auth.DEVICE:
            made = run["create_device"](http("POST", "me/devices", user=MEMBER, body={"name": "Phone"}))
            token = answer(made, 201)["token"]
        caller = OWNER if "accountId" in spec.route else MEMBER

        def call(i: int) -> func.HttpResponse:
            # Per network: one network, a new identity each time (sign-up). Per caller: one caller, a new network.
            per_network = policy.per is Per.NETWORK
            user = f"{NEWCOMER}-{i}" if per_network and spec.auth is Auth.IDENTITY else caller
            answered: func.HttpResponse = run[spec.name](
                _request(spec, network=7 if per_network else 10 + i, user=user, device_token=token)
            )
            return answered

        answers = [call(i) for i in range(RATE)]
        assert all(a.status_code != 429 for a in answers), [a.get_body() for a in answers]
        response = call(RATE)
        doc = refused(response, 429, "too-many-requests")
        assert 1 <= int(response.headers["Retry-After"]) <= 60
        assert f"at most {RATE} in 1 minute" in doc["detail"]

        if policy.per is Per.NETWORK:
            other = _request(spec, network=8, user=f"{NEWCOMER}-x", device_token=token)
            assert run[spec.name](other).status_code != 429  # another network is not held back


def test_the_sign_up_limit_per_network_counts_before_the_token_is_looked_at() -> None:
    team, limiter = Team(), FakeRateLimiter()
    with on_fakes(team.root(unit_settings(**LOW), rate_limiter=limiter)):
        unsigned = http("POST", "accounts", body={}, headers={"X-Forwarded-For": "203.0.113.5"})
        for _ in range(RATE):
            refused(run["register_account"](unsigned), 401, "unauthenticated")
        response = run["register_account"](unsigned)
    refused(response, 429, "too-many-requests")
    assert json.loads(response.get_body())["status"] == 429
