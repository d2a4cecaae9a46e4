"""Billing is optional per deployment: without STRIPE_SECRET_KEY (outside the local stack, where localstripe takes
any key) the composition root hands the billing use cases this gateway, and every call that would reach Stripe
answers 503 `billing-not-configured` instead of failing the whole app (health, sign-in and every other area keep
working). See docs/billing.md, "Billing not configured"."""

from __future__ import annotations

from typing import NoReturn

from core.domain.billing import (
    CustomerDetails,
    StripeCustomer,
    StripeInvoice,
    StripePaymentMethod,
    StripePlan,
    StripeSetupIntent,
    StripeSubscription,
)
from core.domain.errors import BillingNotConfigured

DETAIL = "STRIPE_SECRET_KEY is not set in this deployment (infra/README.md: stripeBillingEnabled)."


def _refuse() -> NoReturn:
    raise BillingNotConfigured(DETAIL)


class UnconfiguredStripeGateway:
    """A StripeGateway that refuses every call with BillingNotConfigured."""

    def find_customer(self, *, account_id: str, email: str) -> StripeCustomer | None:
        _refuse()

    def create_customer(self, details: CustomerDetails, *, idempotency_key: str) -> StripeCustomer:
        _refuse()

    def get_customer(self, customer_id: str) -> StripeCustomer | None:
        _refuse()

    def delete_customer(self, customer_id: str) -> None:
        _refuse()

    def list_subscriptions(self, customer_id: str) -> list[StripeSubscription]:
        _refuse()

    def get_subscription(self, subscription_id: str) -> StripeSubscription | None:
        _refuse()

    def create_subscription(
        self,
        *,
        customer_id: str,
        account_id: str,
        plan_id: str,
        quantity: int,
        trial_days: int,
        idempotency_key: str,
    ) -> StripeSubscription:
        _refuse()

    def set_quantity(self, subscription: StripeSubscription, quantity: int) -> StripeSubscription:
        _refuse()

    def cancel_subscription(self, subscription_id: str) -> str:
        _refuse()

    def get_invoice(self, invoice_id: str) -> StripeInvoice | None:
        _refuse()

    def get_payment_method(self, payment_method_id: str) -> StripePaymentMethod | None:
        _refuse()

    def create_setup_intent(self, *, customer_id: str, account_id: str) -> str:
        _refuse()

    def get_plan(self, plan_id: str) -> StripePlan | None:
        _refuse()

    def get_setup_intent(self, setup_intent_id: str) -> StripeSetupIntent | None:
        _refuse()

    def set_default_payment_method(self, *, customer_id: str, payment_method_id: str) -> None:
        _refuse()
