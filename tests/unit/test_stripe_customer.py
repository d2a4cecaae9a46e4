"""The Stripe customer's billing identity: which name and address the service picks, and exactly what the adapter
sends to Stripe (no emulator: a stand-in for the Stripe library's client records the call)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from core.adapters.stripe_billing import ACCOUNT_METADATA, StripeBillingGateway
from core.domain.accounts import BillingAddress
from core.domain.billing import CustomerDetails, StripeCustomer
from tests.unit.fakes import FakeClock
from tests.unit.fakes_billing import FakeStripe
from tests.unit.test_billing_service import World


class Customers:
    def __init__(self) -> None:
        self.created: list[tuple[dict[str, Any], dict[str, Any]]] = []

    def create(self, *, params: dict[str, Any], options: dict[str, Any]) -> Any:
        self.created.append((params, options))
        return SimpleNamespace(to_dict=lambda: {"id": "cus_1", "metadata": params["metadata"]})


def _gateway() -> tuple[StripeBillingGateway, Customers]:
    customers = Customers()
    client: Any = SimpleNamespace(v1=SimpleNamespace(customers=customers))
    return StripeBillingGateway(client), customers


def test_the_adapter_sends_name_email_full_address_and_the_account_id() -> None:
    gateway, customers = _gateway()
    details = CustomerDetails(
        account_id="acc-1",
        name="Field Co",
        email="ada@example.com",
        line1="1 Main St",
        line2="Suite 5",
        city="Plymouth",
        state="MN",
        postal_code="55441",
        country="US",
    )
    got = gateway.create_customer(details, idempotency_key="customer-acc-1")
    [(params, options)] = customers.created
    assert params == {
        "name": "Field Co",
        "email": "ada@example.com",
        "address": {
            "line1": "1 Main St",
            "line2": "Suite 5",
            "city": "Plymouth",
            "state": "MN",
            "postal_code": "55441",
            "country": "US",
        },
        "metadata": {ACCOUNT_METADATA: "acc-1"},
    }
    assert options == {"idempotency_key": "customer-acc-1"}
    assert got == StripeCustomer(customer_id="cus_1", account_id="acc-1")


def test_optional_address_lines_are_left_out_not_sent_empty() -> None:
    gateway, customers = _gateway()
    gateway.create_customer(
        CustomerDetails(
            account_id="acc-1",
            name="Ada",
            email="a@example.com",
            line1="1 Main",
            city="Paris",
            postal_code="75001",
            country="FR",
        ),
        idempotency_key="k",
    )
    [(params, _)] = customers.created
    assert params["address"] == {"line1": "1 Main", "city": "Paris", "postal_code": "75001", "country": "FR"}


class RecordingStripe(FakeStripe):
    """The fake Stripe of the billing tests, keeping the details each customer was created with."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.details: list[CustomerDetails] = []

    def create_customer(self, details: CustomerDetails, *, idempotency_key: str) -> StripeCustomer:
        self.details.append(details)
        return super().create_customer(details, idempotency_key=idempotency_key)


@pytest.mark.parametrize(("company", "name"), [("Field Co", "Field Co"), (None, "Owner Full Name")])
def test_the_customer_is_the_company_else_the_owner_with_the_billing_address(company: str | None, name: str) -> None:
    w = World()
    account = w.accounts.get_account(w.account_id)
    assert account is not None
    w.accounts.put_account(
        account.model_copy(
            update={
                "company_name": company,
                "billing_address": BillingAddress(
                    line1="9 Elm", line2="Floor 2", city="Austin", state="TX", postal_code="78701", country="US"
                ),
            }
        )
    )
    owner = w.accounts.get_member(w.account_id, "owner")
    assert owner is not None
    w.accounts.put_member(owner.model_copy(update={"full_name": "Owner Full Name", "email": "boss@example.com"}))
    w.stripe = stripe = RecordingStripe(w.clock)
    w.register()
    [details] = stripe.details
    assert details == CustomerDetails(
        account_id=w.account_id,
        name=name,
        email="boss@example.com",
        line1="9 Elm",
        line2="Floor 2",
        city="Austin",
        state="TX",
        postal_code="78701",
        country="US",
    )
