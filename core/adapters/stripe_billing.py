"""The Stripe adapter: the only module that imports `stripe`. Stripe objects in, domain models out.

It works against real Stripe and against localstripe (STRIPE_API_BASE), which differ in a few places this module
absorbs: localstripe serves Plans (not Prices), ignores idempotency keys, has no customer search, keeps the
current period on the subscription (Stripe now keeps it on the subscription item), links invoices to their
subscription with `subscription` (Stripe: `parent.subscription_details`), keeps a subscription in trial as
`incomplete` without `trial_end`, and does not attach the payment method of a confirmed SetupIntent to its
customer.

The stripe library's own logger is held at WARNING: at INFO it writes every request URL (query strings carry
e-mail addresses) and at DEBUG request and response bodies (client secrets).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import stripe

from core.domain.billing import (
    CustomerDetails,
    StripeCustomer,
    StripeInvoice,
    StripePaymentMethod,
    StripePlan,
    StripeSetupIntent,
    StripeSubscription,
)
from core.settings import Settings

logging.getLogger("stripe").setLevel(logging.WARNING)
log = logging.getLogger(__name__)

LOCALSTRIPE_BASE = "http://127.0.0.1:8420"
# Local development only (APP_ENVIRONMENT=local): localstripe accepts any `sk_...` key, so an unset key falls back
# to this placeholder there. In Azure the key comes from Key Vault and an empty one is refused by Stripe. The
# webhook secret has no fallback anywhere: without STRIPE_WEBHOOK_SECRET every webhook is refused.
LOCAL_API_KEY = "sk_test_localstripe"  # nosec B105 - a placeholder localstripe accepts, not a credential
ACCOUNT_METADATA = "accountId"
_GONE_STATUSES = ("canceled", "incomplete_expired")


def api_base(settings: Settings) -> str | None:
    if settings.stripe_api_base:
        return settings.stripe_api_base.rstrip("/")
    return LOCALSTRIPE_BASE if settings.is_local else None


def api_key(settings: Settings) -> str:
    key = settings.stripe_secret_key.get_secret_value()
    return key or (LOCAL_API_KEY if settings.is_local else "")


def webhook_secret(settings: Settings) -> str:
    return settings.stripe_webhook_secret.get_secret_value()


def build_client(settings: Settings) -> stripe.StripeClient:
    base = api_base(settings)
    return stripe.StripeClient(
        api_key(settings) or "sk_unset",  # an empty key is refused by the library at construction
        base_addresses={"api": base} if base else None,
        max_network_retries=2,
        http_client=stripe.RequestsClient(timeout=settings.stripe_timeout_seconds),
    )


def _d(obj: Any) -> dict[str, Any]:
    """A Stripe object as plain data (the library's objects are not dicts)."""
    data: dict[str, Any] = obj.to_dict()
    return data


def _p(params: dict[str, Any]) -> Any:
    """Parameters as the library's typed dicts (built as plain dicts here)."""
    return cast(Any, params)


def _ts(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if isinstance(value, int | float) and value else None


def _id(value: Any) -> str | None:
    """An expandable field: an id, or the expanded object's id."""
    if isinstance(value, str):
        return value
    if value is not None and hasattr(value, "get"):
        found = value.get("id")
        return found if isinstance(found, str) else None
    return None


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if obj is None or not hasattr(obj, "get"):
            return None
        obj = obj.get(key)
    return obj


def _is_missing(exc: stripe.StripeError) -> bool:
    return isinstance(exc, stripe.InvalidRequestError) and exc.http_status == 404


_T = TypeVar("_T")


def _unreachable_as_connection_error(cls: type[_T]) -> type[_T]:
    """Stripe unreachable, rate limiting or a Stripe server error become ConnectionError, which the HTTP layer
    answers with 503 (core/adapters/errors.py) and queue triggers retry; other Stripe errors stay as they are."""

    def wrap(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as exc:
                log.warning("Stripe call %s failed: %s", method.__name__, type(exc).__name__)
                raise ConnectionError("Stripe could not be reached") from exc

        return call

    for name, member in list(vars(cls).items()):
        if callable(member) and not name.startswith("_"):
            setattr(cls, name, wrap(member))
    return cls


@_unreachable_as_connection_error
class StripeBillingGateway:
    def __init__(self, client: stripe.StripeClient) -> None:
        self._s = client

    # ---- customers
    @staticmethod
    def _customer(obj: dict[str, Any]) -> StripeCustomer:
        metadata = obj.get("metadata") or {}
        return StripeCustomer(
            customer_id=obj["id"],
            account_id=metadata.get(ACCOUNT_METADATA),
            default_payment_method_id=_id(_get(obj, "invoice_settings", "default_payment_method")),
            deleted=bool(obj.get("deleted")),
        )

    def find_customer(self, *, account_id: str, email: str) -> StripeCustomer | None:
        # Listing by e-mail is consistent on Stripe and supported by localstripe (search is neither).
        page = self._s.v1.customers.list(params={"email": email, "limit": 100})
        for item in page.auto_paging_iter():
            obj = _d(item)
            if (obj.get("metadata") or {}).get(ACCOUNT_METADATA) == account_id and not obj.get("deleted"):
                return self._customer(obj)
        return None

    def create_customer(self, details: CustomerDetails, *, idempotency_key: str) -> StripeCustomer:
        address = {
            "line1": details.line1,
            "city": details.city,
            "postal_code": details.postal_code,
            "country": details.country,
        }
        if details.line2:
            address["line2"] = details.line2
        if details.state:
            address["state"] = details.state
        obj = self._s.v1.customers.create(
            params=_p(
                {
                    "name": details.name,
                    "email": details.email,
                    "address": address,
                    "metadata": {ACCOUNT_METADATA: details.account_id},
                }
            ),
            options={"idempotency_key": idempotency_key},
        )
        return self._customer(_d(obj))

    def get_customer(self, customer_id: str) -> StripeCustomer | None:
        try:
            obj = _d(self._s.v1.customers.retrieve(customer_id))
        except stripe.StripeError as exc:
            if _is_missing(exc):
                return None
            raise
        if obj.get("deleted"):
            return None
        return self._customer(obj)

    def delete_customer(self, customer_id: str) -> None:
        try:
            self._s.v1.customers.delete(customer_id)
        except stripe.StripeError as exc:
            if not _is_missing(exc):
                raise

    # ---- subscriptions
    @staticmethod
    def _subscription(obj: dict[str, Any]) -> StripeSubscription:
        items = _get(obj, "items", "data") or []
        item = items[0] if items else None
        period_end = obj.get("current_period_end") or (item.get("current_period_end") if item else None)
        trial_end = obj.get("trial_end")
        if not trial_end and obj.get("trial_period_days") and (obj.get("start_date") or obj.get("created")):
            # localstripe keeps only the requested trial length; Stripe answers trial_end itself.
            trial_end = int(obj.get("start_date") or obj["created"]) + int(obj["trial_period_days"]) * 86400
        return StripeSubscription(
            subscription_id=obj["id"],
            customer_id=_id(obj.get("customer")) or "",
            status=str(obj.get("status") or ""),
            item_id=item.get("id") if item else None,
            quantity=int((item.get("quantity") if item else None) or obj.get("quantity") or 0),
            trial_end=_ts(trial_end),
            current_period_end=_ts(period_end),
            latest_invoice_id=_id(obj.get("latest_invoice")),
        )

    def list_subscriptions(self, customer_id: str) -> list[StripeSubscription]:
        page = self._s.v1.subscriptions.list(params={"customer": customer_id, "limit": 100})
        subs = [self._subscription(_d(o)) for o in page.auto_paging_iter()]
        return [s for s in subs if s.status not in _GONE_STATUSES]

    def get_subscription(self, subscription_id: str) -> StripeSubscription | None:
        try:
            return self._subscription(_d(self._s.v1.subscriptions.retrieve(subscription_id)))
        except stripe.StripeError as exc:
            if _is_missing(exc):
                return None
            raise

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
        params: dict[str, Any] = {
            "customer": customer_id,
            "items": [{"plan": plan_id, "quantity": max(1, quantity)}],
            "metadata": {ACCOUNT_METADATA: account_id},
        }
        if trial_days > 0:
            params["trial_period_days"] = trial_days
        obj = self._s.v1.subscriptions.create(params=_p(params), options={"idempotency_key": idempotency_key})
        return self._subscription(_d(obj))

    def set_quantity(self, subscription: StripeSubscription, quantity: int) -> StripeSubscription:
        item: dict[str, Any] = {"quantity": max(1, quantity)}
        if subscription.item_id:
            item["id"] = subscription.item_id
        obj = self._s.v1.subscriptions.update(subscription.subscription_id, params=_p({"items": [item]}))
        return self._subscription(_d(obj))

    def cancel_subscription(self, subscription_id: str) -> str:
        current = self.get_subscription(subscription_id)
        if current is None:
            return "none"
        if current.status in _GONE_STATUSES:
            return "canceled"
        try:
            obj = _d(self._s.v1.subscriptions.cancel(subscription_id))
        except stripe.InvalidRequestError:
            # Canceled meanwhile (Stripe refuses to cancel twice): read what it is now.
            again = self.get_subscription(subscription_id)
            if again is not None and again.status in _GONE_STATUSES:
                return "canceled"
            raise
        status = str(obj.get("status") or "")
        return "canceled" if status in _GONE_STATUSES else status

    # ---- the plan (price per seat)
    def get_plan(self, plan_id: str) -> StripePlan | None:
        try:
            obj = _d(self._s.v1.plans.retrieve(plan_id))
        except stripe.StripeError as exc:
            if _is_missing(exc):
                return None
            raise
        product = obj.get("product")
        name = obj.get("nickname") or (_get(product, "name") if isinstance(product, dict) else None)
        return StripePlan(
            plan_id=obj["id"],
            name=name,
            unit_amount=int(obj.get("amount") or 0),
            currency=str(obj.get("currency") or ""),
            interval=str(obj.get("interval") or "month"),
            interval_count=int(obj.get("interval_count") or 1),
        )

    # ---- invoices and payment methods
    def get_invoice(self, invoice_id: str) -> StripeInvoice | None:
        try:
            obj = _d(self._s.v1.invoices.retrieve(invoice_id))
        except stripe.StripeError as exc:
            if _is_missing(exc):
                return None
            raise
        status = obj.get("status")
        # An open invoice that was attempted has had a payment fail (a successful attempt would have paid it).
        failed = status == "open" and bool(obj.get("attempted")) and int(obj.get("attempt_count") or 0) > 0
        return StripeInvoice(
            invoice_id=obj["id"], customer_id=_id(obj.get("customer")) or "", status=status, payment_failed=failed
        )

    def get_payment_method(self, payment_method_id: str) -> StripePaymentMethod | None:
        try:
            obj = _d(self._s.v1.payment_methods.retrieve(payment_method_id))
        except stripe.StripeError as exc:
            if _is_missing(exc):
                return None
            raise
        card = obj.get("card") or {}
        return StripePaymentMethod(
            payment_method_id=obj["id"],
            customer_id=_id(obj.get("customer")),
            brand=card.get("brand"),
            last4=card.get("last4"),
        )

    # ---- setup intents
    def create_setup_intent(self, *, customer_id: str, account_id: str) -> str:
        obj = _d(
            self._s.v1.setup_intents.create(
                params=_p(
                    {
                        "customer": customer_id,
                        "usage": "off_session",
                        "payment_method_types": ["card"],
                        "metadata": {ACCOUNT_METADATA: account_id},
                    }
                )
            )
        )
        secret = obj.get("client_secret")
        if not isinstance(secret, str):
            raise RuntimeError("Stripe answered a SetupIntent without a client secret")
        return secret

    def get_setup_intent(self, setup_intent_id: str) -> StripeSetupIntent | None:
        try:
            obj = _d(self._s.v1.setup_intents.retrieve(setup_intent_id))
        except stripe.StripeError as exc:
            if _is_missing(exc):
                return None
            raise
        return StripeSetupIntent(
            setup_intent_id=obj["id"],
            customer_id=_id(obj.get("customer")),
            status=str(obj.get("status") or ""),
            payment_method_id=_id(obj.get("payment_method")),
        )

    def set_default_payment_method(self, *, customer_id: str, payment_method_id: str) -> None:
        pm = _d(self._s.v1.payment_methods.retrieve(payment_method_id))
        if _id(pm.get("customer")) != customer_id:
            # Stripe attaches it when the SetupIntent (made for this customer) succeeds; localstripe does not.
            self._s.v1.payment_methods.attach(payment_method_id, params={"customer": customer_id})
        customer = _d(self._s.v1.customers.retrieve(customer_id))
        if _id(_get(customer, "invoice_settings", "default_payment_method")) != payment_method_id:
            self._s.v1.customers.update(
                customer_id, params=_p({"invoice_settings": {"default_payment_method": payment_method_id}})
            )


def ensure_plan(settings: Settings, *, amount_cents: int = 900, currency: str = "usd") -> bool:
    """Local provisioning: create the configured plan in localstripe when it is missing (localstripe keeps nothing
    across restarts). Answer whether it was created. In Azure the plan is created once in the Stripe dashboard."""
    client = build_client(settings)
    try:
        client.v1.plans.retrieve(settings.stripe_plan_id)
        return False
    except stripe.StripeError as exc:
        if not _is_missing(exc):
            raise
    client.v1.plans.create(
        params=_p(
            {
                "id": settings.stripe_plan_id,
                "amount": amount_cents,
                "currency": currency,
                "interval": "month",
                "product": {"name": "IndusTrack seat"},
                "nickname": "IndusTrack per-seat monthly",
            }
        )
    )
    return True
