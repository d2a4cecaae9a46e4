"""The billing state machine (core/domain/billing_state.py) as pure functions: no store, no Stripe, no fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.domain.billing import (
    BillingRecord,
    BillingStatus,
    StripeCustomer,
    StripeInvoice,
    StripePaymentMethod,
    StripeSnapshot,
    StripeSubscription,
)
from core.domain.billing_state import (
    MAX_TRANSITIONS,
    apply_snapshot,
    is_overdue,
    suspend_if_overdue,
    target_status,
    to_public,
    transition,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GRACE = timedelta(days=7)


def record(status: BillingStatus = BillingStatus.ACTIVE, **kw: object) -> BillingRecord:
    return BillingRecord(
        account_id="acc-1",
        customer_id="cus_1",
        status=status,
        status_since=NOW - timedelta(days=30),
        created_at=NOW - timedelta(days=30),
        updated_at=NOW - timedelta(days=30),
        **kw,
    )


def snapshot(
    status: str | None, *, failed: bool = False, trial_end: datetime | None = None, card: bool = False
) -> StripeSnapshot:
    sub = (
        None
        if status is None
        else StripeSubscription(
            subscription_id="sub_1",
            customer_id="cus_1",
            status=status,
            item_id="si_1",
            quantity=3,
            trial_end=trial_end,
            latest_invoice_id="in_1",
        )
    )
    invoice = (
        StripeInvoice(
            invoice_id="in_1", customer_id="cus_1", status="open" if failed else "paid", payment_failed=failed
        )
        if sub is not None
        else None
    )
    pm = (
        StripePaymentMethod(payment_method_id="pm_1", customer_id="cus_1", brand="visa", last4="4242") if card else None
    )
    return StripeSnapshot(
        customer=StripeCustomer(customer_id="cus_1", account_id="acc-1"),
        subscription=sub,
        latest_invoice=invoice,
        payment_method=pm,
    )


@pytest.mark.parametrize(
    ("stripe", "failed", "expected"),
    [
        (None, False, None),
        ("active", False, BillingStatus.ACTIVE),
        ("active", True, BillingStatus.PAST_DUE),  # the latest invoice failed although Stripe still says active
        ("trialing", False, BillingStatus.TRIALING),
        ("past_due", False, BillingStatus.PAST_DUE),
        ("unpaid", False, BillingStatus.PAST_DUE),
        ("paused", False, BillingStatus.PAST_DUE),
        ("canceled", True, BillingStatus.CANCELED),  # over is over, whatever the invoice says
        ("incomplete_expired", False, BillingStatus.CANCELED),
        ("something-new", False, None),
    ],
)
def test_what_stripe_s_state_means(stripe: str | None, failed: bool, expected: BillingStatus | None) -> None:
    assert target_status(snapshot(stripe, failed=failed), NOW) is expected


def test_incomplete_is_a_trial_until_the_trial_ends() -> None:
    assert target_status(snapshot("incomplete", trial_end=NOW + timedelta(days=1)), NOW) is BillingStatus.TRIALING
    assert target_status(snapshot("incomplete", trial_end=NOW), NOW) is BillingStatus.PAST_DUE
    assert target_status(snapshot("incomplete"), NOW) is BillingStatus.PAST_DUE


def test_a_transition_records_its_cause_and_the_same_status_changes_nothing() -> None:
    r = record()
    assert transition(r, BillingStatus.ACTIVE, cause="again", now=NOW) is r
    moved = transition(r, BillingStatus.PAST_DUE, cause="evt_1", now=NOW)
    assert (moved.status, moved.status_since, moved.past_due_since, moved.updated_at) == (
        BillingStatus.PAST_DUE,
        NOW,
        NOW,
        NOW,
    )
    last = moved.transitions[-1]
    assert (last.from_status, last.to_status, last.cause, last.at) == (
        BillingStatus.ACTIVE,
        BillingStatus.PAST_DUE,
        "evt_1",
        NOW,
    )
    suspended = transition(moved, BillingStatus.SUSPENDED, cause="timer", now=NOW + GRACE)
    assert suspended.past_due_since == NOW  # the grace period's start stays while suspended
    paid = transition(suspended, BillingStatus.ACTIVE, cause="evt_2", now=NOW + GRACE * 2)
    assert paid.past_due_since is None and len(paid.transitions) == 3


def test_the_history_is_bounded() -> None:
    r = record()
    for i in range(MAX_TRANSITIONS + 5):
        r = transition(r, BillingStatus.PAST_DUE if i % 2 == 0 else BillingStatus.ACTIVE, cause=str(i), now=NOW)
    assert len(r.transitions) == MAX_TRANSITIONS and r.transitions[-1].cause == str(MAX_TRANSITIONS + 4)


def test_applying_stripe_copies_the_facts_and_records_one_notice_per_failed_invoice() -> None:
    r = apply_snapshot(record(), snapshot("active", failed=True, card=True), cause="evt_1", now=NOW)
    assert r.status is BillingStatus.PAST_DUE and (r.seats, r.subscription_id, r.last_invoice_id) == (
        3,
        "sub_1",
        "in_1",
    )
    assert (r.payment_method_brand, r.payment_method_last4) == ("visa", "4242")
    assert r.payment_failed_notice is not None and r.payment_failed_notice.dedupe_key == "payment-failed-in_1"
    again = apply_snapshot(r, snapshot("active", failed=True, card=True), cause="evt_2", now=NOW + timedelta(hours=1))
    assert again == r  # the same failure again: no new transition, no new notice, not even updated_at


def test_a_suspended_account_stays_suspended_on_a_failure_until_stripe_says_paid() -> None:
    suspended = record(BillingStatus.SUSPENDED, past_due_since=NOW - GRACE * 2)
    still = apply_snapshot(suspended, snapshot("past_due", failed=True), cause="evt_3", now=NOW)
    assert still.status is BillingStatus.SUSPENDED and still.payment_failed_notice is None
    paid = apply_snapshot(suspended, snapshot("active"), cause="evt_4", now=NOW)
    assert paid.status is BillingStatus.ACTIVE and paid.past_due_since is None
    canceled = apply_snapshot(suspended, snapshot("canceled"), cause="evt_5", now=NOW)
    assert canceled.status is BillingStatus.CANCELED


def test_the_grace_period_ends_exactly_at_its_length() -> None:
    since = NOW - GRACE
    due = record(BillingStatus.PAST_DUE, past_due_since=since)
    assert is_overdue(due, grace=GRACE, now=NOW)
    assert not is_overdue(due, grace=GRACE, now=NOW - timedelta(seconds=1))
    assert suspend_if_overdue(due, grace=GRACE, now=NOW - timedelta(seconds=1)) is due
    suspended = suspend_if_overdue(due, grace=GRACE, now=NOW)
    assert suspended.status is BillingStatus.SUSPENDED and "7 days" in suspended.transitions[-1].cause
    for other in (
        record(BillingStatus.ACTIVE, past_due_since=since),
        record(BillingStatus.PAST_DUE),
        record(BillingStatus.SUSPENDED, past_due_since=since),
    ):
        assert not is_overdue(other, grace=GRACE, now=NOW) and suspend_if_overdue(other, grace=GRACE, now=NOW) is other


def test_the_owner_sees_when_the_grace_period_ends() -> None:
    due = record(BillingStatus.PAST_DUE, past_due_since=NOW)
    assert to_public(due, grace=GRACE).grace_ends_at == NOW + GRACE
    assert to_public(due).grace_ends_at is None  # no policy given: nothing promised
    assert to_public(record(), grace=GRACE).grace_ends_at is None
    assert to_public(record().model_copy(update={"customer_id": ""})).status_since is None  # no billing set up yet
