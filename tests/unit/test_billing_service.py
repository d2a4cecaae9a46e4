"""Billing service: one customer however often registration is retried, seats that follow members, the state
machine with an injected clock (past_due -> suspended after grace -> active), closure and ingest refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.domain import billing_state
from core.domain.accounts import (
    Account,
    AccountEvent,
    AccountEventType,
    AccountStatus,
    BillingAddress,
    Member,
    MemberStatus,
)
from core.domain.billing import (
    BillingPolicy,
    BillingPublic,
    BillingRecord,
    BillingStatus,
    StripePlan,
    StripeSubscription,
)
from core.domain.errors import AccountSuspended, Forbidden, NotFound
from core.domain.events import BillingStatusChanged
from core.domain.identity import Principal, Role
from core.ports import BillingNotifier, StripeGateway
from core.services import billing, suspension
from core.services.billing_unconfigured import UnconfiguredStripeGateway
from tests.unit.fakes import FakeAccountStore, FakeClock, FakeReactions
from tests.unit.fakes_billing import FakeBillingStore, FakeNotifier, FakeStripe

POLICY = BillingPolicy(plan_id="plan-seat", trial_days=14, grace=timedelta(days=7))


class WatchedBillingStore(FakeBillingStore):
    """Refuses a new record or a status change written outside a BillingStatusChanged of its account: the ingest
    gate would miss it (core/services/reactions.py)."""

    def __init__(self, reactions: FakeReactions) -> None:
        super().__init__()
        self.reactions = reactions

    def _check(self, account_id: str) -> None:
        assert BillingStatusChanged(account_id=account_id) in self.reactions.under_way, "outside BillingStatusChanged"

    def create_if_absent(self, record: BillingRecord) -> bool:
        self._check(record.account_id)
        return super().create_if_absent(record)

    def replace_if_unchanged(self, record: BillingRecord, *, expected: BillingRecord) -> bool:
        if record.status is not expected.status:
            self._check(record.account_id)
        return super().replace_if_unchanged(record, expected=expected)


class World:
    def __init__(self, *, honour_idempotency: bool = True, policy: BillingPolicy = POLICY) -> None:
        self.clock = FakeClock()
        self.accounts = FakeAccountStore()
        self.reactions = FakeReactions()
        self.store = WatchedBillingStore(self.reactions)
        self.stripe = FakeStripe(self.clock, honour_idempotency=honour_idempotency)
        self.notifier = FakeNotifier()
        self.service_notifier: BillingNotifier = self.notifier  # what the use cases get; a test may swap it
        self.policy = policy
        self.account_id = "acc-1"
        now = self.clock.now()
        self.accounts.put_account(
            Account(
                account_id=self.account_id,
                owner_user_id="owner",
                company_name="Field Co",
                billing_address=BillingAddress(line1="1 Main", city="Plymouth", postal_code="55441", country="US"),
                time_zone="America/Chicago",
                created_at=now,
            )
        )
        self.add_member("owner", Role.OWNER)

    def add_member(self, user_id: str, role: Role = Role.MEMBER) -> None:
        now = self.clock.now()
        self.accounts.put_member(
            Member(
                account_id=self.account_id,
                user_id=user_id,
                role=role,
                full_name=user_id,
                email=f"{user_id}@example.com",
                time_zone="UTC",
                joined_at=now,
                updated_at=now,
            )
        )

    def remove_member(self, user_id: str) -> None:
        m = self.accounts.get_member(self.account_id, user_id)
        assert m is not None
        self.accounts.put_member(m.model_copy(update={"status": MemberStatus.REMOVED}))

    def event(self, kind: AccountEventType, event_id: str, user_id: str = "owner") -> AccountEvent:
        return AccountEvent(
            event_id=event_id, type=kind, account_id=self.account_id, user_id=user_id, occurred_at=self.clock.now()
        )

    def handle(self, event: AccountEvent) -> object:
        return billing.handle_account_event(
            event=event,
            accounts=self.accounts,
            billing=self.store,
            reactions=self.reactions,
            stripe=self.stripe,
            clock=self.clock,
            billing_policy=self.policy,
            billing_notifier=self.service_notifier,
        )

    def register(self) -> None:
        self.handle(self.event(AccountEventType.ACCOUNT_REGISTERED, "registered-acc-1"))

    def reconcile(self, cause: str = "test") -> object:
        return billing.reconcile(
            account_id=self.account_id,
            accounts=self.accounts,
            store=self.store,
            reactions=self.reactions,
            gateway=self.stripe,
            clock=self.clock,
            cause=cause,
            notifier=self.service_notifier,
        )

    def timer(self) -> int:
        return billing.suspend_overdue(
            accounts=self.accounts,
            billing=self.store,
            reactions=self.reactions,
            clock=self.clock,
            billing_policy=self.policy,
            billing_notifier=self.service_notifier,
        )

    @property
    def record(self) -> BillingRecord:
        r = self.store.get(self.account_id)
        assert r is not None
        return r

    def status(self) -> BillingStatus:
        """Read afresh on each call (a property read would be narrowed by the type checker across the steps)."""
        return self.record.status

    @property
    def subscription(self) -> StripeSubscription:
        assert self.record.subscription_id is not None
        return self.stripe.subscriptions[self.record.subscription_id]


@pytest.mark.parametrize("honour_idempotency", [True, False], ids=["stripe", "localstripe-no-idempotency"])
def test_retried_registration_makes_exactly_one_customer_and_subscription(honour_idempotency: bool) -> None:
    w = World(honour_idempotency=honour_idempotency)
    for _ in range(3):
        w.register()
    assert len(w.stripe.live_customers(w.account_id)) == 1
    assert len(w.stripe.subscriptions) == 1
    assert w.status() is BillingStatus.TRIALING and w.record.seats == 1
    assert [t.to_status for t in w.record.transitions] == [BillingStatus.INCOMPLETE, BillingStatus.TRIALING]
    assert w.record.transitions[-1].cause == "account.registered registered-acc-1"


def test_a_worker_that_loses_the_race_deletes_the_customer_it_created() -> None:
    # Without idempotency keys (localstripe) two concurrent workers each create a customer; the one whose record
    # write loses removes its own, so the account keeps exactly one.
    w = World(honour_idempotency=False)

    def other_worker_runs_to_completion() -> None:
        billing.ensure_customer(
            account_id=w.account_id,
            accounts=w.accounts,
            store=w.store,
            reactions=w.reactions,
            gateway=w.stripe,
            clock=w.clock,
        )

    w.stripe.on_find.append(other_worker_runs_to_completion)
    record = billing.ensure_customer(
        account_id=w.account_id,
        accounts=w.accounts,
        store=w.store,
        reactions=w.reactions,
        gateway=w.stripe,
        clock=w.clock,
    )
    assert record is not None
    live = w.stripe.live_customers(w.account_id)
    assert [c.customer_id for c in live] == [record.customer_id]
    assert "delete_customer" in w.stripe.calls


def test_a_customer_found_by_metadata_is_reused_not_created_again() -> None:
    w = World(honour_idempotency=False)
    w.register()
    first = w.record.customer_id
    del w.store.records[w.account_id]  # the record was lost after the customer was made (crash between the two)
    w.register()
    assert w.record.customer_id == first and len(w.stripe.live_customers(w.account_id)) == 1


def test_closed_or_unknown_accounts_get_no_customer() -> None:
    w = World()
    account = w.accounts.get_account(w.account_id)
    assert account is not None
    w.accounts.put_account(account.model_copy(update={"status": AccountStatus.CLOSED}))
    w.register()
    assert w.store.get(w.account_id) is None and not w.stripe.customers
    assert (
        billing.ensure_customer(
            account_id="nope",
            accounts=w.accounts,
            store=w.store,
            reactions=w.reactions,
            gateway=w.stripe,
            clock=w.clock,
        )
        is None
    )


def test_without_a_trial_the_subscription_waits_for_a_card() -> None:
    w = World(policy=BillingPolicy(plan_id="p", trial_days=0, grace=timedelta(days=7)))
    w.register()
    assert w.status() is BillingStatus.INCOMPLETE and w.record.subscription_id is None
    assert not w.stripe.subscriptions


def test_seats_follow_members_and_a_redelivered_event_changes_nothing() -> None:
    w = World()
    w.register()
    w.add_member("m1")
    joined = w.event(AccountEventType.MEMBER_JOINED, "joined-1", "m1")
    w.handle(joined)
    assert w.subscription.quantity == 2 and w.record.seats == 2
    updates = w.stripe.quantity_updates
    for _ in range(3):
        w.handle(joined)  # at-least-once delivery
    assert w.subscription.quantity == 2 and w.stripe.quantity_updates == updates
    w.remove_member("m1")
    w.handle(w.event(AccountEventType.MEMBER_REMOVED, "removed-1", "m1"))
    assert w.subscription.quantity == 1
    w.handle(joined)  # a late redelivery of the join after the removal: still the current count
    assert w.subscription.quantity == 1 and w.record.seats == 1


def test_seats_counted_again_when_a_member_joins_during_the_update(monkeypatch: pytest.MonkeyPatch) -> None:
    w = World()
    w.register()
    w.add_member("m1")
    real = w.stripe.set_quantity

    def slow_set_quantity(sub: StripeSubscription, quantity: int) -> StripeSubscription:
        result = real(sub, quantity)
        if quantity == 2:
            w.add_member("m2")  # joined while the first update was on its way
        return result

    monkeypatch.setattr(w.stripe, "set_quantity", slow_set_quantity)
    w.handle(w.event(AccountEventType.MEMBER_JOINED, "joined-1", "m1"))
    assert w.subscription.quantity == 3


def test_payment_failure_past_due_then_suspended_after_grace_then_active_on_payment() -> None:
    w = World()
    w.register()
    sub_id = w.subscription.subscription_id
    inv = w.stripe.invoice(sub_id, status="open", failed=True)
    w.stripe.set_status(sub_id, "past_due")
    w.reconcile("invoice.payment_failed evt_1")
    r = w.record
    assert r.status is BillingStatus.PAST_DUE and r.past_due_since == w.clock.now()
    assert r.payment_failed_notice is not None and r.payment_failed_notice.invoice_id == inv.invoice_id
    assert w.store.markers.keys() == {w.account_id}
    assert list(w.notifier.sent) == [f"payment-failed-{inv.invoice_id}"]

    w.clock.advance(days=6, hours=23)
    assert w.timer() == 0 and w.status() is BillingStatus.PAST_DUE
    w.reconcile("invoice.payment_failed evt_1 redelivered")  # still failing: no second notice, same episode
    assert w.notifier.calls == 1 and w.record.past_due_since == r.past_due_since

    w.clock.advance(hours=2)
    assert w.timer() == 1
    assert w.status() is BillingStatus.SUSPENDED and not w.store.markers
    assert w.record.transitions[-1].cause.startswith("grace period of 7 days ended unpaid")
    w.reconcile("customer.subscription.updated evt_2")  # Stripe still says past_due: stays suspended
    assert w.status() is BillingStatus.SUSPENDED
    with pytest.raises(AccountSuspended):
        suspension.ensure_may_add(account_id=w.account_id, what=suspension.Addition.PINGS, billing=w.store)

    w.stripe.settle(inv.invoice_id, status="paid", failed=False)
    w.stripe.set_status(sub_id, "active")
    w.reconcile("invoice.paid evt_3")
    r = w.record
    assert r.status is BillingStatus.ACTIVE and r.past_due_since is None and r.last_invoice_status == "paid"
    assert [(t.from_status, t.to_status) for t in r.transitions][-3:] == [
        (BillingStatus.TRIALING, BillingStatus.PAST_DUE),
        (BillingStatus.PAST_DUE, BillingStatus.SUSPENDED),
        (BillingStatus.SUSPENDED, BillingStatus.ACTIVE),
    ]
    assert r.transitions[-1].cause == "invoice.paid evt_3"
    suspension.ensure_may_add(
        account_id=w.account_id, what=suspension.Addition.PINGS, billing=w.store
    )  # ingest allowed again
    assert w.notifier.calls == 1


def test_paid_before_the_grace_ends_is_never_suspended_and_the_marker_goes() -> None:
    w = World()
    w.register()
    sub_id = w.subscription.subscription_id
    inv = w.stripe.invoice(sub_id, status="open", failed=True)
    w.reconcile("invoice.payment_failed")
    assert w.status() is BillingStatus.PAST_DUE
    w.stripe.settle(inv.invoice_id, status="paid", failed=False)
    w.stripe.set_status(sub_id, "active")
    w.reconcile("invoice.paid")
    assert not w.store.markers
    w.clock.advance(days=30)
    assert w.timer() == 0 and w.status() is BillingStatus.ACTIVE


def test_without_a_notifier_the_notice_stays_recorded_and_the_timer_hands_it_over_once() -> None:
    w = World()
    w.register()
    inv = w.stripe.invoice(w.subscription.subscription_id, status="open", failed=True)
    billing.reconcile(
        account_id=w.account_id,
        accounts=w.accounts,
        store=w.store,
        reactions=w.reactions,
        gateway=w.stripe,
        clock=w.clock,
        cause="invoice.payment_failed",
        notifier=None,
    )
    notice = w.record.payment_failed_notice
    assert notice is not None and notice.queued_at is None and notice.invoice_id == inv.invoice_id
    w.clock.advance(minutes=15)
    w.timer()
    w.timer()
    assert w.notifier.calls == 1
    queued = w.record.payment_failed_notice
    assert queued is not None and queued.queued_at is not None


def test_a_stale_marker_is_cleaned_by_the_timer() -> None:
    w = World()
    w.register()
    from core.domain.billing import GraceMarker

    w.store.put_grace_marker(GraceMarker(account_id=w.account_id, past_due_since=w.clock.now() - timedelta(days=9)))
    assert w.timer() == 0 and not w.store.markers and w.status() is BillingStatus.TRIALING


def test_record_updates_retry_when_someone_wrote_in_between() -> None:
    w = World()
    w.register()
    inv = w.stripe.invoice(w.subscription.subscription_id, status="open", failed=True)
    original = w.record

    def concurrent_writer() -> None:
        w.store.records[w.account_id] = original.model_copy(update={"seats": 5})

    w.store.before_replace.append(concurrent_writer)
    w.reconcile("invoice.payment_failed")
    assert w.status() is BillingStatus.PAST_DUE and w.record.last_invoice_id == inv.invoice_id


def test_canceled_subscription_and_closure_cancel() -> None:
    w = World()
    w.register()
    canceller = billing.SubscriptionCancellation(store=w.store, reactions=w.reactions, gateway=w.stripe, clock=w.clock)
    assert canceller.cancel_for_account(w.account_id) == "canceled"
    assert canceller.cancel_for_account(w.account_id) == "canceled"  # idempotent for the closure retry
    assert w.status() is BillingStatus.CANCELED
    assert w.record.transitions[-1].cause == "account closed by the owner"
    assert canceller.cancel_for_account("unknown") == "none"
    w.register()  # a late account event does not make a new subscription for a canceled account
    assert len(w.stripe.subscriptions) == 1 and w.status() is BillingStatus.CANCELED


def _view(w: World, principal: Principal, stripe: StripeGateway | None = None) -> BillingPublic:
    return billing.get_billing(
        principal=principal,
        account_id=w.account_id,
        billing=w.store,
        stripe=stripe or w.stripe,
        clock=w.clock,
        billing_policy=w.policy,
    )


def test_owner_endpoints_are_scoped_to_the_owner_of_the_account() -> None:
    w = World()
    w.register()
    owner = Principal("owner", None, w.account_id, Role.OWNER)
    member = Principal("m1", None, w.account_id, Role.MEMBER)
    stranger = Principal("x", None, "acc-2", Role.OWNER)
    view = _view(w, owner)
    assert view.status is BillingStatus.TRIALING and view.seats == 1 and view.trial_end is not None
    assert view.plan is None  # the provider has no such plan: the rest of the view still answers
    with pytest.raises(Forbidden):
        _view(w, member)
    with pytest.raises(NotFound):
        _view(w, stranger)
    with pytest.raises(NotFound):
        billing.create_setup_intent(
            principal=stranger,
            account_id=w.account_id,
            accounts=w.accounts,
            billing=w.store,
            reactions=w.reactions,
            stripe=w.stripe,
            clock=w.clock,
        )
    secret = billing.create_setup_intent(
        principal=owner,
        account_id=w.account_id,
        accounts=w.accounts,
        billing=w.store,
        reactions=w.reactions,
        stripe=w.stripe,
        clock=w.clock,
    )
    assert secret.client_secret.startswith("seti_")


def test_the_public_view_shows_only_the_listed_fields() -> None:
    w = World()
    w.register()
    view = billing_state.to_public(w.record).model_dump(by_alias=True)
    assert set(view) == {
        "accountId",
        "status",
        "statusSince",
        "graceEndsAt",
        "seats",
        "trialEnd",
        "currentPeriodEnd",
        "lastInvoiceStatus",
        "paymentMethod",
        "plan",  # the price per seat, from the payment provider (never anything of the card)
    }


def test_tracking_ingest_is_refused_while_suspended_and_allowed_again() -> None:
    from core.services import tracking
    from tests.unit.fakes_tracking import FakeIngestGate

    def may_ingest(w: World) -> None:
        """The ingest call's check, through an ingest gate not yet built: it decides from the billing record."""
        gate = FakeIngestGate(accounts=w.accounts, clock=w.clock, billing=w.store)
        who = Principal(user_id="owner", email="owner@example.com", account_id=w.account_id, role=Role.OWNER)
        tracking.ensure_may_ingest(principal=who, ingest_gate=gate.keeper)

    w = World()
    w.register()
    may_ingest(w)
    inv = w.stripe.invoice(w.subscription.subscription_id, status="open", failed=True)
    w.reconcile("invoice.payment_failed")
    may_ingest(w)  # grace
    w.clock.advance(days=8)
    w.timer()
    with pytest.raises(AccountSuspended) as refused:
        may_ingest(w)
    assert refused.value.status == 403 and "kept" in refused.value.detail
    w.stripe.settle(inv.invoice_id, status="paid", failed=False)
    w.stripe.set_status(w.subscription.subscription_id, "active")
    w.reconcile("invoice.paid")
    may_ingest(w)


