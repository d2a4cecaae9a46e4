"""Billing's queue and timer work as the triggers call it: account and member events, and the grace-period timer
(docs/billing.md), and billing's reaction to a recorded account event (core/services/reactions.py). The owner's
billing endpoints are the functions of core/services/billing.py itself."""

from __future__ import annotations

import logging

from core.domain.accounts import AccountEvent
from core.domain.billing import BillingPolicy, BillingRecord
from core.domain.events import AccountEventRecorded
from core.ports import AccountStore, BillingNotifier, BillingStore, Clock, EventPublisher, Reactions, StripeGateway
from core.services import billing as billing_rules

log = logging.getLogger(__name__)


def queue_billing_sync(event: AccountEventRecorded, billing_events: EventPublisher) -> None:
    """Reaction to an account event recorded from the account-events queue: forward it to billing's own queue, whose
    trigger syncs the account (`on_account_event`; a repeat is harmless there)."""
    billing_events.publish([event.event])


def on_account_event(
    *,
    event: AccountEvent,
    accounts: AccountStore,
    billing: BillingStore,
    reactions: Reactions,
    stripe: StripeGateway,
    clock: Clock,
    billing_policy: BillingPolicy,
    billing_notifier: BillingNotifier | None,
    billing_configured: bool,
) -> BillingRecord | None:
    """Queue work for account and member events; errors propagate (the host retries, then poisons). Without a
    Stripe key (`billing_configured` false) the event is skipped: `POST .../billing/setup` catches up later."""
    if not billing_configured:
        log.info("billing event %s (%s): billing is not configured, skipped", event.event_id, event.type.value)
        return None
    record = billing_rules.handle_account_event(
        event=event,
        accounts=accounts,
        billing=billing,
        reactions=reactions,
        stripe=stripe,
        clock=clock,
        billing_policy=billing_policy,
        billing_notifier=billing_notifier,
    )
    log.info(
        "billing event %s (%s): %s",
        event.event_id,
        event.type.value,
        record.status.value if record is not None else "no billing for this account",
    )
    return record


def suspend_overdue(
    *,
    accounts: AccountStore,
    billing: BillingStore,
    reactions: Reactions,
    clock: Clock,
    billing_policy: BillingPolicy,
    billing_notifier: BillingNotifier | None,
) -> int:
    """Timer work: suspend the accounts whose grace period ended unpaid; answers how many."""
    count = billing_rules.suspend_overdue(
        accounts=accounts,
        billing=billing,
        reactions=reactions,
        clock=clock,
        billing_policy=billing_policy,
        billing_notifier=billing_notifier,
    )
    log.info("billing grace timer: %d accounts suspended", count)
    return count
