"""Billing is optional per deployment: without Stripe secrets (or with Key Vault references that did not resolve)
the settings load, every other area works, and the billing use cases answer 503 `billing-not-configured`."""

from __future__ import annotations

import json

import azure.functions as func
import pytest

import core.bootstrap as bootstrap
from core.adapters.stripe_billing import StripeBillingGateway
from core.domain.errors import BillingNotConfigured, NotFound
from core.domain.identity import Principal, Role
from core.services import billing, billing_webhook
from core.services.billing_unconfigured import UnconfiguredStripeGateway
from core.settings import Settings
from tests.helpers import app_functions
from tests.unit.fakes_email import FakeOutbox
from tests.unit.test_billing_service import World

REFERENCE = "@Microsoft.KeyVault(VaultName=kv-x-dev;SecretName=stripe-secret-key)"


def azure_settings(**values: str) -> Settings:
    # `values` are str setting aliases (STRIPE_SECRET_KEY=...), but mypy also matches `**values` against the
    # non-str `_`-prefixed options of BaseSettings.__init__ (_case_sensitive, _env_prefix, ...)
    return Settings(APP_ENVIRONMENT="azure", COSMOS_ENDPOINT="https://cosmos.example", **values)  # type: ignore[arg-type]  # str aliases only, see the comment above


def test_settings_load_without_stripe_secrets_and_billing_is_not_configured() -> None:
    settings = azure_settings()
    assert not settings.billing_configured
    assert settings.stripe_secret_key.get_secret_value() == ""


def test_an_unresolved_stripe_reference_leaves_billing_unconfigured_instead_of_stopping_the_app() -> None:
    settings = azure_settings(STRIPE_SECRET_KEY=REFERENCE, STRIPE_WEBHOOK_SECRET=REFERENCE.replace("key", "whk"))
    assert not settings.billing_configured
    assert settings.stripe_webhook_secret.get_secret_value() == ""


def test_an_unresolved_token_signing_key_reference_still_stops_the_app() -> None:
    with pytest.raises(ValueError, match=r"TOKEN_SIGNING_KEY|token_signing_key"):
        azure_settings(TOKEN_SIGNING_KEY=REFERENCE)


def test_billing_is_configured_with_a_key_in_azure_and_always_on_the_local_stack() -> None:
    assert azure_settings(STRIPE_SECRET_KEY="sk_live_x").billing_configured
    assert Settings(APP_ENVIRONMENT="local").billing_configured


def test_the_container_hands_out_the_refusing_gateway_only_when_unconfigured() -> None:
    assert isinstance(bootstrap.Container(azure_settings()).stripe, UnconfiguredStripeGateway)
    assert isinstance(bootstrap.Container(azure_settings(STRIPE_SECRET_KEY="sk_live_x")).stripe, StripeBillingGateway)


def test_billing_use_cases_answer_billing_not_configured_and_stay_scoped() -> None:
    w = World()
    owner = Principal("owner", None, w.account_id, Role.OWNER)
    stranger = Principal("x", None, "acc-2", Role.OWNER)
    gateway = UnconfiguredStripeGateway()
    with pytest.raises(BillingNotConfigured) as refused:
        billing.setup_billing(
            principal=owner,
            account_id=w.account_id,
            accounts=w.accounts,
            billing=w.store,
            reactions=w.reactions,
            stripe=gateway,
            clock=w.clock,
            billing_policy=w.policy,
            billing_notifier=w.notifier,
        )
    assert refused.value.status == 503 and refused.value.code == "billing-not-configured"
    assert w.store.get(w.account_id) is None, "nothing stored"
    with pytest.raises(NotFound):  # another account's id still answers like a missing one
        billing.setup_billing(
            principal=stranger,
            account_id=w.account_id,
            accounts=w.accounts,
            billing=w.store,
            reactions=w.reactions,
            stripe=gateway,
            clock=w.clock,
            billing_policy=w.policy,
            billing_notifier=w.notifier,
        )
    with pytest.raises(BillingNotConfigured):
        billing_webhook.handle_webhook(
            payload=b"{}",
            signature="t=1,v1=00",
            stripe_webhook_secret="",
            accounts=w.accounts,
            billing=w.store,
            reactions=w.reactions,
            stripe=gateway,
            clock=w.clock,
            billing_policy=w.policy,
            billing_notifier=w.notifier,
            max_body_bytes=1_048_576,
        )


def test_the_webhook_route_answers_a_503_problem_when_billing_is_not_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Through the real HTTP trigger of function_app (functions/_http.py maps the error)."""
    deps = bootstrap.Container(azure_settings())
    w = World()
    deps.__dict__.update(accounts=w.accounts, billing=w.store, outbox=FakeOutbox())  # in-memory stores; refusing Stripe
    monkeypatch.setattr(bootstrap, "_container", deps)
    trigger = next(f for f in app_functions() if f.get_function_name() == "stripe_webhook")
    request = func.HttpRequest(
        method="POST",
        url="http://localhost/api/billing/webhook",
        body=b"{}",
        headers={"content-type": "application/json", "stripe-signature": "t=1,v1=00"},
    )
    response = trigger.get_user_function()(request)
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = json.loads(response.get_body())
    assert problem["type"].endswith("/billing-not-configured") and problem["status"] == 503
