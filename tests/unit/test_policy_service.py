"""Policy versions: seeded once, immutable, effective exactly 30 days after posting (never sooner), current by the
clock alone; notices: one per (user, version) across repeated runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from core.domain.email import EmailStatus
from core.domain.errors import Conflict, NotFound, ValidationFailed
from core.domain.identity import Identity, Principal, Role
from core.domain.policy import PolicyAcknowledgementCreate, PolicyVersionCreate
from core.services import policy
from core.services.outbox import Links
from core.signing import LinkSigner
from tests.unit.fakes import FakeClock
from tests.unit.fakes_email import FakeEmailProfiles, FakeOutbox, FakePolicyStore

ADMIN = Identity("admin-1", None, is_platform_admin=True)
LINKS = Links(base_url="https://x.test", signer=LinkSigner(b"unit-test-signing-key-0123456789"))
TEXT = "# Privacy policy\n\nA new version with clearer words about location."


def _post(store: FakePolicyStore, clock: FakeClock, **extra: object) -> str:
    body = {"text": TEXT, "summary": "Clearer words about location.", **extra}
    return policy.post_version(
        identity=ADMIN, data=PolicyVersionCreate.model_validate(body), policy=store, clock=clock
    ).version_id


def test_seed_version_is_created_once_from_the_shipped_text() -> None:
    store, clock = FakePolicyStore(), FakeClock()
    assert policy.current_policy_version(policy=store, clock=clock) == "2023-06-15"
    assert policy.ensure_seeded(store=store) is False
    seed = store.versions["2023-06-15"]
    assert seed.effective_at - seed.posted_at == timedelta(days=30) and not seed.notify
    assert "30 days" in seed.text and seed.text.startswith("# IndusTrack Privacy Policy")
    assert len(policy.list_versions(policy=store, clock=clock).items) == 1


def test_posted_version_becomes_current_exactly_30_days_later() -> None:
    store, clock = FakePolicyStore(), FakeClock(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    version_id = _post(store, clock)
    assert version_id == "2026-06-01"
    now = policy.policy_now(policy=store, clock=clock)
    assert now.current is not None and now.current.version_id == "2023-06-15"
    assert now.upcoming is not None and now.upcoming.version_id == version_id
    assert now.upcoming.effective_at == datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    clock.at = datetime(2026, 7, 1, 11, 59, 59, 999999, tzinfo=UTC)
    assert policy.current_policy_version(policy=store, clock=clock) == "2023-06-15"
    clock.at = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert policy.current_policy_version(policy=store, clock=clock) == version_id
    now = policy.policy_now(policy=store, clock=clock)
    assert now.upcoming is None and now.current is not None and now.current.state == "current"
    states = {v.version_id: v.state for v in policy.list_versions(policy=store, clock=clock).items}
    assert states == {version_id: "current", "2023-06-15": "superseded"}


def test_a_version_can_never_take_effect_sooner_but_may_take_effect_later() -> None:
    store, clock = FakePolicyStore(), FakeClock()
    too_soon = (clock.now() + timedelta(days=29, hours=23)).isoformat()
    with pytest.raises(ValidationFailed) as err:
        _post(store, clock, effectiveAt=too_soon)
    assert err.value.errors[0].field == "effectiveAt"
    with pytest.raises(ValidationError):  # no offset: the request model refuses it (a 422 naming effectiveAt)
        _post(store, clock, effectiveAt="2026-07-30T00:00:00")
    later = clock.now() + timedelta(days=45)
    version_id = _post(store, clock, effectiveAt=later.isoformat())
    assert store.versions[version_id].effective_at == later
    with pytest.raises(Conflict):
        _post(store, clock)  # +30 days would apply before the version posted first
    with pytest.raises(ValueError):
        PolicyVersionCreate.model_validate({"text": TEXT, "summary": "s x", "postedAt": "2020-01-01T00:00:00Z"})


def test_posted_versions_are_immutable_and_same_day_versions_get_new_ids() -> None:
    store, clock = FakePolicyStore(), FakeClock()
    first = _post(store, clock)
    original = store.versions[first]
    second = _post(store, clock)
    assert (first, second) == ("2026-06-01", "2026-06-01.2")
    assert store.versions[first] == original
    assert store.create_version(original.model_copy(update={"text": "changed"})) is False


def test_get_version_and_not_found() -> None:
    store, clock = FakePolicyStore(), FakeClock()
    assert policy.get_version(version_id="2023-06-15", policy=store, clock=clock).state == "current"
    with pytest.raises(NotFound):
        policy.get_version(version_id="1999-01-01", policy=store, clock=clock)


def test_acknowledgement_needs_an_existing_version() -> None:
    store, clock = FakePolicyStore(), FakeClock()
    me = Principal("u1", None, "a1", Role.MEMBER)
    ack = policy.acknowledge(
        principal=me,
        data=PolicyAcknowledgementCreate.model_validate({"versionId": "2023-06-15", "app": "ios"}),
        policy=store,
        clock=clock,
    )
    assert ack.version_id == "2023-06-15" and ack.at == clock.now()
    assert [a.app for a in store.list_acknowledgements("u1")] == ["ios"]
    with pytest.raises(ValidationFailed):
        policy.acknowledge(
            principal=me,
            data=PolicyAcknowledgementCreate.model_validate({"versionId": "2024-01-01", "app": "ios"}),
            policy=store,
            clock=clock,
        )


def _verified(profiles: FakeEmailProfiles, user: str, at: datetime, verified: bool = True) -> None:
    profiles.put_status(
        EmailStatus(
            user_id=user,
            account_id="a1",
            address=f"{user}@example.com",
            verified=verified,
            verified_address=f"{user}@example.com" if verified else None,
            created_at=at,
            updated_at=at,
        )
    )


def test_notices_one_per_user_and_version_across_repeated_runs() -> None:
    store, clock, profiles, outbox = FakePolicyStore(), FakeClock(), FakeEmailProfiles(), FakeOutbox()
    for user in ("u1", "u2", "u3"):
        _verified(profiles, user, clock.now() - timedelta(days=1))
    _verified(profiles, "u4", clock.now() - timedelta(days=1), verified=False)

    def run() -> int:
        return policy.send_policy_notices(
            policy=store, email_profiles=profiles, outbox=outbox, email_links=LINKS, clock=clock, outbox_keep_days=90
        )

    assert run() == 0  # only the seed: nothing to announce
    version_id = _post(store, clock)
    assert [run(), run(), run()] == [3, 0, 0]
    assert sorted(outbox.entries) == [f"notice-{version_id}-u{i}" for i in (1, 2, 3)]
    assert sorted(outbox.dispatched) == sorted(outbox.entries)  # each queued once
    assert {e.category for e in outbox.entries.values()} == {"legal"}
    # A user who verifies later still gets the notice; one who arrives after the version applies does not.
    clock.advance(days=10)
    _verified(profiles, "u5", clock.now())
    assert run() == 1
    clock.advance(days=25)
    _verified(profiles, "u6", clock.now())
    assert run() == 0
    clock.advance(days=40)  # well past the notice window
    _verified(profiles, "u7", clock.now() - timedelta(days=70))
    assert run() == 0


def test_no_notices_once_the_first_ones_may_have_been_purged_from_the_outbox() -> None:
    store, clock, profiles, outbox = FakePolicyStore(), FakeClock(), FakeEmailProfiles(), FakeOutbox()
    _verified(profiles, "u1", clock.now() - timedelta(days=1))
    far = clock.now() + timedelta(days=120)
    version_id = _post(store, clock, effectiveAt=far.isoformat())
    version = store.versions[version_id]
    assert policy.notice_window_end(version, outbox_keep_days=90) == version.posted_at + timedelta(days=89)

    def run() -> int:
        return policy.send_policy_notices(
            policy=store, email_profiles=profiles, outbox=outbox, email_links=LINKS, clock=clock, outbox_keep_days=90
        )

    assert run() == 1
    clock.advance(days=91)
    outbox.entries.clear()  # the retention purge removed the finished notice
    _verified(profiles, "u2", clock.now() - timedelta(days=100))
    assert run() == 0 and outbox.entries == {}
