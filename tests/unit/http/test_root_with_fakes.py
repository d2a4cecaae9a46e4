"""The composition root built from given ports (core.bootstrap.root_with): triggers, called as the Functions host
calls them, run their use cases on the fakes and build no adapter."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.functions as func
import pytest

from core.adapters.tokens import JwksTokenVerifier
from core.bootstrap import Container, root_with, serving
from core.domain.accounts import UserRecord
from core.domain.events import ConsentChanged
from core.domain.identity import Role
from core.domain.policy import PolicyVersion
from core.settings import Settings
from functions import consent
from tests.unit.fakes import FakeAccountStore, FakeClock, FakeReactions, FakeUserStore
from tests.unit.fakes_email import FakePolicyStore
from tests.unit.fakes_tracking import FakeAccessLog, FakeConsentLedger
from tests.unit.http.conftest import MEMBER, token, triggers
from tests.unit.roots import ADMIN_ROLE, AUDIENCE, ISSUER

AT = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
AZURE_CLIENTS = {"cosmos_client", "database", "queue_service", "privacy_blob_service", "credential"}


def _request(
    method: str, url: str, body: dict[str, object] | None = None, route: dict[str, str] | None = None
) -> func.HttpRequest:
    headers = {"Authorization": f"Bearer {token()}", "Content-Type": "application/json"}
    return func.HttpRequest(
        method=method,
        url=url,
        headers=headers,
        params={},
        route_params=route or {},
        body=json.dumps(body).encode() if body is not None else b"",
    )


def test_a_trigger_runs_its_use_case_on_the_ports_the_root_was_given(verifier: JwksTokenVerifier) -> None:
    users, ledger, policies, clock = FakeUserStore(), FakeConsentLedger(), FakePolicyStore(), FakeClock(AT)
    reactions = FakeReactions()
    users.create_user(UserRecord(user_id=MEMBER, account_id="acc-7", role=Role.MEMBER, created_at=AT))
    policies.create_version(
        PolicyVersion(
            version_id="2026-02-01",
            text="t",
            summary="s",
            posted_by="admin",
            posted_at=AT - timedelta(days=60),
            effective_at=AT - timedelta(days=30),
        )
    )
    root = root_with(
        Settings(AUTH_ISSUER=ISSUER, AUTH_AUDIENCE=AUDIENCE, AUTH_ADMIN_ROLE=ADMIN_ROLE),
        token_verifier=verifier,
        users=users,
        consents=ledger,
        reactions=reactions,
        policy=policies,
        clock=clock,
        accounts=FakeAccountStore(),
        access_log=FakeAccessLog(),
    )
    run = triggers(consent.bp)
    with serving(root):
        granted = run["set_consent"](
            _request(
                "PUT",
                "/api/me/consents/location",
                route={"capability": "location"},
                body={"granted": True, "deviceId": "phone-1", "appVersion": "2.1.0"},
            )
        )
        read = run["get_consents"](_request("GET", "/api/me/consents"))

    assert granted.status_code == 200, granted.get_body()
    state = json.loads(granted.get_body())
    # The given clock and policy store decided the entry (not the system clock or the seed version).
    assert state["granted"] is True and state["policyVersion"] == "2026-02-01"
    assert state["since"].startswith("2026-03-04T05:06:07")
    [entry] = ledger.entries  # appended to the given ledger, under the caller's account
    assert (entry.account_id, entry.user_id, entry.capability.value) == ("acc-7", MEMBER, "location")
    assert reactions.raised == [ConsentChanged(account_id="acc-7", user_id=MEMBER)]  # through the given reactions
    assert read.status_code == 200 and len(json.loads(read.get_body())["history"]) == 1
    assert not set(vars(root)) & AZURE_CLIENTS, "the root reached for an Azure client"


def test_a_port_the_root_does_not_have_is_refused() -> None:
    misspelt: dict[str, Any] = {"acounts": FakeAccountStore()}  # mypy refuses the name itself; the root too
    with pytest.raises(TypeError, match="no port named 'acounts'"):
        root_with(Settings(), **misspelt)
    assert isinstance(root_with(Settings()), Container)
