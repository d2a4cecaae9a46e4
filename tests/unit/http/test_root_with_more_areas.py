"""Retention, billing and the e-mail pages through the composition root built from given ports
(core.bootstrap.root_with): their triggers call the root's use cases, which run on the fakes and build no adapter."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import azure.functions as func
from azure.functions.timer import TimerRequest

from core.adapters.tokens import JwksTokenVerifier
from core.bootstrap import root_with, serving
from core.domain.accounts import UserRecord
from core.domain.billing import BillingRecord, BillingStatus
from core.domain.events import RetentionChanged
from core.domain.identity import Role
from core.services.retention import Registry
from core.settings import Settings
from functions import billing, email, privacy
from tests.unit.fakes import FakeAccountStore, FakeClock, FakeReactions, FakeUserStore
from tests.unit.fakes_billing import FakeBillingStore, FakeStripe
from tests.unit.fakes_email import FakeEmailProfiles, FakeOutbox
from tests.unit.fakes_privacy import FakePrivacyStore
from tests.unit.http.conftest import ADMIN_ROLE, AUDIENCE, ISSUER, MEMBER, token, triggers
from tests.unit.test_coarsening_service import FakeCoarseHistory

AT = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
ACCOUNT = "acc-7"
AZURE_CLIENTS = {"cosmos_client", "database", "queue_service", "blob_service", "privacy_blob_service", "credential"}
SETTINGS = Settings(AUTH_ISSUER=ISSUER, AUTH_AUDIENCE=AUDIENCE, AUTH_ADMIN_ROLE=ADMIN_ROLE)


def _owner() -> FakeUserStore:
    users = FakeUserStore()
    users.create_user(UserRecord(user_id=MEMBER, account_id=ACCOUNT, role=Role.OWNER, created_at=AT))
    return users


def _request(
    method: str,
    url: str,
    *,
    route: dict[str, str],
    body: dict[str, object] | None = None,
    headers: dict[str, str] | None = None,
) -> func.HttpRequest:
    all_headers = {"Authorization": f"Bearer {token()}", "Content-Type": "application/json", **(headers or {})}
    return func.HttpRequest(
        method=method,
        url=url,
        headers=all_headers,
        params={},
        route_params=route,
        body=json.dumps(body).encode() if body is not None else b"",
    )


def test_retention_triggers_run_on_the_privacy_store_the_root_was_given(verifier: JwksTokenVerifier) -> None:
    accounts, reactions = FakeAccountStore(), FakeReactions()
    store = FakePrivacyStore(accounts)
    root = root_with(
        SETTINGS,
        token_verifier=verifier,
        users=_owner(),
        accounts=accounts,
        privacy=store,
        reactions=reactions,
        clock=FakeClock(AT),
    )
    run = triggers(privacy.bp)
    route = {"accountId": ACCOUNT}
    with serving(root):
        changed = run["update_retention"](
            _request("PUT", f"/api/accounts/{ACCOUNT}/retention", route=route, body={"locationDays": 30})
        )
        read = run["get_retention"](_request("GET", f"/api/accounts/{ACCOUNT}/retention", route=route))

    assert changed.status_code == 200, changed.get_body()
    assert store.retention[ACCOUNT].location_days == 30  # written to the given store
    assert reactions.raised == [RetentionChanged(account_id=ACCOUNT)]  # raised through the given reactions
    assert read.status_code == 200 and json.loads(read.get_body())["locationDays"] == 30
    assert not set(vars(root)) & AZURE_CLIENTS, "the root reached for an Azure client"


def test_the_billing_view_reads_the_billing_store_the_root_was_given(verifier: JwksTokenVerifier) -> None:
    clock = FakeClock(AT)
    store = FakeBillingStore()
    store.create_if_absent(
        BillingRecord(
            account_id=ACCOUNT,
            customer_id="cus_1",
            status=BillingStatus.PAST_DUE,
            status_since=AT,
            created_at=AT,
            updated_at=AT,
        )
    )
    root = root_with(
        SETTINGS,
        token_verifier=verifier,
        users=_owner(),
        accounts=FakeAccountStore(),
        billing=store,
        stripe=FakeStripe(clock),
        outbox=FakeOutbox(),
        clock=clock,
    )
    with serving(root):
        answer = triggers(billing.bp)["get_billing"](
            _request("GET", f"/api/accounts/{ACCOUNT}/billing", route={"accountId": ACCOUNT})
        )

    assert answer.status_code == 200, answer.get_body()
    assert json.loads(answer.get_body())["status"] == "past_due"
    assert not set(vars(root)) & AZURE_CLIENTS, "the root reached for an Azure client"


class PageRenderer:
    """Draws pages as a marker naming what it was given (renders no e-mail)."""

    def render(self, template: str, context: Any) -> Any:
        raise AssertionError("no e-mail is rendered by a page")

    def page(self, *, title: str, message: str, button: str | None = None) -> str:
        return f"<p>page {title} / {button}</p>"


def test_the_e_mail_pages_are_drawn_by_the_renderer_the_root_was_given(verifier: JwksTokenVerifier) -> None:
    root = root_with(
        SETTINGS,
        token_verifier=verifier,
        users=_owner(),
        accounts=FakeAccountStore(),
        email_profiles=FakeEmailProfiles(),
        outbox=FakeOutbox(),
        email_renderer=PageRenderer(),
        clock=FakeClock(AT),
    )
    with serving(root):
        page = triggers(email.bp)["show_unsubscribe"](
            _request("GET", "/api/email/unsubscribe/tok", route={"token": "tok"})
        )

    assert page.status_code == 200, page.get_body()
    assert page.get_body() == b"<p>page Unsubscribe / Unsubscribe</p>"
    assert page.headers["Content-Type"].startswith("text/html")
    assert not set(vars(root)) & AZURE_CLIENTS, "the root reached for an Azure client"


def test_the_purge_timer_runs_on_the_registry_and_stores_the_root_was_given() -> None:
    accounts = FakeAccountStore()
    store = FakePrivacyStore(accounts)
    root = root_with(
        SETTINGS,
        accounts=accounts,
        privacy=store,
        coarse_history=FakeCoarseHistory(),
        personal_data=Registry(kinds=[], expected=("given-kind",)),
        clock=FakeClock(AT),
    )
    with serving(root):
        timer: dict[str, Any] = triggers(privacy.bp)  # the timer trigger takes a TimerRequest, not an HttpRequest
        timer["purge_expired_data"](TimerRequest(past_due=False))

    [run] = store.runs.values()  # recorded in the given store, walking the given registry
    assert run.complete_pass and run.gaps == ["given-kind"] and run.started_at == AT
    assert not set(vars(root)) & AZURE_CLIENTS, "the root reached for an Azure client"
