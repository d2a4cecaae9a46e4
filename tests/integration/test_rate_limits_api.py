"""Abuse limits through a real host (docs/abuse-limits.md): a second host on the session's database whose limits are
set low (RATE_LIMIT_*=3/d) answers each limited call past its rate with 429 problem+json and Retry-After, per
network (X-Forwarded-For, as Azure's front end writes it) and per caller, with the counters in the `rate-limits`
container; the session's own host (default limits) serves a busy day of ordinary use without one 429.

The setup (owners, members, consents) goes through the session's host; only the counted calls go to the low host.
Day windows: a test that straddles midnight UTC could see its counter start afresh (it then fails loudly)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from core import schema
from core.adapters.cosmos import build_cosmos_client
from core.adapters.queues import build_queue_service
from core.settings import Settings
from devhost.launch import start_local_host
from tests.helpers import rid
from tests.integration.conftest import (
    ROOT,
    Stack,
    User,
    add_member,
    new_identity,
    register_owner,
    registration_body,
)
from tests.integration.test_devices_api import basic, make_device
from tests.integration.tracking_helpers import ping, set_location_consent

RATE = 3
LIMIT_SETTINGS = (
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


@pytest.fixture(scope="module")
def low(stack: Stack) -> Iterator[httpx.Client]:
    """A second host on the session's database with every limit at RATE a day, and queues of its own."""
    tag = rid("r")[:7]
    queues = {q.setting: f"{q.default_name}-{stack.suffix}-{tag}" for q in schema.QUEUES}
    env = {**os.environ, **queues, **dict.fromkeys(LIMIT_SETTINGS, f"{RATE}/d")}
    service = build_queue_service(Settings())
    names = [n for name in queues.values() for n in (name, schema.poison_queue_name(name))]
    for name in names:
        service.create_queue(name)
    host = start_local_host(log_path=ROOT / ".local" / "logs" / f"devhost-test-{stack.suffix}-{tag}.log", env=env)
    try:
        host.wait_until_answering()
        with httpx.Client(base_url=host.api, timeout=30) as client:
            yield client
    finally:
        host.stop()
        for name in names:
            with contextlib.suppress(Exception):
                service.delete_queue(name)


def _network() -> tuple[str, dict[str, str]]:
    """A network of this test's own (a /24 nobody else uses) and the header Azure's front end would add."""
    n = int(rid("")[-6:], 16)
    network = f"10.{n >> 16 & 255}.{n >> 8 & 255}"
    return network, {"X-Forwarded-For": f"{network}.77"}


def _seconds_to_midnight() -> float:
    now = datetime.now(UTC)
    return (datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1) - now).total_seconds()


def _refused_after_rate(calls: Callable[[int], httpx.Response], *ok: int) -> httpx.Response:
    """RATE calls answered with one of `ok`, then the next refused: 429 problem+json with Retry-After."""
    for i in range(RATE):
        r = calls(i)
        assert r.status_code in ok, (i, r.status_code, r.text)
    r = calls(RATE)
    assert r.status_code == 429, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"].endswith("/too-many-requests") and r.json()["status"] == 429
    retry_after = int(r.headers["Retry-After"])
    assert abs(retry_after - _seconds_to_midnight()) <= 60, retry_after  # the day's window ends at midnight UTC
    assert f"at most {RATE} in 1 day" in r.json()["detail"]
    return r


def test_sign_up_is_limited_per_network_before_the_token_is_checked(low: httpx.Client) -> None:
    _, xff = _network()

    def sign_up(_: int) -> httpx.Response:
        person = new_identity()
        return low.post("/accounts", json=registration_body(email=person.email), headers={**person.auth, **xff})

    _refused_after_rate(sign_up, 201)
    unsigned = low.post("/accounts", json=registration_body(), headers=xff)
    assert unsigned.status_code == 429  # refused before the token is looked at
    person = new_identity()
    _, elsewhere = _network()
    r = low.post("/accounts", json=registration_body(email=person.email), headers={**person.auth, **elsewhere})
    assert r.status_code == 201, r.text  # another network is not held back


def test_sign_up_is_limited_per_identity(low: httpx.Client) -> None:
    person = new_identity()

    def sign_up(_: int) -> httpx.Response:
        xff = _network()[1]  # a new network each time: only the identity's counter fills
        return low.post("/accounts", json=registration_body(email=person.email), headers={**person.auth, **xff})

    _refused_after_rate(sign_up, 201, 409)


def test_invitations_are_limited_per_principal(api: httpx.Client, low: httpx.Client) -> None:
    owner = register_owner(api)

    def invite(_: int) -> httpx.Response:
        body = {"email": f"{rid('inv-')}@example.com", "fullName": "Field Worker"}
        return low.post(f"/accounts/{owner.account_id}/invitations", json=body, headers=owner.auth)

    _refused_after_rate(invite, 201)
    other = register_owner(api)
    body = {"email": f"{rid('inv-')}@example.com", "fullName": "Field Worker"}
    assert low.post(f"/accounts/{other.account_id}/invitations", json=body, headers=other.auth).status_code == 201


def test_email_changes_and_verification_mails_share_one_limit_per_principal(
    api: httpx.Client, low: httpx.Client
) -> None:
    owner = register_owner(api)

    def change(i: int) -> httpx.Response:
        if i == 1:
            return low.post("/me/email-verification", headers=owner.auth)
        return low.patch("/me", json={"email": f"{rid('new-')}@example.com"}, headers=owner.auth)

    _refused_after_rate(change, 200, 202, 204)
    assert low.post("/me/email-verification", headers=owner.auth).status_code == 429
    assert api.get("/me", headers=owner.auth).status_code == 200  # reading is not limited


