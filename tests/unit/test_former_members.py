"""Rights after leaving (issue 28): a member leaves by themselves with the effects of a removal; a person whose
access ended signs in as a FormerMember, which only the rights endpoints take; what is still held about them is
counted from their own items only, with the purge's retention rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.domain.accounts import AccountEventType, MemberStatus
from core.domain.errors import AccessEnded, Conflict, NotFound, NotRegistered
from core.domain.identity import FormerMember, Identity, Principal, Role
from core.domain.privacy import ClosureRecord, DataRequestCreate, DataRequestType, DeletionResidue
from core.services import auth, data_requests, held_data, members
from core.services.retention import RetentionPolicy
from tests.unit.fakes import FakeAccountStore, FakeClock, FakePublisher, FakeUserStore
from tests.unit.fakes_privacy import FakeKind, FakePrivacyStore, Item
from tests.unit.test_members_service import _accept, _invite, _setup

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _world() -> tuple[FakeUserStore, FakeAccountStore, FakeClock, Principal, Principal]:
    users, store, clock, owner = _setup()
    _accept(users, store, clock, _invite(store, clock, owner), "w1")
    return users, store, clock, owner, Principal("w1", "w@example.com", owner.account_id, Role.MEMBER)


def _leave(
    who: Principal, users: FakeUserStore, store: FakeAccountStore, clock: FakeClock
) -> tuple[FakePublisher, FakePrivacyStore]:
    events, privacy = FakePublisher(), FakePrivacyStore(store)
    members.leave_account(
        principal=who, accounts=store, users=users, account_events=events, privacy=privacy, clock=clock
    )
    return events, privacy


def test_a_member_leaves_like_a_removal_and_it_is_audited() -> None:
    users, store, clock, owner, worker = _world()
    events, privacy = _leave(worker, users, store, clock)
    record = users.get_user("w1")
    member = store.get_member(owner.account_id, "w1")
    assert record is not None and record.status is MemberStatus.REMOVED
    assert member is not None and member.status is MemberStatus.REMOVED and member.removed_at == clock.now()
    assert [(e.type, e.user_id) for e in events.published] == [(AccountEventType.MEMBER_REMOVED, "w1")]
    [entry] = privacy.list_audit(owner.account_id)
    assert (entry.action, entry.actor, entry.subject_user_id) == ("member.left", "w1", "w1")
    with pytest.raises(AccessEnded):
        auth.resolve_principal(identity=Identity("w1", "w@example.com"), users=users)
    with pytest.raises(NotFound):  # leaving twice: the membership is gone
        _leave(worker, users, store, clock)


def test_the_owner_cannot_leave_and_nothing_changes() -> None:
    users, store, clock, owner, _ = _world()
    with pytest.raises(Conflict, match="close it instead"):
        _leave(owner, users, store, clock)
    record = users.get_user(owner.user_id)
    assert record is not None and record.status is MemberStatus.ACTIVE


@pytest.mark.parametrize("status", [MemberStatus.REMOVED, MemberStatus.CLOSED])
def test_a_user_whose_access_ended_resolves_to_a_former_member_only_on_the_rights_path(status: MemberStatus) -> None:
    users, _, _, owner, _ = _world()
    record = users.get_user("w1")
    assert record is not None
    users.put_user(record.model_copy(update={"status": status}))
    identity = Identity("w1", "w@example.com")
    subject = auth.resolve_subject(identity=identity, users=users)
    assert subject == FormerMember("w1", "w@example.com", owner.account_id, Role.MEMBER, status.value)
    assert not isinstance(subject, Principal)
    with pytest.raises(AccessEnded):
        auth.resolve_principal(identity=identity, users=users)
    assert isinstance(auth.resolve_subject(identity=Identity(owner.user_id, None), users=users), Principal)
    with pytest.raises(NotRegistered):
        auth.resolve_subject(identity=Identity("nobody", None), users=users)


def test_a_former_member_may_ask_for_export_and_erasure_only_and_reads_only_their_requests() -> None:
    store = FakeAccountStore()
    privacy, clock, queued = FakePrivacyStore(store), FakeClock(AT), list[str]()
    former = FormerMember("w1", None, "a1", Role.MEMBER, "removed")
    other = Principal("w2", None, "a1", Role.MEMBER)
    made = {}
    for kind in (DataRequestType.ACCESS, DataRequestType.ERASURE):
        made[kind] = data_requests.create_request(
            principal=former,
            data=DataRequestCreate(type=kind),
            privacy=privacy,
            clock=clock,
            enqueue_data_request=queued.append,
        )
    assert len(queued) == 2
    for kind in (DataRequestType.RECTIFICATION, DataRequestType.CALIFORNIA_DISCLOSURE):
        with pytest.raises(AccessEnded):
            data_requests.create_request(
                principal=former,
                data=DataRequestCreate(type=kind),
                privacy=privacy,
                clock=clock,
                enqueue_data_request=queued.append,
            )
    theirs = data_requests.create_request(
        principal=other,
        data=DataRequestCreate(type=DataRequestType.ACCESS),
        privacy=privacy,
        clock=clock,
        enqueue_data_request=queued.append,
    )
    listed = data_requests.list_requests(principal=former, privacy=privacy, deletion_residue=DeletionResidue()).items
    assert {r.request_id for r in listed} == {r.request_id for r in made.values()}
    with pytest.raises(NotFound):
        data_requests.get_request(principal=former, request_id=theirs.request_id, privacy=privacy)


def _kinds() -> list[FakeKind]:
    pings = FakeKind("pings", retention="location")
    notes = FakeKind("notes", retention="media")
    profiles = FakeKind("profiles", retention="account", on_erasure="anonymize")
    billing = FakeKind("billing-records", retention="account", kept_for="billing-records", on_erasure="keep")
    for i in range(2505):  # more than one counting page
        pings.add(f"p{i:05}", Item("a1", "w1", AT - timedelta(minutes=i)))
    pings.add("other", Item("a1", "w2", AT))
    pings.add("elsewhere", Item("a2", "w1", AT))
    profiles.add("m-w1", Item("a1", "w1", AT))
    notes.add("n-w2", Item("a1", "w2", AT))  # someone else's: not counted, not named
    billing.add("b", Item("a1", None, AT))  # the account's: not counted
    return [pings, notes, profiles, billing]


def test_held_data_counts_only_the_callers_items_with_the_accounts_retention() -> None:
    privacy = FakePrivacyStore(FakeAccountStore())
    former = FormerMember("w1", None, "a1", Role.MEMBER, "removed")
    policy = RetentionPolicy(location_days=200, closed_account_days=90)
    held = held_data.held_data(principal=former, personal_data_kinds=_kinds(), privacy=privacy, retention_policy=policy)
    assert held.access == "removed" and held.account_closed_at is None
    assert {k.kind: k.items for k in held.kinds} == {"pings": 2505, "profiles": 1}
    pings = next(k for k in held.kinds if k.kind == "pings")
    assert (pings.kept_days, pings.kept_until, pings.items_at_least) == (200, None, False)
    assert "200 days after it was recorded" in pings.rule
    profiles = next(k for k in held.kinds if k.kind == "profiles")
    assert profiles.kept_days is None and "90 days after it closes" in profiles.rule


def test_held_data_of_a_closed_account_names_the_retention_deadline() -> None:
    privacy = FakePrivacyStore(FakeAccountStore())
    deadline = AT + timedelta(days=90)
    privacy.put_closure(ClosureRecord(account_id="a1", closed_by="o1", closed_at=AT, retention_deadline=deadline))
    former = FormerMember("w1", None, "a1", Role.MEMBER, "closed")
    held = held_data.held_data(
        principal=former, personal_data_kinds=_kinds(), privacy=privacy, retention_policy=RetentionPolicy()
    )
    assert held.access == "closed" and held.account_closed_at == AT
    assert {k.kind: k.kept_until for k in held.kinds} == {"pings": deadline, "profiles": deadline}


class _UncountedKind(FakeKind):
    def count_of_user(self, *, account_id: str, user_id: str) -> int | None:
        return None  # no count query of its own: paged


def test_counting_without_a_count_query_stops_at_its_bound() -> None:
    kind = _UncountedKind("pings")
    for i in range(held_data.MAX_COUNTED + 5):
        kind.add(f"p{i:06}", Item("a1", "w1", AT))
    items, at_least = held_data.count_of_user(kind, account_id="a1", user_id="w1")
    assert at_least and held_data.MAX_COUNTED <= items < held_data.MAX_COUNTED + 5
