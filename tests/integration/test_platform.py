"""The platform contract: health, OpenAPI, problem+json errors, queue retries and poison, timers via admin."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from azure.storage.queue import QueueClient

from core.adapters.cosmos import CosmosAccountStore, build_cosmos_client
from core.domain.accounts import Invitation, InvitationStatus
from functions._openapi import openapi_path
from tests.helpers import app_functions, wait_for
from tests.integration.conftest import Stack, User

PROBLEM = "application/problem+json"


def test_health_reports_each_dependency(api: httpx.Client) -> None:
    r = api.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "dependencies": {"cosmos": "ok", "storage": "ok"}}


def test_openapi_covers_every_http_function(api: httpx.Client) -> None:
    doc = api.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    for fn in app_functions():
        binding = fn.get_trigger().get_dict_repr()
        # the two catch-alls are not operations: unknown routes (404) and CORS preflights (functions/_cors.py)
        if binding["type"] != "httpTrigger" or fn.get_function_name() in {"unknown_route", "cors_preflight"}:
            continue
        for method in binding["methods"]:
            key = (openapi_path(binding["route"]), str(getattr(method, "value", method)).upper())
            assert key in documented, f"{key} missing from the OpenAPI document"


def test_unknown_route_is_a_problem_404(api: httpx.Client) -> None:
    for method in ("GET", "POST", "DELETE"):
        r = api.request(method, "/no/such/thing")
        assert r.status_code == 404
        assert r.headers["content-type"] == PROBLEM
        assert r.json()["type"].endswith("/not-found")


def test_body_over_limit_is_413_before_parsing(api: httpx.Client, owner: User, stack: Stack) -> None:
    big = b'{"fullName": "' + b"x" * (stack.settings.max_body_bytes + 10) + b'"}'
    r = api.patch("/me", content=big, headers={**owner.auth, "Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.headers["content-type"] == PROBLEM
    assert api.get("/me", headers=owner.auth).json()["fullName"] == "Ada Owner"


def test_wrong_content_type_is_415(api: httpx.Client, owner: User) -> None:
    r = api.patch(
        "/me", content=b"fullName=x", headers={**owner.auth, "Content-Type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code == 415
    assert r.json()["type"].endswith("/unsupported-media-type")


def test_malformed_json_names_the_body(api: httpx.Client, owner: User) -> None:
    for raw in (b"{not json", b"\xff\xfe{}"):
        r = api.patch("/me", content=raw, headers={**owner.auth, "Content-Type": "application/json"})
        assert r.json()["errors"][0]["field"] == "body"
    for raw in (b"{not json", b'{"fullName": NaN}', b'{"phone": Infinity}', b"\xff\xfe{}"):
        r = api.patch("/me", content=raw, headers={**owner.auth, "Content-Type": "application/json"})
        assert r.status_code == 422, raw
        assert r.json()["errors"], raw
        assert "Traceback" not in r.text


def test_failing_queue_message_retries_then_lands_in_poison(stack: Stack) -> None:
    conn = stack.settings.storage_connection_string
    assert conn is not None
    name = f"account-events-{stack.suffix}"
    queue = QueueClient.from_connection_string(conn.get_secret_value(), name)
    poison = QueueClient.from_connection_string(conn.get_secret_value(), f"{name}-poison")
    marker = f"not-an-event-{uuid.uuid4().hex}"
    queue.send_message(base64.b64encode(json.dumps({"junk": marker}).encode()).decode())

    def poisoned() -> bool:
        return any(marker in base64.b64decode(m.content).decode() for m in poison.peek_messages(max_messages=32))

    wait_for(poisoned, timeout=120, what="the message to reach the poison queue")
    log = stack.host_log()
    assert log.count("function=process_account_event") >= 5  # maxDequeueCount attempts before poisoning
    assert "moved to" in log


def test_queue_function_records_account_events(api: httpx.Client, owner: User, stack: Stack) -> None:
    store = CosmosAccountStore(build_cosmos_client(stack.settings).get_database_client(stack.settings.cosmos_database))
    events = wait_for(lambda: store.list_events(owner.account_id), timeout=90, what="the account.registered event")
    assert [e.type.value for e in events] == ["account.registered"]


def test_timer_fired_through_admin_endpoint_expires_invitations(api: httpx.Client, owner: User, stack: Stack) -> None:
    store = CosmosAccountStore(build_cosmos_client(stack.settings).get_database_client(stack.settings.cosmos_database))
    past = datetime.now(UTC) - timedelta(days=10)
    stale = Invitation(
        invitation_id=str(uuid.uuid4()),
        account_id=owner.account_id,
        email="late@example.com",
        invited_by=owner.user_id,
        created_at=past,
        expires_at=past + timedelta(hours=1),
    )
    store.create_invitation(stale)
    r = httpx.post(f"{stack.host_url}/admin/functions/expire_invitations", json={})
    assert r.status_code == 202

    def expired() -> bool:
        current = store.get_invitation(owner.account_id, stale.invitation_id)
        return current is not None and current.status is InvitationStatus.EXPIRED

    wait_for(expired, timeout=90, what="the invitation to be marked expired")
    assert httpx.post(f"{stack.host_url}/admin/functions/no_such_function").status_code == 404
