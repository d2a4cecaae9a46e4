"""In-memory fakes of the billing ports (BillingStore, StripeGateway, BillingNotifier) for unit tests."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from core.domain.billing import (
    BillingRecord,
    CustomerDetails,
    GraceMarker,
    ProcessedEvent,
    StripeCustomer,
    StripeInvoice,
    StripePaymentMethod,
    StripePlan,
    StripeSetupIntent,
    StripeSubscription,
)
from core.ports import Clock

_ids = itertools.count(1)


def _new_id(prefix: str) -> str:
    return f"{prefix}{next(_ids):06d}"


class FakeBillingStore:
    def __init__(self) -> None:
        self.records: dict[str, BillingRecord] = {}
        self.processed: dict[tuple[str, str], ProcessedEvent] = {}
        self.markers: dict[str, GraceMarker] = {}
        self.before_replace: list[object] = []  # callables run once before the next replace (to stage a race)

    def get(self, account_id: str) -> BillingRecord | None:
        return self.records.get(account_id)

    def create_if_absent(self, record: BillingRecord) -> bool:
        if record.account_id in self.records:
            return False
        self.records[record.account_id] = record
        return True

    def replace_if_unchanged(self, record: BillingRecord, *, expected: BillingRecord) -> bool:
        while self.before_replace:
            hook = self.before_replace.pop(0)
            assert callable(hook)
            hook()
        if self.records.get(record.account_id) != expected:
            return False
        self.records[record.account_id] = record
        return True

    def is_processed(self, account_id: str, event_id: str) -> bool:
        return (account_id, event_id) in self.processed

    def mark_processed(self, event: ProcessedEvent) -> bool:
        key = (event.account_id, event.event_id)
        if key in self.processed:
            return False
        self.processed[key] = event
        return True

    def put_grace_marker(self, marker: GraceMarker) -> None:
        self.markers[marker.account_id] = marker

    def delete_grace_marker(self, account_id: str) -> None:
        self.markers.pop(account_id, None)

    def grace_markers_before(self, cutoff: datetime, limit: int) -> list[GraceMarker]:
        return [m for m in self.markers.values() if m.past_due_since < cutoff][:limit]


class FakeStripe:
    """Stripe as the service sees it. `honour_idempotency=False` behaves like localstripe (keys ignored)."""

    def __init__(self, clock: Clock, *, honour_idempotency: bool = True) -> None:
        self.clock = clock
        self.honour_idempotency = honour_idempotency
        self.customers: dict[str, StripeCustomer] = {}
        self.emails: dict[str, str] = {}
        self.subscriptions: dict[str, StripeSubscription] = {}
        self.invoices: dict[str, StripeInvoice] = {}
        self.payment_methods: dict[str, StripePaymentMethod] = {}
        self.setup_intents: dict[str, StripeSetupIntent] = {}
        self.plans: dict[str, StripePlan] = {}
        self.by_key: dict[str, str] = {}
        self.calls: list[str] = []
        self.quantity_updates = 0
        self.unreachable = False
        self.on_find: list[object] = []  # callables run after the next find_customer (to stage a concurrent worker)

    def _call(self, name: str) -> None:
        if self.unreachable:
            raise ConnectionError("stripe unreachable")
        self.calls.append(name)

    # ---- customers
    def find_customer(self, *, account_id: str, email: str) -> StripeCustomer | None:
        self._call("find_customer")
        found = next(
            (
                c
                for c in self.customers.values()
                if c.account_id == account_id and self.emails.get(c.customer_id) == email and not c.deleted
            ),
            None,
        )
        while self.on_find:  # a concurrent worker that runs right after this search answered
            hook = self.on_find.pop(0)
            assert callable(hook)
            hook()
        return found

    def create_customer(self, details: CustomerDetails, *, idempotency_key: str) -> StripeCustomer:
        self._call("create_customer")
        if self.honour_idempotency and idempotency_key in self.by_key:
            return self.customers[self.by_key[idempotency_key]]
        c = StripeCustomer(customer_id=_new_id("cus_"), account_id=details.account_id)
        self.customers[c.customer_id] = c
        self.emails[c.customer_id] = details.email
        self.by_key[idempotency_key] = c.customer_id
        return c

    def get_customer(self, customer_id: str) -> StripeCustomer | None:
        self._call("get_customer")
        c = self.customers.get(customer_id)
        return None if c is None or c.deleted else c

    def delete_customer(self, customer_id: str) -> None:
        self._call("delete_customer")
        if customer_id in self.customers:
            self.customers[customer_id] = self.customers[customer_id].model_copy(update={"deleted": True})

    def live_customers(self, account_id: str) -> list[StripeCustomer]:
        return [c for c in self.customers.values() if c.account_id == account_id and not c.deleted]

    # ---- subscriptions
    def list_subscriptions(self, customer_id: str) -> list[StripeSubscription]:
        self._call("list_subscriptions")
        return [
            s
            for s in self.subscriptions.values()
            if s.customer_id == customer_id and s.status not in ("canceled", "incomplete_expired")
        ][::-1]

    def get_subscription(self, subscription_id: str) -> StripeSubscription | None:
        self._call("get_subscription")
        return self.subscriptions.get(subscription_id)

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
        self._call("create_subscription")
        if self.honour_idempotency and idempotency_key in self.by_key:
            return self.subscriptions[self.by_key[idempotency_key]]
        now = self.clock.now()
        sub = StripeSubscription(
            subscription_id=_new_id("sub_"),
            customer_id=customer_id,
            status="trialing" if trial_days > 0 else "active",
            item_id=_new_id("si_"),
            quantity=quantity,
            trial_end=now + timedelta(days=trial_days) if trial_days > 0 else None,
            current_period_end=now + timedelta(days=30),
        )
        self.subscriptions[sub.subscription_id] = sub
        self.by_key[idempotency_key] = sub.subscription_id
        return sub

    def set_quantity(self, subscription: StripeSubscription, quantity: int) -> StripeSubscription:
        self._call("set_quantity")
        self.quantity_updates += 1
        sub = self.subscriptions[subscription.subscription_id].model_copy(update={"quantity": quantity})
        self.subscriptions[sub.subscription_id] = sub
        return sub

    def cancel_subscription(self, subscription_id: str) -> str:
        self._call("cancel_subscription")
        sub = self.subscriptions.get(subscription_id)
        if sub is None:
            return "none"
        self.subscriptions[subscription_id] = sub.model_copy(update={"status": "canceled"})
        return "canceled"

    def set_status(self, subscription_id: str, status: str) -> None:
        self.subscriptions[subscription_id] = self.subscriptions[subscription_id].model_copy(update={"status": status})

    # ---- invoices and payment methods
    def get_invoice(self, invoice_id: str) -> StripeInvoice | None:
        self._call("get_invoice")
        return self.invoices.get(invoice_id)

    def invoice(self, subscription_id: str, *, status: str, failed: bool) -> StripeInvoice:
        """Stage an invoice as the subscription's latest (what Stripe does at renewal)."""
        sub = self.subscriptions[subscription_id]
        inv = StripeInvoice(
            invoice_id=_new_id("in_"), customer_id=sub.customer_id, status=status, payment_failed=failed
        )
        self.invoices[inv.invoice_id] = inv
        self.subscriptions[subscription_id] = sub.model_copy(update={"latest_invoice_id": inv.invoice_id})
        return inv

    def settle(self, invoice_id: str, *, status: str, failed: bool) -> None:
        self.invoices[invoice_id] = self.invoices[invoice_id].model_copy(
            update={"status": status, "payment_failed": failed}
        )

    def get_payment_method(self, payment_method_id: str) -> StripePaymentMethod | None:
        self._call("get_payment_method")
        return self.payment_methods.get(payment_method_id)

    # ---- setup intents
    def create_setup_intent(self, *, customer_id: str, account_id: str) -> str:
        self._call("create_setup_intent")
        seti = StripeSetupIntent(
            setup_intent_id=_new_id("seti_"), customer_id=customer_id, status="requires_payment_method"
        )
        self.setup_intents[seti.setup_intent_id] = seti
        return f"{seti.setup_intent_id}_secret_fake"

    def confirm_setup_intent(self, setup_intent_id: str, *, brand: str, last4: str) -> str:
        """What Stripe.js does in the browser: the card goes to Stripe, which answers a payment method id."""
        pm = StripePaymentMethod(payment_method_id=_new_id("pm_"), customer_id=None, brand=brand, last4=last4)
        self.payment_methods[pm.payment_method_id] = pm
        self.setup_intents[setup_intent_id] = self.setup_intents[setup_intent_id].model_copy(
            update={"status": "succeeded", "payment_method_id": pm.payment_method_id}
        )
        return pm.payment_method_id

    def get_plan(self, plan_id: str) -> StripePlan | None:
        self._call("get_plan")
        return self.plans.get(plan_id)

    def get_setup_intent(self, setup_intent_id: str) -> StripeSetupIntent | None:
        self._call("get_setup_intent")
        return self.setup_intents.get(setup_intent_id)

    def set_default_payment_method(self, *, customer_id: str, payment_method_id: str) -> None:
        self._call("set_default_payment_method")
        pm = self.payment_methods[payment_method_id]
        self.payment_methods[payment_method_id] = pm.model_copy(update={"customer_id": customer_id})
        self.customers[customer_id] = self.customers[customer_id].model_copy(
            update={"default_payment_method_id": payment_method_id}
        )


class FakeNotifier:
    def __init__(self) -> None:
        self.sent: dict[str, tuple[str, str, str | None]] = {}
        self.calls = 0

    def payment_failed(self, *, account_id: str, owner_user_id: str, dedupe_key: str, invoice_id: str | None) -> None:
        self.calls += 1
        self.sent.setdefault(dedupe_key, (account_id, owner_user_id, invoice_id))