def test_the_outbox_notifier_sends_one_payment_failed_email_to_the_owner() -> None:
    from tests.unit.fakes_email import FakeOutbox

    w = World()
    outbox = FakeOutbox()
    notifier = billing.OutboxPaymentNotifier(outbox=outbox, accounts=w.accounts, clock=w.clock)
    w.service_notifier = notifier
    w.register()
    w.stripe.invoice(w.subscription.subscription_id, status="open", failed=True)
    for cause in ("invoice.payment_failed evt_1", "invoice.payment_failed evt_2", "customer.subscription.updated"):
        w.reconcile(cause)
    w.clock.advance(days=1)
    w.timer()
    [entry] = outbox.entries.values()
    assert entry.template == "payment-failed" and entry.to_user_id == "owner" and entry.category == "account"
    assert entry.context == {"name": "owner"} and outbox.dispatched == [entry.outbox_id]


def test_a_subscription_made_at_stripe_after_a_cancellation_is_adopted() -> None:
    w = World()
    w.register()
    old = w.subscription.subscription_id
    w.stripe.set_status(old, "canceled")
    w.reconcile("customer.subscription.deleted evt_1")
    assert w.status() is BillingStatus.CANCELED
    new = w.stripe.create_subscription(
        customer_id=w.record.customer_id,
        account_id=w.account_id,
        plan_id="p",
        quantity=1,
        trial_days=0,
        idempotency_key="dashboard",
    )
    w.reconcile("customer.subscription.created evt_2")
    assert w.record.subscription_id == new.subscription_id != old and w.status() is BillingStatus.ACTIVE


