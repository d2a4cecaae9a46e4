"""Billing use cases: the account's Stripe customer and per-seat subscription, reading Stripe's state into the
billing record, the owner's endpoints and the grace-period timer. The state machine itself is pure
(core/domain/billing_state.py); the Stripe webhook is core/services/billing_webhook.py.

Every step is idempotent, because every caller may retry it: queue messages are delivered at least once, Stripe
redelivers webhooks, owners press buttons twice.
- The customer is created with an idempotency key (honoured by Stripe, not by localstripe) and looked up by its
  `accountId` metadata first; its id is stored with create-if-absent, and a worker that loses that race deletes
  the customer it created. The subscription works the same way (the loser cancels its own).
- Seats are set, never incremented: quantity = the number of active members now.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from core.domain.accounts import AccountEvent, AccountStatus, MemberStatus
from core.domain.billing import (
    BillingPolicy,
    BillingPublic,
    BillingRecord,
    BillingStatus,
    BillingTransition,
    CustomerDetails,
    GraceMarker,
    PlanPublic,
    SetupIntentPublic,
    StripeSnapshot,
    StripeSubscription,
)
from core.domain.billing_state import (
    ENDED,
    apply_snapshot,
    is_overdue,
    plan_public,
    suspend_if_overdue,
    to_public,
    transition,
)
from core.domain.errors import BillingNotConfigured, Conflict, NotFound
from core.domain.events import BillingStatusChanged
from core.domain.identity import Principal
from core.ports import AccountStore, BillingNotifier, BillingStore, Clock, Outbox, Reactions, StripeGateway

log = logging.getLogger(__name__)

_UPDATE_ATTEMPTS = 10
_SEAT_ROUNDS = 3


# ---------------------------------------------------------------- record updates (optimistic concurrency)


def _replace(store: BillingStore, new: BillingRecord, current: BillingRecord, reactions: Reactions) -> bool:
    """A status change is a change the ingest gate follows (core/services/reactions.py); the other updates (seats,
    the subscription's id, the payment notice) change nothing the gate holds."""
    if new.status is current.status:
        return store.replace_if_unchanged(new, expected=current)
    with reactions.changing(BillingStatusChanged(account_id=new.account_id)):
        return store.replace_if_unchanged(new, expected=current)


def _update(
    store: BillingStore,
    account_id: str,
    change: Callable[[BillingRecord], BillingRecord],
    reactions: Reactions,
) -> BillingRecord:
    """Apply `change` to the current record and write it only if nobody wrote in between; retry on a race.
    Entering past_due writes the grace marker first (a marker without past_due is cleaned by the timer); leaving
    it removes the marker after the record is written."""
    for _ in range(_UPDATE_ATTEMPTS):
        current = store.get(account_id)
        if current is None:
            raise NotFound()
        new = change(current)
        if new == current:
            return current
        entering = new.status is BillingStatus.PAST_DUE and current.status is not BillingStatus.PAST_DUE
        if entering and new.past_due_since is not None:
            store.put_grace_marker(GraceMarker(account_id=account_id, past_due_since=new.past_due_since))
        if _replace(store, new, current, reactions):
            if current.status is BillingStatus.PAST_DUE and new.status is not BillingStatus.PAST_DUE:
                store.delete_grace_marker(account_id)
            if new.status is not current.status:
                log.info(
                    "billing %s: %s -> %s (%s)",
                    account_id,
                    current.status.value,
                    new.status.value,
                    new.transitions[-1].cause if new.transitions else "",
                )
            return new
    raise Conflict("The billing record is changing; retry.")


# ---------------------------------------------------------------- customer, subscription, seats


def _active_seats(accounts: AccountStore, account_id: str) -> int:
    return max(1, sum(1 for m in accounts.list_members(account_id) if m.status is MemberStatus.ACTIVE))


def _customer_details(accounts: AccountStore, account_id: str) -> CustomerDetails | None:
    account = accounts.get_account(account_id)
    if account is None or account.status is not AccountStatus.ACTIVE:
        return None
    owner = accounts.get_member(account_id, account.owner_user_id)
    if owner is None:
        return None
    address = account.billing_address
    return CustomerDetails(
        account_id=account_id,
        name=account.company_name or owner.full_name,
        email=owner.email,
        line1=address.line1,
        line2=address.line2,
        city=address.city,
        state=address.state,
        postal_code=address.postal_code,
        country=address.country,
    )


def ensure_customer(
    *,
    account_id: str,
    accounts: AccountStore,
    store: BillingStore,
    reactions: Reactions,
    gateway: StripeGateway,
    clock: Clock,
) -> BillingRecord | None:
    """The account's billing record with its Stripe customer, created once however often this runs.
    None when the account does not exist or is closed (no customer is made for it)."""
    existing = store.get(account_id)
    if existing is not None:
        return existing
    details = _customer_details(accounts, account_id)
    if details is None:
        return None
    customer = gateway.find_customer(account_id=account_id, email=details.email)
    created = customer is None
    if customer is None:
        customer = gateway.create_customer(details, idempotency_key=f"industrack-customer-{account_id}")
    now = clock.now()
    record = BillingRecord(
        account_id=account_id,
        customer_id=customer.customer_id,
        status=BillingStatus.INCOMPLETE,
        status_since=now,
        transitions=[
            BillingTransition(
                from_status=None, to_status=BillingStatus.INCOMPLETE, cause="Stripe customer created", at=now
            )
        ],
        created_at=now,
        updated_at=now,
    )
    with reactions.changing(BillingStatusChanged(account_id=account_id)):  # the record's first status
        stored = store.create_if_absent(record)
    if stored:
        log.info("billing %s: customer stored", account_id)
        return record
    winner = store.get(account_id)
    if winner is None:
        raise Conflict("The billing record is changing; retry.")
    if created and winner.customer_id != customer.customer_id:
        # Another worker stored its customer first: remove ours so that the account has exactly one.
        gateway.delete_customer(customer.customer_id)
        log.info("billing %s: duplicate customer removed after a race", account_id)
    return winner


def ensure_subscription(
    *,
    record: BillingRecord,
    accounts: AccountStore,
    store: BillingStore,
    reactions: Reactions,
    gateway: StripeGateway,
    clock: Clock,
    policy: BillingPolicy,
) -> BillingRecord:
    """One subscription per account on the configured plan. Created at once when there is a trial; without a trial
    it waits for a payment method (the first invoice is charged at creation)."""
    if record.subscription_id is not None:
        return record
    existing = gateway.list_subscriptions(record.customer_id)
    sub: StripeSubscription | None = existing[0] if existing else None
    created = False
    if sub is None:
        if policy.trial_days <= 0:
            customer = gateway.get_customer(record.customer_id)
            if customer is None or customer.default_payment_method_id is None:
                return record
        sub = gateway.create_subscription(
            customer_id=record.customer_id,
            account_id=record.account_id,
            plan_id=policy.plan_id,
            quantity=_active_seats(accounts, record.account_id),
            trial_days=max(0, policy.trial_days),
            idempotency_key=f"industrack-subscription-{record.account_id}",
        )
        created = True
    chosen = sub.subscription_id

    def adopt(current: BillingRecord) -> BillingRecord:
        if current.subscription_id is not None:
            return current
        return current.model_copy(update={"subscription_id": chosen, "seats": sub.quantity, "updated_at": clock.now()})

    stored = _update(store, record.account_id, adopt, reactions)
    if created and stored.subscription_id != chosen:
        gateway.cancel_subscription(chosen)
        log.info("billing %s: duplicate subscription canceled after a race", record.account_id)
    return stored


def _with_seats(quantity: int, clock: Clock) -> Callable[[BillingRecord], BillingRecord]:
    def change(cur: BillingRecord) -> BillingRecord:
        if cur.seats == quantity:
            return cur
        return cur.model_copy(update={"seats": quantity, "updated_at": clock.now()})

    return change


def sync_seats(
    *,
    record: BillingRecord,
    accounts: AccountStore,
    store: BillingStore,
    reactions: Reactions,
    gateway: StripeGateway,
    clock: Clock,
) -> BillingRecord:
    """Set the subscription's quantity to the number of active members now (idempotent by construction), and
    check again afterwards so that a member who joined meanwhile is not missed."""
    if record.subscription_id is None:
        return record
    for _ in range(_SEAT_ROUNDS):
        seats = _active_seats(accounts, record.account_id)
        sub = gateway.get_subscription(record.subscription_id)
        if sub is None or sub.status in ENDED:
            return record
        if sub.quantity != seats:
            sub = gateway.set_quantity(sub, seats)
            log.info("billing %s: seats set to %d", record.account_id, seats)
        record = _update(store, record.account_id, _with_seats(sub.quantity, clock), reactions)
        if _active_seats(accounts, record.account_id) == sub.quantity:
            break
    return record


# ---------------------------------------------------------------- reading Stripe and applying it


def read_snapshot(record: BillingRecord, gateway: StripeGateway) -> StripeSnapshot:
    customer = gateway.get_customer(record.customer_id)
    if customer is None:
        raise NotFound()
    sub = gateway.get_subscription(record.subscription_id) if record.subscription_id else None
    if sub is not None and sub.status in ENDED:
        # A new subscription made at Stripe (e.g. in the dashboard) after this one ended takes its place.
        live = gateway.list_subscriptions(record.customer_id)
        sub = live[0] if live else sub
    invoice = gateway.get_invoice(sub.latest_invoice_id) if sub and sub.latest_invoice_id else None
    pm_id = customer.default_payment_method_id
    pm = gateway.get_payment_method(pm_id) if pm_id else None
    return StripeSnapshot(customer=customer, subscription=sub, latest_invoice=invoice, payment_method=pm)


def reconcile(
    *,
    account_id: str,
    accounts: AccountStore,
    store: BillingStore,
    reactions: Reactions,
    gateway: StripeGateway,
    clock: Clock,
    cause: str,
    notifier: BillingNotifier | None = None,
) -> BillingRecord:
    """Bring the record in line with Stripe's current state; the cause is recorded with any status change."""
    record = store.get(account_id)
    if record is None:
        raise NotFound()
    snapshot = read_snapshot(record, gateway)
    record = _update(
        store, account_id, lambda cur: apply_snapshot(cur, snapshot, cause=cause, now=clock.now()), reactions
    )
    return send_payment_failed_notice(
        record=record, accounts=accounts, store=store, reactions=reactions, clock=clock, notifier=notifier
    )


def send_payment_failed_notice(
    *,
    record: BillingRecord,
    accounts: AccountStore,
    store: BillingStore,
    reactions: Reactions,
    clock: Clock,
    notifier: BillingNotifier | None,
) -> BillingRecord:
    """Hand a recorded payment-failed notice to the notifier once. Without a notifier the need stays recorded
    (`payment_failed_notice.queued_at` is None) for the e-mail outbox to pick up."""
    notice = record.payment_failed_notice
    if notifier is None or notice is None or notice.queued_at is not None:
        return record
    account = accounts.get_account(record.account_id)
    if account is None:
        return record
    notifier.payment_failed(
        account_id=record.account_id,
        owner_user_id=account.owner_user_id,
        dedupe_key=notice.dedupe_key,
        invoice_id=notice.invoice_id,
    )

    def queued(cur: BillingRecord) -> BillingRecord:
        n = cur.payment_failed_notice
        if n is None or n.dedupe_key != notice.dedupe_key or n.queued_at is not None:
            return cur
        return cur.model_copy(update={"payment_failed_notice": n.model_copy(update={"queued_at": clock.now()})})

    return _update(store, record.account_id, queued, reactions)


def sync_account(
    *,
    account_id: str,
    accounts: AccountStore,
    store: BillingStore,
    reactions: Reactions,
    gateway: StripeGateway,
    clock: Clock,
    policy: BillingPolicy,
    cause: str,
    notifier: BillingNotifier | None = None,
) -> BillingRecord | None:
    """Everything an account needs, each step idempotent: customer, subscription, seats, then Stripe's state."""
    record = ensure_customer(
        account_id=account_id, accounts=accounts, store=store, reactions=reactions, gateway=gateway, clock=clock
    )
    if record is None:
        return None
    account = accounts.get_account(account_id)
    if account is None or account.status is not AccountStatus.ACTIVE:
        return record
    record = ensure_subscription(
        record=record, accounts=accounts, store=store, reactions=reactions, gateway=gateway, clock=clock, policy=policy
    )
    record = sync_seats(
        record=record, accounts=accounts, store=store, reactions=reactions, gateway=gateway, clock=clock
    )
    return reconcile(
        account_id=account_id,
        accounts=accounts,
        store=store,
        reactions=reactions,
        gateway=gateway,
        clock=clock,
        cause=cause,
        notifier=notifier,
    )


def handle_account_event(
    *,
    event: AccountEvent,
    accounts: AccountStore,
    billing: BillingStore,
    reactions: Reactions,
    stripe: StripeGateway,
    clock: Clock,
    billing_policy: BillingPolicy,
    billing_notifier: BillingNotifier | None,
) -> BillingRecord | None:
    """Queue work for `account.registered`, `member.joined` and `member.removed`: the same idempotent sync for all
    three, so a redelivered, late or reordered message leaves the same result."""
    return sync_account(
        account_id=event.account_id,
        accounts=accounts,
        store=billing,
        reactions=reactions,
        gateway=stripe,
        clock=clock,
        policy=billing_policy,
        cause=f"{event.type.value} {event.event_id}",
        notifier=billing_notifier,
    )


# ---------------------------------------------------------------- owner endpoints


def plan_of(stripe: StripeGateway, policy: BillingPolicy) -> PlanPublic | None:
    """The price per seat for the owner's view; None (the rest of the view still answers) when billing is not
    configured in this deployment or the payment provider cannot be reached."""
    try:
        return plan_public(stripe.get_plan(policy.plan_id))
    except (BillingNotConfigured, ConnectionError) as exc:
        log.info("billing plan %s not shown: %s", policy.plan_id, type(exc).__name__)
        return None


def get_billing(
    *,
    principal: Principal,
    account_id: str,
    billing: BillingStore,
    stripe: StripeGateway,
    clock: Clock,
    billing_policy: BillingPolicy,
) -> BillingPublic:
    principal.require_owner_of(account_id)
    record = billing.get(account_id)
    plan = plan_of(stripe, billing_policy)
    if record is None:
        now = clock.now()
        return to_public(
            BillingRecord(account_id=account_id, customer_id="", status_since=now, created_at=now, updated_at=now),
            plan=plan,
        )
    return to_public(record, grace=billing_policy.grace, plan=plan)


def setup_billing(
    *,
    principal: Principal,
    account_id: str,
    accounts: AccountStore,
    billing: BillingStore,
    reactions: Reactions,
    stripe: StripeGateway,
    clock: Clock,
    billing_policy: BillingPolicy,
    billing_notifier: BillingNotifier | None,
) -> BillingPublic:
    principal.require_owner_of(account_id)
    record = sync_account(
        account_id=account_id,
        accounts=accounts,
        store=billing,
        reactions=reactions,
        gateway=stripe,
        clock=clock,
        policy=billing_policy,
        cause="billing setup requested by the owner",
        notifier=billing_notifier,
    )
    if record is None:
        raise Conflict("Billing cannot be set up for this account.")
    return to_public(record, grace=billing_policy.grace, plan=plan_of(stripe, billing_policy))


def create_setup_intent(
    *,
    principal: Principal,
    account_id: str,
    accounts: AccountStore,
    billing: BillingStore,
    reactions: Reactions,
    stripe: StripeGateway,
    clock: Clock,
) -> SetupIntentPublic:
    """A SetupIntent for the browser: Stripe.js confirms it with the card, which goes to Stripe and never here."""
    principal.require_owner_of(account_id)
    record = ensure_customer(
        account_id=account_id, accounts=accounts, store=billing, reactions=reactions, gateway=stripe, clock=clock
    )
    if record is None:
        raise Conflict("Billing cannot be set up for this account.")
    return SetupIntentPublic(
        client_secret=stripe.create_setup_intent(customer_id=record.customer_id, account_id=account_id)
    )


# ---------------------------------------------------------------- grace period timer


def suspend_overdue(
    *,
    accounts: AccountStore,
    billing: BillingStore,
    reactions: Reactions,
    clock: Clock,
    billing_policy: BillingPolicy,
    billing_notifier: BillingNotifier | None,
    limit: int = 500,
) -> int:
    """Timer work: suspend accounts whose grace period ended unpaid. Answer how many were suspended."""
    now = clock.now()
    cutoff = now - billing_policy.grace
    if billing_notifier is not None:
        # A notice that could not be handed over when the payment failed gets another chance here.
        for marker in billing.grace_markers_before(now, limit):
            record = billing.get(marker.account_id)
            if record is not None and record.status is BillingStatus.PAST_DUE:
                send_payment_failed_notice(
                    record=record,
                    accounts=accounts,
                    store=billing,
                    reactions=reactions,
                    clock=clock,
                    notifier=billing_notifier,
                )
    suspended = 0
    for marker in billing.grace_markers_before(cutoff, limit):
        record = billing.get(marker.account_id)
        if record is None or record.status is not BillingStatus.PAST_DUE:
            billing.delete_grace_marker(marker.account_id)  # left behind by a crash or a race: nothing to do
            continue
        if not is_overdue(record, grace=billing_policy.grace, now=now):
            continue  # a newer past_due episode (its marker is rewritten); not due yet
        after = _update(
            billing,
            marker.account_id,
            lambda cur: suspend_if_overdue(cur, grace=billing_policy.grace, now=now),
            reactions,
        )
        if after.status is BillingStatus.SUSPENDED:
            billing.delete_grace_marker(marker.account_id)
            suspended += 1
    return suspended


# ---------------------------------------------------------------- closure hook


class SubscriptionCancellation:
    """The closure hook (core.ports.SubscriptionCanceller): cancel the account's subscription, once."""

    def __init__(self, *, store: BillingStore, reactions: Reactions, gateway: StripeGateway, clock: Clock) -> None:
        self._store, self._reactions, self._gateway, self._clock = store, reactions, gateway, clock

    def cancel_for_account(self, account_id: str) -> str:
        record = self._store.get(account_id)
        if record is None or record.subscription_id is None:
            return "none"
        status = self._gateway.cancel_subscription(record.subscription_id)
        now = self._clock.now()
        _update(
            self._store,
            account_id,
            lambda cur: transition(cur, BillingStatus.CANCELED, cause="account closed by the owner", now=now),
            self._reactions,
        )
        return "canceled" if status == "canceled" else status


class OutboxPaymentNotifier:
    """The BillingNotifier through the e-mail outbox: template `payment-failed`, category `account` (always sent),
    to the owner as a user; the outbox sends one e-mail per dedupe key however often this is called."""

    def __init__(self, *, outbox: Outbox, accounts: AccountStore, clock: Clock) -> None:
        self._outbox, self._accounts, self._clock = outbox, accounts, clock

    def payment_failed(self, *, account_id: str, owner_user_id: str, dedupe_key: str, invoice_id: str | None) -> None:
        from core.domain.email import EmailCategory
        from core.services.outbox import enqueue_email

        owner = self._accounts.get_member(account_id, owner_user_id)
        enqueue_email(
            outbox=self._outbox,
            category=EmailCategory.ACCOUNT,
            template="payment-failed",
            context={"name": owner.full_name} if owner is not None else {},
            dedupe_key=dedupe_key,
            clock=self._clock,
            to_user_id=owner_user_id,
        )
