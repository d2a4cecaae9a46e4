"""Card on file from the portal (issue 16): a SetupIntent confirmed in the browser becomes the default card at once;
another customer's or an unconfirmed SetupIntent changes nothing; the billing view dates the grace period."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.domain import billing_state
from core.domain.billing import BillingPublic, BillingStatus, CardOnFile
from core.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.domain.identity import Principal, Role
from core.services import billing, billing_card
from tests.unit.test_billing_service import POLICY, World

OWNER = Principal("owner", None, "acc-1", Role.OWNER)


def _put(w: World, seti: str, who: Principal = OWNER) -> BillingPublic:
    return billing_card.put_card_on_file(
        principal=who,
        account_id=w.account_id,
        data=CardOnFile.model_validate({"setupIntentId": seti}),
        accounts=w.accounts,
        billing=w.store,
        reactions=w.reactions,
        stripe=w.stripe,
        clock=w.clock,
        billing_policy=w.policy,
        billing_notifier=w.notifier,
    )


def _intent(w: World) -> str:
    secret = billing.create_setup_intent(
        principal=OWNER,
        account_id=w.account_id,
        accounts=w.accounts,
        billing=w.store,
        reactions=w.reactions,
        stripe=w.stripe,
        clock=w.clock,
    ).client_secret
    return secret.split("_secret_")[0]


def test_a_confirmed_setup_intent_puts_its_card_on_file_once() -> None:
    w = World()
    w.register()
    seti = _intent(w)
    w.stripe.confirm_setup_intent(seti, brand="visa", last4="4242")
    view = _put(w, seti)
    assert view.payment_method is not None
    assert (view.payment_method.brand, view.payment_method.last4) == ("visa", "4242")
    assert view.status is BillingStatus.TRIALING
    record = w.store.get(w.account_id)
    assert record is not None and record.transitions[-1].to_status is BillingStatus.TRIALING
    assert _put(w, seti) == view  # the same SetupIntent again: the same answer, nothing new


def test_unconfirmed_foreign_or_unknown_setup_intents_change_nothing() -> None:
    w = World()
    w.register()
    seti = _intent(w)
    with pytest.raises(Conflict):
        _put(w, seti)  # not confirmed yet
    # A SetupIntent of another Stripe customer (another account's), confirmed: answered like an unknown id.
    w.stripe.setup_intents["seti_foreign"] = w.stripe.setup_intents[seti].model_copy(
        update={
            "setup_intent_id": "seti_foreign",
            "customer_id": "cus_someone_else",
            "status": "succeeded",
            "payment_method_id": "pm_x",
        }
    )
    for unknown in ("seti_foreign", "seti_missing"):
        with pytest.raises(ValidationFailed) as err:
            _put(w, unknown)
        assert [e.field for e in err.value.errors] == ["setupIntentId"]
    record = w.store.get(w.account_id)
    assert record is not None and record.payment_method_last4 is None
    with pytest.raises(Forbidden):
        _put(w, seti, Principal("m1", None, w.account_id, Role.MEMBER))
    with pytest.raises(NotFound):
        _put(w, seti, Principal("x", None, "acc-2", Role.OWNER))
    with pytest.raises(ValueError):
        CardOnFile.model_validate({"setupIntentId": "pm_123"})


def test_the_view_dates_the_grace_period_while_past_due_or_suspended() -> None:
    w = World()
    w.register()
    record = w.store.get(w.account_id)
    assert record is not None
    assert billing_state.to_public(record, grace=POLICY.grace).grace_ends_at is None
    since = w.clock.now()
    past_due = billing_state.transition(record, BillingStatus.PAST_DUE, cause="test", now=since)
    view = billing_state.to_public(past_due, grace=POLICY.grace)
    assert view.status_since == since and view.grace_ends_at == since + timedelta(days=7)
    suspended = billing_state.transition(past_due, BillingStatus.SUSPENDED, cause="test", now=since + timedelta(days=7))
    assert billing_state.to_public(suspended, grace=POLICY.grace).grace_ends_at == since + timedelta(days=7)
    assert set(billing_state.to_public(suspended).model_dump(by_alias=True)) >= {"statusSince", "graceEndsAt"}