def test_only_a_new_record_or_a_status_change_is_a_change_the_ingest_gate_follows() -> None:
    w = World()
    w.register()
    gate_changes = [BillingStatusChanged(account_id=w.account_id)] * 2
    assert w.reactions.raised == gate_changes  # the record created (incomplete), then trialing
    w.add_member("m1")
    w.handle(w.event(AccountEventType.MEMBER_JOINED, "joined-m1", "m1"))
    assert w.subscription.quantity == 2 and w.record.seats == 2
    assert w.reactions.raised == gate_changes  # seats only: nothing the gate holds changed


def test_the_owner_sees_the_price_per_seat_and_its_currency_unless_the_provider_is_away() -> None:
    w = World()
    w.register()
    owner = Principal("owner", None, w.account_id, Role.OWNER)
    w.stripe.plans[w.policy.plan_id] = StripePlan(
        plan_id=w.policy.plan_id, name="IndusTrack per-seat monthly", unit_amount=900, currency="usd", interval="month"
    )
    view = _view(w, owner)
    assert view.plan is not None
    assert view.plan.model_dump(by_alias=True) == {
        "name": "IndusTrack per-seat monthly",
        "unitAmount": 900,
        "currency": "USD",
        "interval": "month",
        "intervalCount": 1,
    }
    w.stripe.unreachable = True
    assert _view(w, owner).plan is None
    assert _view(w, owner, UnconfiguredStripeGateway()).plan is None
