"""Billing: the account's Stripe customer and per-seat subscription, its billing state machine, and what the
payment provider tells us about them.

Card data never reaches this backend: the card is collected by Stripe's own UI (a SetupIntent confirmed in the
browser), and only the brand and last four digits Stripe reports are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from core.domain.accounts import ApiModel, PublicModel


class BillingStatus(StrEnum):
    INCOMPLETE = "incomplete"  # a customer exists, no subscription yet (no trial configured and no card so far)
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"  # a payment failed: the grace period runs
    SUSPENDED = "suspended"  # the grace period ended unpaid: read-only, ingest refused, nothing deleted
    CANCELED = "canceled"


# Where the account is held back while its billing state is one of these.
INGEST_REFUSED: frozenset[BillingStatus] = frozenset({BillingStatus.SUSPENDED})


@dataclass(frozen=True)
class BillingPolicy:
    """The billing settings services need, read once from Settings by the container."""

    plan_id: str
    trial_days: int
    grace: timedelta
    signature_tolerance: timedelta = timedelta(minutes=5)


# ---------------------------------------------------------------- stored forms


class PaymentFailedNotice(BaseModel):
    """The owner must be told once that a payment failed. Recorded on the billing record when the account enters
    `past_due`; `queued_at` is set when the e-mail outbox accepted it (until then a sender may pick it up)."""

    dedupe_key: str
    invoice_id: str | None = None
    needed_at: datetime
    queued_at: datetime | None = None


class BillingTransition(BaseModel):
    """A change of billing status with what caused it (a Stripe event id, the grace timer, a request). Kept inside
    the billing record, so the status and its history are written together or not at all."""

    from_status: BillingStatus | None
    to_status: BillingStatus
    cause: str
    at: datetime


class BillingRecord(BaseModel):
    """One per account (`billing` container, id `billing-{accountId}`): Stripe ids, the state and what GET shows."""

    account_id: str
    customer_id: str
    subscription_id: str | None = None
    status: BillingStatus = BillingStatus.INCOMPLETE
    status_since: datetime
    past_due_since: datetime | None = None
    seats: int = 0
    trial_end: datetime | None = None
    current_period_end: datetime | None = None
    last_invoice_id: str | None = None
    last_invoice_status: str | None = None
    payment_method_brand: str | None = None
    payment_method_last4: str | None = None
    payment_failed_notice: PaymentFailedNotice | None = None
    transitions: list[BillingTransition] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime


class ProcessedEvent(BaseModel):
    """A Stripe event that was applied; a delivery of the same id again is ignored."""

    account_id: str
    event_id: str
    type: str
    outcome: str
    processed_at: datetime


class GraceMarker(BaseModel):
    """Platform-partition index of accounts in `past_due`, so the suspension timer reads one partition."""

    account_id: str
    past_due_since: datetime


# ---------------------------------------------------------------- what the payment provider reports


class CustomerDetails(BaseModel):
    """What the Stripe customer is created with: the account's billing identity."""

    account_id: str
    name: str
    email: str
    line1: str
    line2: str | None = None
    city: str
    state: str | None = None
    postal_code: str
    country: str


class StripeCustomer(BaseModel):
    customer_id: str
    account_id: str | None
    default_payment_method_id: str | None = None
    deleted: bool = False


class StripeSubscription(BaseModel):
    subscription_id: str
    customer_id: str
    status: str
    item_id: str | None
    quantity: int
    trial_end: datetime | None = None
    current_period_end: datetime | None = None
    latest_invoice_id: str | None = None


class StripePlan(BaseModel):
    """The price of a seat, as the payment provider holds it (a Stripe Plan)."""

    plan_id: str
    name: str | None
    unit_amount: int  # in the currency's minor unit (cents)
    currency: str  # ISO 4217, as Stripe writes it (lower case)
    interval: str  # day, week, month or year
    interval_count: int = 1


class StripeInvoice(BaseModel):
    invoice_id: str
    customer_id: str
    status: str | None
    payment_failed: bool


class StripePaymentMethod(BaseModel):
    payment_method_id: str
    customer_id: str | None
    brand: str | None = None
    last4: str | None = None


class StripeSetupIntent(BaseModel):
    setup_intent_id: str
    customer_id: str | None
    status: str
    payment_method_id: str | None = None


class StripeEvent(BaseModel):
    """The parts of a verified webhook event the service reads; everything else is read from Stripe itself."""

    event_id: str
    type: str
    object_type: str | None
    object_id: str | None
    customer_id: str | None


class StripeSnapshot(BaseModel):
    """The current state of an account's billing at Stripe, read in one go (never from an event's payload)."""

    customer: StripeCustomer
    subscription: StripeSubscription | None
    latest_invoice: StripeInvoice | None
    payment_method: StripePaymentMethod | None


# ---------------------------------------------------------------- answers


class PaymentMethodPublic(PublicModel):
    brand: str | None
    last4: str | None


class PlanPublic(PublicModel):
    """What a seat costs: the subscription's plan as the payment provider holds it."""

    name: str | None = Field(description="The plan's name (its nickname at the payment provider)")
    unit_amount: int = Field(
        alias="unitAmount", description="Price of one seat per interval, in the currency's minor unit (e.g. cents)"
    )
    currency: str = Field(description="ISO 4217 currency code, upper case")
    interval: str = Field(description="Billing interval: day, week, month or year")
    interval_count: int = Field(alias="intervalCount", description="Intervals per billing period (usually 1)")


class BillingPublic(PublicModel):
    account_id: str = Field(alias="accountId")
    status: BillingStatus
    status_since: datetime | None = Field(
        default=None,
        alias="statusSince",
        description="When the account entered this status (none before billing was set up)",
    )
    grace_ends_at: datetime | None = Field(
        default=None,
        alias="graceEndsAt",
        description="past_due: when the account is suspended unless paid; suspended: when the grace period ended",
    )
    seats: int
    trial_end: datetime | None = Field(alias="trialEnd")
    current_period_end: datetime | None = Field(alias="currentPeriodEnd")
    last_invoice_status: str | None = Field(alias="lastInvoiceStatus")
    payment_method: PaymentMethodPublic | None = Field(alias="paymentMethod")
    plan: PlanPublic | None = Field(
        default=None,
        description="The plan each seat is billed on, with its price and currency; null when billing is not configured"
        " here or the payment provider could not be reached",
    )


class SetupIntentPublic(PublicModel):
    client_secret: str = Field(
        alias="clientSecret",
        description="Hand to Stripe.js (confirmCardSetup) in the browser; the card goes to Stripe, never here.",
    )


class CardOnFile(ApiModel):
    """The SetupIntent Stripe.js just confirmed in the browser: its card becomes the account's default."""

    setup_intent_id: str = Field(
        alias="setupIntentId",
        min_length=6,
        max_length=255,
        pattern=r"^seti_[A-Za-z0-9_]+$",
        description="The id of a SetupIntent of this account that Stripe reports succeeded",
    )


class WebhookAnswer(PublicModel):
    received: bool = True
    outcome: str = Field(description="applied, duplicate or ignored (with the reason)")
