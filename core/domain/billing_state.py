"""The billing state machine: what Stripe's current state means for an account, the moves between statuses with
their causes, the grace period and what the owner is shown. Pure (no I/O): the use cases in
core/services/billing.py read Stripe and the store, and store what these functions answer.

The status follows Stripe's current state (`target_status`), with two rules of our own: entering `past_due` starts
the grace period (and records the payment-failed notice once per failure), and a `suspended` account (grace ended
unpaid, set only by the timer through `suspend_if_overdue`) stays suspended on a new failure until Stripe says it is
paid or canceled.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from core.domain.billing import (
    BillingPublic,
    BillingRecord,
    BillingStatus,
    BillingTransition,
    PaymentFailedNotice,
    PaymentMethodPublic,
    PlanPublic,
    StripePlan,
    StripeSnapshot,
)

MAX_TRANSITIONS = 1000  # a safety bound on the history kept in the record (years of normal use)
ENDED = frozenset({"canceled", "incomplete_expired"})  # Stripe subscription statuses that mean it is over


def target_status(snapshot: StripeSnapshot, now: datetime) -> BillingStatus | None:
    """What Stripe's current state means for the account; None when it says nothing (no subscription yet)."""
    sub = snapshot.subscription
    if sub is None:
        return None
    failed = snapshot.latest_invoice is not None and snapshot.latest_invoice.payment_failed
    if sub.status in ENDED:
        return BillingStatus.CANCELED
    if sub.status in ("past_due", "unpaid", "paused") or failed:
        return BillingStatus.PAST_DUE
    if sub.status == "trialing":
        return BillingStatus.TRIALING
    if sub.status == "incomplete":
        # localstripe leaves a subscription in trial as `incomplete`; Stripe uses it for an unpaid first invoice.
        in_trial = sub.trial_end is not None and sub.trial_end > now
        return BillingStatus.TRIALING if in_trial else BillingStatus.PAST_DUE
    if sub.status == "active":
        return BillingStatus.ACTIVE
    return None


def transition(record: BillingRecord, to: BillingStatus, *, cause: str, now: datetime) -> BillingRecord:
    """Move to `to` and record why; the same status again changes nothing."""
    if record.status == to:
        return record
    history = [*record.transitions, BillingTransition(from_status=record.status, to_status=to, cause=cause, at=now)]
    update: dict[str, object] = {
        "status": to,
        "status_since": now,
        "transitions": history[-MAX_TRANSITIONS:],
        "updated_at": now,
    }
    if to is BillingStatus.PAST_DUE:
        update["past_due_since"] = now
    elif to is not BillingStatus.SUSPENDED:
        update["past_due_since"] = None
    return record.model_copy(update=update)


def apply_snapshot(record: BillingRecord, snapshot: StripeSnapshot, *, cause: str, now: datetime) -> BillingRecord:
    """The record after reading Stripe: the facts GET shows, and the status the state machine allows."""
    sub, invoice, pm = snapshot.subscription, snapshot.latest_invoice, snapshot.payment_method
    facts: dict[str, object] = {
        "payment_method_brand": pm.brand if pm else None,
        "payment_method_last4": pm.last4 if pm else None,
    }
    if sub is not None:
        facts.update(
            subscription_id=sub.subscription_id,
            seats=sub.quantity,
            trial_end=sub.trial_end,
            current_period_end=sub.current_period_end,
        )
    if invoice is not None:
        facts.update(last_invoice_id=invoice.invoice_id, last_invoice_status=invoice.status)
    updated = record.model_copy(update=facts)
    if updated != record:
        updated = updated.model_copy(update={"updated_at": now})
    target = target_status(snapshot, now)
    if target is None or (target is BillingStatus.PAST_DUE and record.status is BillingStatus.SUSPENDED):
        return updated  # a suspended account stays suspended until Stripe says it is paid (or canceled)
    moved = transition(updated, target, cause=cause, now=now)
    if target is BillingStatus.PAST_DUE and record.status is not BillingStatus.PAST_DUE:
        invoice_id = invoice.invoice_id if invoice is not None and invoice.payment_failed else None
        key = (
            f"payment-failed-{invoice_id}"
            if invoice_id
            else f"payment-failed-{record.account_id}-{int(now.timestamp())}"
        )
        notice = record.payment_failed_notice
        if notice is None or notice.dedupe_key != key:
            moved = moved.model_copy(
                update={
                    "payment_failed_notice": PaymentFailedNotice(dedupe_key=key, invoice_id=invoice_id, needed_at=now),
                }
            )
    return moved


def plan_public(plan: StripePlan | None) -> PlanPublic | None:
    if plan is None:
        return None
    return PlanPublic(
        name=plan.name,
        unit_amount=plan.unit_amount,
        currency=plan.currency.upper(),
        interval=plan.interval,
        interval_count=plan.interval_count,
    )


def to_public(
    record: BillingRecord, *, grace: timedelta | None = None, plan: PlanPublic | None = None
) -> BillingPublic:
    pm = None
    if record.payment_method_brand or record.payment_method_last4:
        pm = PaymentMethodPublic(brand=record.payment_method_brand, last4=record.payment_method_last4)
    held = record.status in (BillingStatus.PAST_DUE, BillingStatus.SUSPENDED)
    grace_ends = record.past_due_since + grace if held and grace is not None and record.past_due_since else None
    return BillingPublic(
        account_id=record.account_id,
        status=record.status,
        status_since=record.status_since if record.customer_id else None,
        grace_ends_at=grace_ends,
        seats=record.seats,
        trial_end=record.trial_end,
        current_period_end=record.current_period_end,
        last_invoice_status=record.last_invoice_status,
        payment_method=pm,
        plan=plan,
    )


def grace_cause(grace: timedelta) -> str:
    """The cause recorded when the grace timer suspends an account."""
    return f"grace period of {grace.total_seconds() / 86400:g} days ended unpaid (timer)"


def is_overdue(record: BillingRecord, *, grace: timedelta, now: datetime) -> bool:
    """Past due for longer than the grace period: the timer suspends it."""
    return (
        record.status is BillingStatus.PAST_DUE
        and record.past_due_since is not None
        and record.past_due_since <= now - grace
    )


def suspend_if_overdue(record: BillingRecord, *, grace: timedelta, now: datetime) -> BillingRecord:
    """The grace timer's move: suspended once the grace period ended unpaid; any other record is answered as is."""
    if not is_overdue(record, grace=grace, now=now):
        return record
    return transition(record, BillingStatus.SUSPENDED, cause=grace_cause(grace), now=now)
