"""What the area tests on a root of fakes share (tests/unit/http/test_areas_on_fakes*.py): an account with its owner
and a member in fake stores, requests and queue messages shaped as the Functions host hands them over, and the
check that the root built no Azure client."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Unpack

import azure.functions as func
from azure.functions.queue import QueueMessage
from azure.functions.timer import TimerRequest

from core.bootstrap import Container, Ports, serving
from core.domain.accounts import Account, BillingAddress, Member, UserRecord
from core.domain.identity import Role
from core.settings import Settings
from tests.unit.fakes import FakeAccountStore, FakeClock, FakeUserStore, fake_token
from tests.unit.roots import fake_root

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ACCOUNT = "acc-1"
OWNER, MEMBER, NEWCOMER, ADMIN = "user-owner", "user-member", "user-new", "user-admin"
# The root's builders of SDK clients (core/bootstrap/clients.py, privacy.py) and of the gate's undecorated stores.
AZURE_CLIENTS = frozenset(
    {
        "cosmos_client",
        "database",
        "queue_service",
        "blob_service",
        "privacy_blob_service",
        "data_request_queue",
        "_privacy_source",
        "_consent_source",
        "_schedule_source",
        "_zone_source",
        "_billing_source",
    }
)


class Team:
    """Account ACCOUNT with its owner and one member, in the fake stores the test reads; the fake clock at AT."""

    def __init__(self) -> None:
        self.clock = FakeClock(AT)
        self.accounts = FakeAccountStore()
        self.users = FakeUserStore()
        self.accounts.put_account(
            Account(
                account_id=ACCOUNT,
                owner_user_id=OWNER,
                company_name="Acme Works",
                billing_address=BillingAddress(
                    line1="1 Main St", city="Springfield", postal_code="12345", country="US"
                ),
                time_zone="America/Chicago",
                created_at=AT,
            )
        )
        for user_id, role in ((OWNER, Role.OWNER), (MEMBER, Role.MEMBER)):
            self.accounts.put_member(
                Member(
                    account_id=ACCOUNT,
                    user_id=user_id,
                    role=role,
                    full_name=f"Name of {user_id}",
                    email=f"{user_id}@example.com",
                    time_zone="America/Chicago",
                    joined_at=AT,
                    updated_at=AT,
                )
            )
            self.users.create_user(UserRecord(user_id=user_id, account_id=ACCOUNT, role=role, created_at=AT))

    def root(self, settings: Settings | None = None, **ports: Unpack[Ports]) -> Container:
        """A root of fakes holding this team (and the given ports)."""
        mine: Ports = {"clock": self.clock, "accounts": self.accounts, "users": self.users}
        mine.update(ports)
        return fake_root(settings, **mine)


@contextmanager
def on_fakes(root: Container) -> Iterator[Container]:
    """`root` serves the triggers while the block runs; afterwards it must not have built an Azure client."""
    with serving(root):
        yield root
    built = AZURE_CLIENTS & set(vars(root))
    assert not built, f"the root of fakes built {sorted(built)}"


def triggers(*blueprints: func.Blueprint) -> dict[str, Callable[..., Any]]:
    """Each registered function by name, as the host finds it (HTTP, queue and timer triggers alike)."""
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
    for bp in blueprints:
        app.register_functions(bp)
    return {str(f.get_function_name()): f.get_user_function() for f in app.get_functions()}


def http(
    method: str,
    path: str,
    *,
    user: str | None = None,
    admin: bool = False,
    body: Any = None,
    raw: bytes | None = None,
    route: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> func.HttpRequest:
    """A request as the host hands it over: `user` signs it with a fake bearer token, `body` is sent as JSON."""
    all_headers = dict(headers or {})
    if user is not None:
        all_headers["Authorization"] = f"Bearer {fake_token(user, admin=admin)}"
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    if body is not None:
        all_headers.setdefault("Content-Type", "application/json")
    return func.HttpRequest(
        method=method,
        url=f"https://api.industrack.test/api/{path}",
        headers=all_headers,
        params=params or {},
        route_params=route or {},
        body=data,
    )


def message(body: str | bytes, *, dequeue_count: int = 1) -> QueueMessage:
    """A queue message as the host hands it over (the host's own class, with its dequeue count)."""
    return QueueMessage(id="msg-1", body=body, dequeue_count=dequeue_count)  # type: ignore[no-untyped-call]  # the host's class has no annotations


def timer() -> TimerRequest:
    return TimerRequest(past_due=False)


def answer(response: func.HttpResponse, status: int) -> Any:
    """The JSON body of a response with this status (the body is shown when the status differs)."""
    assert response.status_code == status, response.get_body()
    return json.loads(response.get_body()) if response.get_body() else None


def refused(response: func.HttpResponse, status: int, code: str) -> dict[str, Any]:
    """The problem document of a refusal with this status and problem type."""
    doc: dict[str, Any] = answer(response, status)
    assert response.headers["Content-Type"] == "application/problem+json"
    assert doc["type"] == f"https://industrack.com/problems/{code}", doc
    return doc