def test_data_requests_are_limited_per_principal(api: httpx.Client, low: httpx.Client) -> None:
    owner = register_owner(api)
    _refused_after_rate(
        lambda _: low.post("/me/data-requests", json={"type": "access"}, headers=owner.auth), 200, 201, 202
    )


def test_device_tokens_are_limited_per_principal(api: httpx.Client, low: httpx.Client) -> None:
    owner = register_owner(api)
    member = add_member(api, owner)
    _refused_after_rate(lambda i: low.post("/me/devices", json={"name": f"Phone {i}"}, headers=member.auth), 201)


def test_page_views_are_limited_per_network(low: httpx.Client) -> None:
    _, xff = _network()
    view = {"path": "/members", "consent": True}
    _refused_after_rate(lambda _: low.post("/analytics/page-views", json=view, headers=xff), 202)
    _, elsewhere = _network()
    assert low.post("/analytics/page-views", json=view, headers=elsewhere).status_code == 202


def _owntracks(t: datetime) -> dict[str, Any]:
    return {"_type": "location", "tst": int(t.timestamp()), "lat": 44.98, "lon": -93.27, "acc": 8}


def test_invitation_links_are_limited_per_network(low: httpx.Client) -> None:
    """The public join preview (issue 29) is read without a sign-in: a network trying tokens is stopped."""
    _, xff = _network()
    _refused_after_rate(lambda i: low.get(f"/invitations/guess-{i}.x", headers=xff), 410)
    _, elsewhere = _network()
    assert low.get("/invitations/guess.x", headers=elsewhere).status_code == 410


def test_ingest_is_limited_per_device_and_per_member(api: httpx.Client, low: httpx.Client) -> None:
    owner = register_owner(api)
    member = add_member(api, owner)
    set_location_consent(api, member, True)
    device_id, token = make_device(api, member)
    now = datetime.now(UTC)

    def device_call(i: int) -> httpx.Response:
        return low.post(
            "/ingest/owntracks", json=_owntracks(now + timedelta(seconds=i)), headers=basic(device_id, token)
        )

    _refused_after_rate(device_call, 200)
    other_id, other_token = make_device(api, member)  # the member's other phone has its own counter
    r = low.post("/ingest/owntracks", json=_owntracks(now), headers=basic(other_id, other_token))
    assert r.status_code == 200, r.text

    def member_call(i: int) -> httpx.Response:
        return low.post("/me/locations", json={"pings": [ping(now + timedelta(seconds=i), i)]}, headers=member.auth)

    _refused_after_rate(member_call, 202)


def test_the_counters_are_documents_that_expire_and_name_no_one(api: httpx.Client, low: httpx.Client) -> None:
    owner = register_owner(api)
    for i in range(2):
        assert low.post("/me/devices", json={"name": f"Phone {i}"}, headers=owner.auth).status_code == 201
    database = build_cosmos_client(Settings()).get_database_client(os.environ["COSMOS_DATABASE"])
    container = database.get_container_client(schema.RATE_LIMITS.name)
    assert container.read().get("defaultTtl") == -1
    docs = list(container.query_items("SELECT * FROM c", enable_cross_partition_query=True))
    mine = [d for d in docs if d["id"].startswith("device-tokens.86400.") and d["calls"] == 2]
    assert mine and all(d["ttl"] == 86400 + 60 for d in mine)
    assert not any(owner.user_id in str(d) for d in docs)


def test_a_busy_day_of_ordinary_use_never_meets_a_default_limit(api: httpx.Client) -> None:
    """The session's host runs with the default limits: an owner's busy day from one office network."""
    _, xff = _network()
    owner = register_owner(api)
    crew: list[User] = []
    for _ in range(8):
        body = {"email": f"{rid('crew-')}@example.com", "fullName": "Field Worker"}
        r = api.post(f"/accounts/{owner.account_id}/invitations", json=body, headers={**owner.auth, **xff})
        assert r.status_code == 201, r.text
    crew.append(add_member(api, owner))
    member = crew[0]
    set_location_consent(api, member, True)
    device_id, token = make_device(api, member)
    start = datetime.now(UTC) - timedelta(minutes=30)
    for i in range(60):  # a phone's backlog sent in one go after a dead zone
        r = api.post(
            "/ingest/owntracks", json=_owntracks(start + timedelta(seconds=20 * i)), headers=basic(device_id, token)
        )
        assert r.status_code == 200, r.text
    for i in range(60):
        r = api.post(
            "/me/locations", json={"pings": [ping(start + timedelta(seconds=20 * i + 5), i)]}, headers=member.auth
        )
        assert r.status_code == 202, r.text
    for i in range(100):  # the office clicking through the portal
        r = api.post("/analytics/page-views", json={"path": f"/page-{i % 7}", "consent": True}, headers=xff)
        assert r.status_code == 202, r.text
    for name in ("Ada Owner", "Ada B. Owner"):
        assert api.patch("/me", json={"fullName": name}, headers=owner.auth).status_code == 200
    assert api.post("/me/data-requests", json={"type": "access"}, headers=owner.auth).status_code in (200, 201, 202)
