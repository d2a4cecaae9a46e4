"""Account closure: access ends for everyone at once, subscription and e-mail hooks, purge after the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.domain.accounts import Account, AccountStatus, MemberStatus, UserRecord
from core.domain.errors import AccessEnded, Forbidden, NotFound, ValidationFailed
from core.domain.identity import Identity, Principal, Role
from core.domain.privacy import ClosurePublic, ClosureRequest
from core.ports import PrivacyMailer, SubscriptionCanceller
from core.services import auth, closure
from core.services.purge import run_purge
from core.services.retention import Registry, RetentionPolicy
from core.signing import LinkSigner
from tests.unit.fakes import FakeAccountStore, FakeClock, FakeUserStore
from tests.unit.fakes_privacy import FakeCanceller, FakeKind, FakeMailer, FakePrivacyStore, Item
from tests.unit.test_retention_service import make_account

POLICY = RetentionPolicy(closed_account_days=90, billing_records_days=2555)
SIGNER = LinkSigner(b"unit-test-signing-key-0123456789abcdef")
QUEUE: list[str] = []


def setup() -> tuple[FakeClock, FakeAccountStore, FakeUserStore, FakePrivacyStore, Principal]:
    clock = FakeClock(datetime(2026, 6, 1, tzinfo=UTC))
    accounts, users = FakeAccountStore(), FakeUserStore()
    owner = make_account(accounts, users, "acc-a", clock.now(), members=("m1", "m2"))
    make_account(accounts, users, "acc-b", clock.now())
    return clock, accounts, users, FakePrivacyStore(accounts), owner


def close(
    owner: Principal,
    clock: FakeClock,
    accounts: FakeAccountStore,
    users: FakeUserStore,
    privacy: FakePrivacyStore,
    confirm: str | None,
    *,
    subscriptions: SubscriptionCanceller | None = None,
    mailer: PrivacyMailer | None = None,
) -> ClosurePublic:
    return closure.close_account(
        principal=owner,
        account_id=owner.account_id,
        data=ClosureRequest(confirm=confirm),
        accounts=accounts,
        users=users,
        privacy=privacy,
        signer=SIGNER,
        clock=clock,
        retention_policy=POLICY,
        privacy_subscriptions=subscriptions,
        privacy_mailer=mailer,
        enqueue_data_request=QUEUE.append,
    )


def account_of(accounts: FakeAccountStore, account_id: str) -> Account:
    account = accounts.get_account(account_id)
    assert account is not None
    return account


def user_of(users: FakeUserStore, user_id: str) -> UserRecord:
    user = users.get_user(user_id)
    assert user is not None
    return user


def test_closure_needs_confirmation_then_ends_access_for_everyone_at_once() -> None:
    clock, accounts, users, privacy, owner = setup()
    asked = close(owner, clock, accounts, users, privacy, None)
    assert asked.status == "confirmation-required" and asked.confirmation_phrase
    assert account_of(accounts, "acc-a").status is AccountStatus.ACTIVE
    with pytest.raises(ValidationFailed):
        close(owner, clock, accounts, users, privacy, "not-the-phrase")

    canceller, mailer = FakeCanceller(), FakeMailer()
    done = close(
        owner, clock, accounts, users, privacy, asked.confirmation_phrase, subscriptions=canceller, mailer=mailer
    )
    assert done.status == "closed" and done.retention_deadline == clock.now() + timedelta(days=90)
    assert canceller.canceled == ["acc-a"] and done.subscription == "canceled"
    assert list(mailer.sent) == ["closure-acc-a"] and done.confirmation_email == "queued"
    assert account_of(accounts, "acc-a").status is AccountStatus.CLOSED
    for uid in ("acc-a-owner", "acc-a-m1", "acc-a-m2"):
        assert user_of(users, uid).status is MemberStatus.CLOSED
        with pytest.raises(AccessEnded):
            auth.resolve_principal(identity=Identity(user_id=uid, email=None), users=users)
    assert user_of(users, "acc-b-m1").status is MemberStatus.ACTIVE
    assert [e.action for e in privacy.list_audit("acc-a")] == ["account.closed"]


def test_only_the_owner_of_this_account_can_close_it() -> None:
    clock, accounts, users, privacy, owner = setup()
    member = Principal(user_id="acc-a-m1", email=None, account_id="acc-a", role=Role.MEMBER)
    with pytest.raises(Forbidden):
        close(member, clock, accounts, users, privacy, None)
    other = Principal(user_id="acc-b-owner", email=None, account_id="acc-b", role=Role.OWNER)
    with pytest.raises(NotFound):
        closure.close_account(
            principal=other,
            account_id="acc-a",
            data=ClosureRequest(),
            accounts=accounts,
            users=users,
            privacy=privacy,
            signer=SIGNER,
            clock=clock,
            retention_policy=POLICY,
            privacy_subscriptions=None,
            privacy_mailer=None,
            enqueue_data_request=QUEUE.append,
        )
    # A phrase issued to another account's owner does not close this one.
    phrase = closure.close_account(
        principal=other,
        account_id="acc-b",
        data=ClosureRequest(),
        accounts=accounts,
        users=users,
        privacy=privacy,
        signer=SIGNER,
        clock=clock,
        retention_policy=POLICY,
        privacy_subscriptions=None,
        privacy_mailer=None,
        enqueue_data_request=QUEUE.append,
    ).confirmation_phrase
    with pytest.raises(ValidationFailed):
        close(owner, clock, accounts, users, privacy, phrase)


def test_after_the_window_personal_data_goes_and_billing_records_stay() -> None:
    clock, accounts, users, privacy, owner = setup()
    pings, profiles = FakeKind("pings"), FakeKind("profiles", retention="account")
    billing = FakeKind("billing-records", retention="account", kept_for="billing-records")
    for kind in (pings, profiles, billing):
        kind.add(f"{kind.name}-a", Item("acc-a", "acc-a-m1", clock.now()))
        kind.add(f"{kind.name}-b", Item("acc-b", "acc-b-m1", clock.now()))
    registry = Registry(kinds=[pings, profiles, billing], expected=("pings", "profiles", "billing-records"))
    phrase = close(owner, clock, accounts, users, privacy, None).confirmation_phrase
    close(owner, clock, accounts, users, privacy, phrase)

    def purge() -> None:
        run_purge(
            personal_data=registry,
            privacy=privacy,
            accounts=accounts,
            clock=clock,
            retention_policy=POLICY,
            purge_batch_size=10,
            purge_max_items=1000,
        )

    clock.advance(days=89)
    purge()  # inside the dispute window: everything is still there for the platform admin
    assert pings.count(account_id="acc-a") == profiles.count(account_id="acc-a") == 1
    view = closure.admin_view_account(
        identity=Identity("admin", None, True),
        account_id="acc-a",
        accounts=accounts,
        privacy=privacy,
        personal_data_kinds=registry.kinds,
        clock=clock,
    )
    assert view.data == {"pings": 1, "profiles": 1, "billing-records": 1} and view.closure is not None
    clock.advance(days=2)
    purge()
    assert pings.count(account_id="acc-a") == profiles.count(account_id="acc-a") == 0
    assert billing.count(account_id="acc-a") == 1  # kept for the billing-records period
    record = privacy.get_closure("acc-a")
    assert record is not None and record.personal_data_purged_at is not None
    assert pings.count(account_id="acc-b") == 1  # the other account is untouched
    clock.advance(days=2555)
    purge()
    assert billing.count(account_id="acc-a") == 0 and billing.count(account_id="acc-b") == 1


def test_a_platform_admins_read_of_an_account_is_audited_and_only_for_admins() -> None:
    clock, accounts, _, privacy, _ = setup()
    kinds = [FakeKind("pings")]
    before = len(privacy.list_audit("acc-a"))
    view = closure.admin_view_account(
        identity=Identity("admin-1", None, True),
        account_id="acc-a",
        accounts=accounts,
        privacy=privacy,
        personal_data_kinds=kinds,
        clock=clock,
    )
    assert view.account["account_id"] == "acc-a"
    entries = privacy.list_audit("acc-a")[before:]
    assert [(e.actor, e.action, e.outcome, e.at) for e in entries] == [
        ("admin-1", "admin.account-read", "read", clock.now())
    ]
    assert privacy.list_audit("acc-b") == []  # in the trail of the account that was read, nowhere else
    with pytest.raises(Forbidden):  # the rule holds in the service, not only in the HTTP layer
        closure.admin_view_account(
            identity=Identity("owner-1", None, False),
            account_id="acc-a",
            accounts=accounts,
            privacy=privacy,
            personal_data_kinds=kinds,
            clock=clock,
        )
    assert len(privacy.list_audit("acc-a")) == before + 1


def test_no_audit_entry_no_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    clock, accounts, _, privacy, _ = setup()

    def refuse(entry: object) -> None:
        raise ConnectionError("audit store down")

    monkeypatch.setattr(privacy, "audit", refuse)
    with pytest.raises(ConnectionError):
        closure.admin_view_account(
            identity=Identity("admin-1", None, True),
            account_id="acc-a",
            accounts=accounts,
            privacy=privacy,
            personal_data_kinds=[],
            clock=clock,
        )


class FlakyCanceller(FakeCanceller):
    def __init__(self) -> None:
        super().__init__()
        self.fail = True

    def cancel_for_account(self, account_id: str) -> str:
        if self.fail:
            raise ConnectionError("billing unreachable")
        return super().cancel_for_account(account_id)


def test_a_failed_follow_up_is_queued_and_finished_by_the_worker() -> None:
    clock, accounts, users, privacy, owner = setup()
    QUEUE.clear()
    canceller, mailer = FlakyCanceller(), FakeMailer()
    phrase = close(owner, clock, accounts, users, privacy, None).confirmation_phrase
    done = close(owner, clock, accounts, users, privacy, phrase, subscriptions=canceller, mailer=mailer)
    assert done.status == "closed" and done.subscription == "pending" and done.confirmation_email == "pending"
    assert user_of(users, "acc-a-owner").status is MemberStatus.CLOSED
    assert len(QUEUE) == 1 and closure.CLOSURE_FOLLOW_UP in QUEUE[0]
    canceller.fail = False
    for _ in range(2):  # a redelivered message changes nothing more
        closure.finish_closure(
            account_id="acc-a", accounts=accounts, privacy=privacy, clock=clock, subscriptions=canceller, mailer=mailer
        )
    record = privacy.get_closure("acc-a")
    assert record is not None and record.subscription == "canceled" and record.confirmation_email == "queued"
    assert canceller.canceled == ["acc-a"] and list(mailer.sent) == ["closure-acc-a"]


def test_the_closure_terms_name_what_to_type_and_what_the_law_keeps_without_changing_anything() -> None:
    _clock, accounts, _users, _privacy, owner = setup()
    terms = closure.closure_terms(principal=owner, account_id="acc-a", accounts=accounts, retention_policy=POLICY)
    assert terms.confirmation_name == "Co" and terms.members_losing_access == 3 and terms.status == "active"
    assert terms.closed_account_days == 90
    assert terms.kept_after_closure == POLICY.kept_after_closure()  # the very table the closure applies
    assert account_of(accounts, "acc-a").status is AccountStatus.ACTIVE
    member = Principal(user_id="acc-a-m1", email=None, account_id="acc-a", role=Role.MEMBER)
    with pytest.raises(Forbidden):
        closure.closure_terms(principal=member, account_id="acc-a", accounts=accounts, retention_policy=POLICY)
    with pytest.raises(NotFound):
        closure.closure_terms(principal=owner, account_id="acc-b", accounts=accounts, retention_policy=POLICY)
    nameless = account_of(accounts, "acc-a").model_copy(update={"company_name": None})
    accounts.put_account(nameless)
    assert (
        closure.closure_terms(
            principal=owner, account_id="acc-a", accounts=accounts, retention_policy=POLICY
        ).confirmation_name
        == "Name acc-a-owner"
    )


def test_a_wrong_typed_name_closes_nothing_and_the_right_one_in_any_case_does() -> None:
    clock, accounts, users, privacy, owner = setup()
    phrase = close(owner, clock, accounts, users, privacy, None).confirmation_phrase

    def typed(name: str) -> ClosurePublic:
        return closure.close_account(
            principal=owner,
            account_id="acc-a",
            data=ClosureRequest(confirm=phrase, typed_name=name),
            accounts=accounts,
            users=users,
            privacy=privacy,
            signer=SIGNER,
            clock=clock,
            retention_policy=POLICY,
            privacy_subscriptions=None,
            privacy_mailer=None,
            enqueue_data_request=QUEUE.append,
        )

    with pytest.raises(ValidationFailed) as refused:
        typed("Other Co")
    assert refused.value.errors[0].field == "typedName"
    assert account_of(accounts, "acc-a").status is AccountStatus.ACTIVE
    assert privacy.get_closure("acc-a") is None and user_of(users, "acc-a-m1").status is MemberStatus.ACTIVE
    assert typed("  co ").status == "closed"
