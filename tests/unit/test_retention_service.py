"""Retention settings, legal holds and the purge, with an injected clock and in-memory stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.domain.accounts import Account, BillingAddress, Member, UserRecord
from core.domain.errors import Forbidden, NotFound, ValidationFailed
from core.domain.events import RetentionChanged
from core.domain.identity import Identity, Principal, Role
from core.domain.privacy import ItemRef, LegalHoldCreate, PurgeRun, RetentionUpdate
from core.services import retention
from core.services.purge import run_purge
from core.services.retention import Registry, RetentionPolicy
from tests.unit.fakes import FakeAccountStore, FakeClock, FakeReactions, FakeUserStore
from tests.unit.fakes_privacy import FakeKind, FakePrivacyStore, Item

POLICY = RetentionPolicy()
ADMIN = Identity(user_id="admin-1", email="admin@example.com", is_platform_admin=True)


def make_account(
    accounts: FakeAccountStore, users: FakeUserStore, account_id: str, at: datetime, members: tuple[str, ...] = ("m1",)
) -> Principal:
    owner = f"{account_id}-owner"
    accounts.put_account(
        Account(
            account_id=account_id,
            owner_user_id=owner,
            company_name="Co",
            billing_address=BillingAddress(line1="1 Main", city="X", postal_code="1", country="US"),
            time_zone="UTC",
            created_at=at,
        )
    )
    for uid, role in ((owner, Role.OWNER), *((f"{account_id}-{m}", Role.MEMBER) for m in members)):
        accounts.put_member(
            Member(
                account_id=account_id,
                user_id=uid,
                role=role,
                full_name=f"Name {uid}",
                email=f"{uid}@example.com",
                time_zone="UTC",
                joined_at=at,
                updated_at=at,
            )
        )
        users.put_user(UserRecord(user_id=uid, account_id=account_id, role=role, created_at=at))
    return Principal(user_id=owner, email=f"{owner}@example.com", account_id=account_id, role=Role.OWNER)


Stores = tuple[FakeClock, FakeAccountStore, FakeUserStore, FakePrivacyStore]


@pytest.fixture
def world() -> Stores:
    clock = FakeClock(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    accounts, users = FakeAccountStore(), FakeUserStore()
    return clock, accounts, users, FakePrivacyStore(accounts)


def purge(
    registry: Registry,
    privacy: FakePrivacyStore,
    accounts: FakeAccountStore,
    clock: FakeClock,
    batch: int = 100,
    max_items: int = 10_000,
) -> PurgeRun:
    return run_purge(
        personal_data=registry,
        privacy=privacy,
        accounts=accounts,
        clock=clock,
        retention_policy=POLICY,
        purge_batch_size=batch,
        purge_max_items=max_items,
    )


def test_expired_pings_photos_notes_go_fresh_ones_stay(world: Stores) -> None:
    clock, accounts, users, privacy = world
    owner = make_account(accounts, users, "acc-a", clock.now() - timedelta(days=900))
    pings, photos, notes = (
        FakeKind("pings"),
        FakeKind("photos", retention="media"),
        FakeKind("notes", retention="media"),
    )
    now = clock.now()
    pings.add("old", Item("acc-a", "acc-a-m1", now - timedelta(days=400)))
    pings.add("fresh", Item("acc-a", "acc-a-m1", now - timedelta(days=10)))
    photos.add("old-photo", Item("acc-a", "acc-a-m1", now - timedelta(days=200), blobs=["p/old", "p/old-thumb"]))
    photos.add("new-photo", Item("acc-a", "acc-a-m1", now - timedelta(days=5), blobs=["p/new"]))
    notes.add("old-note", Item("acc-a", "acc-a-m1", now - timedelta(days=200)))
    registry = Registry(kinds=[pings, photos, notes], expected=("pings", "photos", "notes", "consents"))

    run = purge(registry, privacy, accounts, clock)
    # Photos and notes default to "until deleted by the account": only the pings expired.
    assert set(pings.items) == {"fresh"} and set(photos.items) == {"old-photo", "new-photo"}
    assert run.deleted == {"pings": 1} and run.complete_pass and run.gaps == ["consents"]

    retention.update_retention(
        enqueue_data_request=lambda message: None,
        principal=owner,
        account_id="acc-a",
        changes=RetentionUpdate(media_days=90),
        privacy=privacy,
        reactions=FakeReactions(),
        retention_policy=POLICY,
        clock=clock,
    )
    clock.advance(days=1)
    run = purge(registry, privacy, accounts, clock)
    assert set(photos.items) == {"new-photo"} and photos.blobs == {"p/new"}
    assert set(notes.items) == set() and run.deleted == {"photos": 1, "notes": 1}
    assert privacy.list_runs(5)[0].run_id == run.run_id


def test_legal_holds_keep_data_and_are_reported_until_lifted(world: Stores) -> None:
    clock, accounts, users, privacy = world
    make_account(accounts, users, "acc-a", clock.now(), members=("m1", "m2"))
    make_account(accounts, users, "acc-b", clock.now())
    pings = FakeKind("pings")
    old = clock.now() - timedelta(days=500)
    pings.add("a1", Item("acc-a", "acc-a-m1", old))
    pings.add("a2", Item("acc-a", "acc-a-m2", old))
    pings.add("b1", Item("acc-b", "acc-b-m1", old))
    registry = Registry(kinds=[pings], expected=("pings",))
    member_hold = retention.place_hold(
        enqueue_data_request=lambda message: None,
        identity=ADMIN,
        privacy=privacy,
        accounts=accounts,
        clock=clock,
        data=LegalHoldCreate(account_id="acc-a", user_id="acc-a-m1", reason="dispute"),
    )
    account_hold = retention.place_hold(
        enqueue_data_request=lambda message: None,
        identity=ADMIN,
        privacy=privacy,
        accounts=accounts,
        clock=clock,
        data=LegalHoldCreate(account_id="acc-b", reason="investigation"),
    )

    run = purge(registry, privacy, accounts, clock)
    assert set(pings.items) == {"a1", "b1"}
    assert run.held == {"pings": 1} and run.held_accounts == ["acc-b"] and run.deleted == {"pings": 1}

    retention.lift_hold(
        enqueue_data_request=lambda message: None,
        identity=ADMIN,
        account_id="acc-a",
        hold_id=member_hold.hold_id,
        privacy=privacy,
        clock=clock,
    )
    retention.lift_hold(
        enqueue_data_request=lambda message: None,
        identity=ADMIN,
        account_id="acc-b",
        hold_id=account_hold.hold_id,
        privacy=privacy,
        clock=clock,
    )
    purge(registry, privacy, accounts, clock)
    assert pings.items == {}
    assert [e.action for e in privacy.list_audit("acc-b")] == ["legal-hold.placed", "legal-hold.lifted"]
    with pytest.raises(NotFound):
        retention.place_hold(
            enqueue_data_request=lambda message: None,
            identity=ADMIN,
            privacy=privacy,
            accounts=accounts,
            clock=clock,
            data=LegalHoldCreate(account_id="no-such", reason="typo"),
        )


def test_fifty_thousand_pings_purge_over_bounded_runs_surviving_a_crash(world: Stores) -> None:
    clock, accounts, users, privacy = world
    make_account(accounts, users, "acc-a", clock.now())
    make_account(accounts, users, "acc-b", clock.now())
    pings = FakeKind("pings")
    old = clock.now() - timedelta(days=400)
    for i in range(50_000):
        pings.add(f"p{i:06d}", Item("acc-a" if i % 2 else "acc-b", "u", old))
    pings.add("keep", Item("acc-a", "u", clock.now()))
    registry = Registry(kinds=[pings], expected=("pings",))

    runs = [purge(registry, privacy, accounts, clock, batch=1000, max_items=12_000)]
    assert runs[0].deleted["pings"] == 12_000 and not runs[0].complete_pass
    pings.fail_after_deletes = 2_500  # the host dies part-way through a page
    with pytest.raises(ConnectionError):
        clock.advance(minutes=1)
        purge(registry, privacy, accounts, clock, batch=1000, max_items=12_000)
    crashed = privacy.list_runs(1)[0]
    assert crashed.deleted["pings"] == 2_000  # the pages saved before the crash
    pings.fail_after_deletes = None
    while not runs[-1].complete_pass:
        clock.advance(minutes=1)
        runs.append(purge(registry, privacy, accounts, clock, batch=1000, max_items=12_000))
        assert len(runs) < 20
    assert set(pings.items) == {"keep"}
    assert set(pings.deletes.values()) == {1}  # nothing deleted twice
    counted = sum(r.deleted.get("pings", 0) for r in privacy.runs.values())
    # Every item is deleted once; only the count of the page in flight at the crash (500 here) is not recorded.
    assert counted == 50_000 - 500
    assert len(runs) >= 4


def test_retention_settings_bounds_and_authorization(world: Stores) -> None:
    clock, accounts, users, privacy = world
    owner = make_account(accounts, users, "acc-a", clock.now())
    member = Principal(user_id="acc-a-m1", email=None, account_id="acc-a", role=Role.MEMBER)
    reactions = FakeReactions()
    got = retention.get_retention(principal=member, account_id="acc-a", privacy=privacy, retention_policy=POLICY)
    assert got.location_days == 365 and got.media_days is None and got.limits.location_max_days == 1095
    with pytest.raises(ValidationFailed) as err:
        retention.update_retention(
            enqueue_data_request=lambda message: None,
            principal=owner,
            account_id="acc-a",
            privacy=privacy,
            reactions=reactions,
            retention_policy=POLICY,
            clock=clock,
            changes=RetentionUpdate(location_days=5, access_log_days=5000),
        )
    assert {e.field for e in err.value.errors} == {"locationDays", "accessLogDays"}
    assert privacy.get_retention("acc-a") is None  # bad input changes nothing
    with pytest.raises(Forbidden):
        retention.update_retention(
            enqueue_data_request=lambda message: None,
            principal=member,
            account_id="acc-a",
            privacy=privacy,
            reactions=reactions,
            retention_policy=POLICY,
            clock=clock,
            changes=RetentionUpdate(location_days=60),
        )
    with pytest.raises(NotFound):
        retention.get_retention(principal=owner, account_id="acc-b", privacy=privacy, retention_policy=POLICY)
    saved = retention.update_retention(
        enqueue_data_request=lambda message: None,
        principal=owner,
        account_id="acc-a",
        privacy=privacy,
        reactions=reactions,
        retention_policy=POLICY,
        clock=clock,
        changes=RetentionUpdate(location_days=60),
    )
    assert saved.location_days == 60 and privacy.list_audit("acc-a")[-1].action == "retention.updated"
    assert reactions.raised == [RetentionChanged(account_id="acc-a")]  # refused changes raise nothing


def test_old_run_records_are_pruned_at_the_end_of_a_pass(world: Stores) -> None:
    clock, accounts, users, privacy = world
    make_account(accounts, users, "acc-a", clock.now())
    registry = Registry(kinds=[FakeKind("pings")], expected=("pings",))
    first = purge(registry, privacy, accounts, clock)
    clock.advance(days=91)
    latest = purge(registry, privacy, accounts, clock)
    assert first.run_id not in privacy.runs and latest.run_id in privacy.runs


class FakeOutbox:
    name = "outbox"
    retention_days = 90

    def __init__(self, ages: list[int], now: datetime) -> None:
        self.items = {f"o{i}": now - timedelta(days=a) for i, a in enumerate(ages)}

    def expired_page(self, *, before: datetime, limit: int) -> list[ItemRef]:
        ids = sorted(i for i, at in self.items.items() if at < before)[:limit]
        return [ItemRef(kind="outbox", partition_key=i, doc_id=i) for i in ids]

    def delete(self, ref: ItemRef) -> bool:
        return self.items.pop(ref.doc_id, None) is not None


def test_platform_kinds_are_swept_at_the_end_of_a_pass_within_the_budget(world: Stores) -> None:
    clock, accounts, users, privacy = world
    make_account(accounts, users, "acc-a", clock.now())
    outbox = FakeOutbox([100] * 25 + [10] * 3, clock.now())
    registry = Registry(kinds=[FakeKind("pings")], expected=("pings", "outbox"), platform=[outbox])
    assert registry.gaps == []
    first = purge(registry, privacy, accounts, clock, batch=10, max_items=12)
    assert not first.complete_pass and first.deleted.get("outbox", 0) >= 10
    runs = [first]
    while not runs[-1].complete_pass:
        clock.advance(minutes=1)
        runs.append(purge(registry, privacy, accounts, clock, batch=10, max_items=12))
        assert len(runs) < 10
    assert len(outbox.items) == 3 and sum(r.deleted.get("outbox", 0) for r in runs) == 25
