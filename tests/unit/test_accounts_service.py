from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.domain.accounts import AccountCreate, AccountUpdate, MeUpdate, RegistrationResult, Units
from core.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.domain.identity import Identity, Principal, Role
from core.services import accounts
from core.services.email_verification import EmailVerification
from core.services.outbox import Links
from core.signing import LinkSigner
from tests.unit.fakes import FakeAccountStore, FakeClock, FakePublisher, FakeUserStore
from tests.unit.fakes_email import FakeEmailProfiles, FakeOutbox

SIGNER = LinkSigner(b"unit-test-signing-key-0123456789")


def _verification() -> EmailVerification:
    return EmailVerification(
        profiles=FakeEmailProfiles(),
        outbox=FakeOutbox(),
        signer=SIGNER,
        links=Links(base_url="https://x.test", signer=SIGNER),
        ttl=timedelta(hours=24),
    )


def _data(dob: date = date(1990, 1, 1)) -> AccountCreate:
    return AccountCreate.model_validate(
        {
            "fullLegalName": "Ada Owner",
            "email": "ada@example.com",
            "timeZone": "America/Chicago",
            "dateOfBirth": dob.isoformat(),
            "billingAddress": {"line1": "1 Main", "city": "Plymouth", "postalCode": "55441", "country": "US"},
        }
    )


def _register(
    users: FakeUserStore,
    store: FakeAccountStore,
    events: FakePublisher,
    clock: FakeClock,
    dob: date = date(1990, 1, 1),
    user: str = "u1",
) -> RegistrationResult:
    return accounts.register_account(
        identity=Identity(user, "ada@example.com"),
        data=_data(dob),
        accounts=store,
        users=users,
        account_events=events,
        clock=clock,
        minimum_age=13,
        email_verification=_verification(),
    )


def test_age_on_counts_birthdays() -> None:
    assert accounts.age_on(date(2013, 6, 2), date(2026, 6, 1)) == 12
    assert accounts.age_on(date(2013, 6, 1), date(2026, 6, 1)) == 13


def test_registration_is_retry_safe_after_a_partial_failure() -> None:
    users, store, clock = FakeUserStore(), FakeAccountStore(), FakeClock()
    with pytest.raises(ConnectionError):
        _register(users, store, FakePublisher(fail_times=1), clock)
    assert users.users["u1"].registering
    events = FakePublisher()
    result = _register(users, store, events, clock)
    assert len(store.accounts) == 1 and result.account.account_id in store.accounts
    assert not users.users["u1"].registering
    assert [e.event_id for e in events.published] == [f"registered-{result.account.account_id}"]
    with pytest.raises(Conflict):
        _register(users, store, FakePublisher(), clock)


def test_under_minimum_age_leaves_only_a_marker() -> None:
    users, store, clock = FakeUserStore(), FakeAccountStore(), FakeClock()
    with pytest.raises(Forbidden):
        _register(users, store, FakePublisher(), clock, dob=date(2014, 1, 1))
    assert not users.users and not store.accounts and not store.members
    assert list(users.markers) == [accounts.refusal_marker_id("u1")]
    with pytest.raises(Forbidden):
        _register(users, store, FakePublisher(), clock, dob=date(1980, 1, 1))


def test_birth_date_in_the_future_is_a_field_error() -> None:
    with pytest.raises(ValidationFailed) as err:
        _register(FakeUserStore(), FakeAccountStore(), FakePublisher(), FakeClock(), dob=date(2030, 1, 1))
    assert err.value.errors[0].field == "dateOfBirth"


def test_update_me_rejects_nulls_and_keeps_other_fields() -> None:
    users, store, clock = FakeUserStore(), FakeAccountStore(), FakeClock()
    result = _register(users, store, FakePublisher(), clock)
    principal = Principal("u1", None, result.account.account_id, Role.OWNER)
    verification = _verification()
    with pytest.raises(ValidationFailed):
        accounts.update_me(
            principal=principal,
            changes=MeUpdate.model_validate({"fullName": None}),
            accounts=store,
            clock=clock,
            email_verification=verification,
        )
    updated = accounts.update_me(
        principal=principal,
        changes=MeUpdate.model_validate({"phone": "+1 555 0100"}),
        accounts=store,
        clock=clock,
        email_verification=verification,
    )
    assert updated.full_name == "Ada Owner" and updated.phone == "+1 555 0100"


def test_principal_never_reaches_another_account() -> None:
    p = Principal("u1", None, "acc-a", Role.OWNER)
    with pytest.raises(NotFound):
        p.require_owner_of("acc-b")
    m = Principal("u2", None, "acc-a", Role.MEMBER)
    with pytest.raises(Forbidden):
        m.require_owner_of("acc-a")
    with pytest.raises(NotFound):
        m.require_self_or_owner("acc-a", "u3")


def test_the_owner_chooses_the_accounts_units_and_every_member_reads_them() -> None:
    users, store, clock = FakeUserStore(), FakeAccountStore(), FakeClock()
    result = _register(users, store, FakePublisher(), clock)
    account_id = result.account.account_id
    assert result.account.units is Units.IMPERIAL  # never chosen: a billing address in the United States
    owner = Principal("u1", "ada@example.com", account_id, Role.OWNER)
    worker = Principal("w1", "w@example.com", account_id, Role.MEMBER)
    member = store.get_member(account_id, "u1")
    assert member is not None
    store.put_member(member.model_copy(update={"user_id": "w1", "role": Role.MEMBER}))
    metric = AccountUpdate.model_validate({"units": "metric"})
    assert (
        accounts.update_account(principal=owner, account_id=account_id, changes=metric, accounts=store).units
        == "metric"
    )
    assert store.accounts[account_id].units is Units.METRIC
    me = accounts.get_me(principal=worker, accounts=store, email_profiles=FakeEmailProfiles())
    assert me.units is Units.METRIC  # a member reads the account's choice
    unchanged = accounts.update_account(
        principal=owner, account_id=account_id, changes=AccountUpdate.model_validate({}), accounts=store
    )
    assert unchanged.units is Units.METRIC
    with pytest.raises(Forbidden):
        accounts.update_account(principal=worker, account_id=account_id, changes=metric, accounts=store)
    with pytest.raises(NotFound):
        accounts.update_account(
            principal=Principal("o9", None, "acct-9", Role.OWNER), account_id=account_id, changes=metric, accounts=store
        )
    with pytest.raises(ValueError):
        AccountUpdate.model_validate({"units": "furlongs"})
