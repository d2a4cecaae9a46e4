"""The ingest gate (core/services/ingest_gate.py): one read in the common case, kept current by the writes that
change a source (each raises its event around the write; the reactions table, core/services/reactions.py, marks the
gate pending before and rebuilds it after), never trusted while missing or pending, repaired without overwriting a
newer state."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import pytest

from core.bootstrap import root_with
from core.domain.accounts import Member
from core.domain.billing import BillingRecord, BillingStatus, GraceMarker
from core.domain.consent import ConsentUpdate
from core.domain.errors import AccountSuspended
from core.domain.events import BillingStatusChanged, ConsentChanged
from core.domain.identity import Principal, Role
from core.domain.ingest_gate import GateDoc, GateRead
from core.domain.privacy import RetentionUpdate
from core.domain.private_zones import ApplyToHistoryIn, PrivateZoneIn, WithheldPing
from core.domain.tracking import PingBatch, TrackingScheduleUpdate
from core.services import billing, consent, private_zones, retention, tracking
from core.services.ingest_gate import STALE_MARK, IngestGateKeeper
from core.services.retention import RetentionPolicy
from core.settings import Settings
from tests.unit.fakes import FakeReactions
from tests.unit.fakes_billing import FakeStripe
from tests.unit.fakes_media import FakeImageCodec, FakeMediaStore, FakePhotoBlobs
from tests.unit.fakes_tracking import FakeLatestPositions, FakePrivateZoneStore
from tests.unit.test_billing_service import POLICY
from tests.unit.test_tracking_ingest import WORKER, World, ping

if TYPE_CHECKING:
    from core.ports import WithheldPingStore


class FakeGateStore:
    """Gate documents with a version each; `before_save` runs once before the next save (to stage a race)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.docs: dict[tuple[str, str | None], tuple[str, dict[str, Any] | None, dict[str, datetime]]] = {}
        self.reads = 0
        self.before_save: list[Any] = []

    def _doc(self, key: tuple[str, str | None]) -> GateDoc | None:
        stored = self.docs.get(key)
        return None if stored is None else GateDoc(facts=stored[1], pending=dict(stored[2]), etag=stored[0])

    def read(self, *, account_id: str, user_id: str) -> GateRead:
        self.reads += 1
        return GateRead(
            account=self.world.accounts.get_account(account_id),
            account_gate=self._doc((account_id, None)),
            member_gate=self._doc((account_id, user_id)),
        )

    def read_member(self, *, account_id: str, user_id: str) -> tuple[Member | None, GateDoc | None]:
        self.reads += 1
        return self.world.accounts.get_member(account_id, user_id), self._doc((account_id, user_id))

    def get(self, *, account_id: str, user_id: str | None) -> GateDoc | None:
        return self._doc((account_id, user_id))

    def save(
        self,
        *,
        account_id: str,
        user_id: str | None,
        facts: dict[str, Any] | None,
        pending: dict[str, datetime],
        etag: str | None,
    ) -> bool:
        while self.before_save:
            self.before_save.pop(0)()
        stored = self.docs.get((account_id, user_id))
        if (stored[0] if stored else None) != etag:
            return False
        self.docs[(account_id, user_id)] = (uuid.uuid4().hex, facts, dict(pending))
        return True

    def delete(self, *, account_id: str, user_id: str | None) -> None:
        self.docs.pop((account_id, user_id), None)


class Sources:
    """Counts every read of a source of truth."""

    def __init__(self, world: World) -> None:
        self.world, self.reads = world, 0

    def wrap(self, obj: Any) -> Any:
        sources = self

        class Counting:
            def __getattr__(self, name: str) -> Any:
                attr = getattr(obj, name)
                if name in ("history", "schedule_versions", "get_zones", "get", "get_retention"):
                    sources.reads += 1
                return attr

        return Counting()


class GateWorld(World):
    def __init__(self) -> None:
        super().__init__()
        self.gates = FakeGateStore(self)
        self.sources = Sources(self)
        self.zones = FakePrivateZoneStore()
        self.zone_id = ""
        self.keeper = IngestGateKeeper(
            store=self.gates,
            billing=self.sources.wrap(self.billing),
            privacy=self.sources.wrap(self.privacy),
            consents=self.sources.wrap(self.ledger),
            schedules=self.sources.wrap(self.schedules),
            zones=self.sources.wrap(self.zones),
            clock=self.clock,
        )
        # The reactions table on a root whose gate is this keeper: each change marks, then rebuilds, this gate.
        self.reactions = root_with(Settings(), ingest_gate=self.keeper).reactions

    def consent(self, granted: bool) -> None:
        consent.set_consent(
            principal=WORKER,
            capability="location",
            data=ConsentUpdate(granted=granted, device_id="d1", app_version="1.0"),
            consents=self.ledger,
            reactions=self.reactions,
            clock=self.clock,
            policy_version="2023-06-15",
        )

    def ingest(self, pings: list[Any]) -> Any:
        return tracking.ingest_pings(
            principal=WORKER,
            batch=PingBatch(pings=pings),
            ping_queue=self.queue,
            retention_policy=RetentionPolicy(),
            clock=self.clock,
            future_skew=timedelta(minutes=5),
            ingest_gate=self.keeper,
        )


def granted_world() -> GateWorld:
    w = GateWorld()
    w.clock.advance(days=-1)
    w.consent(True)
    w.clock.advance(days=1)
    return w


def test_the_common_case_is_one_gate_read_and_no_source_read() -> None:
    w = granted_world()
    w.ingest([ping(w.clock.now() - timedelta(minutes=1))])  # builds the account's gate (the member's was built)
    w.sources.reads, w.gates.reads = 0, 0
    r = w.ingest([ping(w.clock.now() - timedelta(seconds=30))])
    assert r.accepted == 1
    assert (w.gates.reads, w.sources.reads) == (1, 0)


def test_a_revocation_takes_effect_on_the_very_next_call() -> None:
    w = granted_world()
    assert w.ingest([ping(w.clock.now() - timedelta(minutes=1))]).accepted == 1
    w.consent(False)
    w.clock.advance(seconds=1)
    r = w.ingest([ping(w.clock.now())])
    assert (r.accepted, r.dropped.no_consent) == (0, 1)
    gate = w.gates.get(account_id="a1", user_id="u1")
    assert gate is not None and gate.usable  # rebuilt by the write, not by the call


def test_a_suspension_refuses_the_very_next_call_and_its_end_accepts_again() -> None:
    w = granted_world()
    w.ingest([ping(w.clock.now() - timedelta(minutes=1))])
    record = BillingRecord(
        account_id="a1",
        customer_id="cus_1",
        status=BillingStatus.ACTIVE,
        status_since=w.clock.now(),
        created_at=w.clock.now(),
        updated_at=w.clock.now(),
    )
    changed = BillingStatusChanged(account_id="a1")
    with w.reactions.changing(changed):
        assert w.billing.create_if_absent(record)
    assert w.ingest([ping(w.clock.now() - timedelta(seconds=50))]).accepted == 1
    suspended = record.model_copy(update={"status": BillingStatus.SUSPENDED})
    with w.reactions.changing(changed):
        assert w.billing.replace_if_unchanged(suspended, expected=record)
    with pytest.raises(AccountSuspended):
        w.ingest([ping(w.clock.now() - timedelta(seconds=40))])
    with w.reactions.changing(changed):
        assert w.billing.replace_if_unchanged(record, expected=suspended)
    assert w.ingest([ping(w.clock.now() - timedelta(seconds=30))]).accepted == 1


def test_a_writer_that_crashed_after_its_mark_leaves_a_gate_that_is_never_trusted_then_repaired() -> None:
    w = granted_world()
    w.ingest([ping(w.clock.now() - timedelta(minutes=1))])
    crashed = w.reactions.changing(ConsentChanged(account_id="a1", user_id="u1"))
    crashed.__enter__()  # marked; the source is written below; the rebuild never runs (the process died)
    consent.set_consent(
        principal=WORKER,
        capability="location",
        data=ConsentUpdate(granted=False, device_id="d1", app_version="1.0"),
        consents=w.ledger,
        reactions=FakeReactions(),  # the write alone
        clock=w.clock,
        policy_version="2023-06-15",
    )
    w.clock.advance(seconds=1)
    r = w.ingest([ping(w.clock.now())])
    assert r.dropped.no_consent == 1  # decided from the sources
    marked = w.gates.get(account_id="a1", user_id="u1")
    assert marked is not None and not marked.usable  # a fresh mark: not repaired by the call
    w.clock.advance(seconds=STALE_MARK.total_seconds() + 1)
    w.ingest([ping(w.clock.now())])
    gate = w.gates.get(account_id="a1", user_id="u1")
    assert gate is not None and gate.usable and gate.facts is not None
    assert gate.facts["location_consents"][-1]["granted"] is False


def test_a_gate_missing_since_before_this_change_is_built_by_the_first_call() -> None:
    w = granted_world()
    w.gates.docs.clear()
    w.sources.reads = 0
    assert w.ingest([ping(w.clock.now() - timedelta(minutes=1))]).accepted == 1
    assert w.sources.reads == 5  # billing, retention, consent history, schedule, zones
    built = [w.gates.get(account_id="a1", user_id=u) for u in (None, "u1")]
    assert all(g is not None and g.usable for g in built)


def test_a_rebuild_that_races_another_writers_mark_keeps_that_mark() -> None:
    w = granted_world()
    other = w.reactions.changing(ConsentChanged(account_id="a1", user_id="u1"))
    w.gates.before_save.append(lambda: other.__enter__())  # another writer marks between our read and our save
    w.consent(False)
    gate = w.gates.get(account_id="a1", user_id="u1")
    assert gate is not None and len(gate.pending) == 1 and not gate.usable  # ours is out, theirs is kept


def test_a_repair_never_overwrites_a_newer_version() -> None:
    w = granted_world()
    w.gates.docs.pop(("a1", "u1"))
    # between the call's read (gate missing) and its repair, a consent change creates the gate
    w.gates.before_save.append(lambda: w.consent(False))
    w.ingest([ping(w.clock.now() - timedelta(minutes=1))])
    gate = w.gates.get(account_id="a1", user_id="u1")
    assert gate is not None and gate.usable and gate.facts is not None
    assert gate.facts["location_consents"][-1]["granted"] is False


# ---------------------------------------------------------------- every write of a source, through its service

OWNER = Principal(user_id="o1", email="o1@example.com", account_id="a1", role=Role.OWNER)
HOME = PrivateZoneIn.model_validate({"latitude": 44.97, "longitude": -93.26, "radiusMeters": 200})


class CountingWithheld:
    def __init__(self) -> None:
        self.records: dict[str, WithheldPing] = {}

    def record(self, *, account_id: str, user_id: str, withheld: list[WithheldPing]) -> None:
        self.records.update({w.ping_id: w for w in withheld})

    def count_applied(self, *, account_id: str, user_id: str, zone_id: str) -> int:
        return sum(1 for w in self.records.values() if w.applied_zone == zone_id)


def _add_zone(w: GateWorld) -> str:
    return private_zones.add_zone(
        principal=WORKER, data=HOME, private_zones=w.zones, reactions=w.reactions, clock=w.clock
    ).zone_id


def _apply_zone(w: GateWorld, zone_id: str) -> None:
    private_zones.apply_to_history(
        principal=WORKER,
        zone_id=zone_id,
        data=ApplyToHistoryIn(confirmation="REMOVE"),
        private_zones=w.zones,
        reactions=w.reactions,
        pings=w.pings,
        latest_positions=FakeLatestPositions(),
        withheld_pings=cast("WithheldPingStore", CountingWithheld()),
        media=FakeMediaStore(),
        image_codec=FakeImageCodec(),
        photo_blobs=FakePhotoBlobs(),
        clock=w.clock,
        accounts=w.accounts,
        privacy=w.privacy,
        retention_policy=RetentionPolicy(),
    )


def _new_billing_record(w: GateWorld) -> None:
    w.accounts.put_member(
        Member(
            account_id="a1",
            user_id="o1",
            role=Role.OWNER,
            full_name="Owner",
            email="o1@example.com",
            time_zone="UTC",
            joined_at=w.clock.now(),
            updated_at=w.clock.now(),
        )
    )
    record = billing.ensure_customer(
        account_id="a1",
        accounts=w.accounts,
        store=w.billing,
        reactions=w.reactions,
        gateway=FakeStripe(w.clock),
        clock=w.clock,
    )
    assert record is not None


def _suspend_overdue(w: GateWorld) -> None:
    now = w.clock.now()
    since = now - POLICY.grace - timedelta(hours=1)
    w.billing.records["a1"] = BillingRecord(
        account_id="a1",
        customer_id="cus_1",
        status=BillingStatus.PAST_DUE,
        status_since=since,
        past_due_since=since,
        created_at=since,
        updated_at=since,
    )
    w.billing.put_grace_marker(GraceMarker(account_id="a1", past_due_since=since))
    suspended = billing.suspend_overdue(
        accounts=w.accounts,
        billing=w.billing,
        reactions=w.reactions,
        clock=w.clock,
        billing_policy=POLICY,
        billing_notifier=None,  # no notice pending: the gate is what this checks
    )
    assert suspended == 1


WRITES: dict[str, tuple[Callable[[GateWorld], object], str, str, str | None]] = {
    # name: (the service call, the fake store it writes, its write method, whose gate: a member or the account)
    "consent set": (lambda w: w.consent(False), "ledger", "append", "u1"),
    "schedule put": (
        lambda w: tracking.put_schedule(
            principal=WORKER,
            data=TrackingScheduleUpdate.model_validate(
                {"timeZone": "UTC", "windows": [{"days": ["mon"], "start": "07:00", "end": "18:00"}]}
            ),
            tracking_schedules=w.schedules,
            reactions=w.reactions,
            clock=w.clock,
        ),
        "schedules",
        "put_schedule",
        "u1",
    ),
    "schedule deleted": (
        lambda w: tracking.delete_schedule(principal=WORKER, tracking_schedules=w.schedules, reactions=w.reactions),
        "schedules",
        "delete_schedule",
        "u1",
    ),
    "zone added": (_add_zone, "zones", "save_zones", "u1"),
    "zone removed": (
        lambda w: private_zones.remove_zone(
            principal=WORKER, zone_id=w.zone_id, private_zones=w.zones, reactions=w.reactions, clock=w.clock
        ),
        "zones",
        "save_zones",
        "u1",
    ),
    "zone applied to history": (lambda w: _apply_zone(w, w.zone_id), "zones", "save_zones", "u1"),
    "retention saved": (
        lambda w: retention.update_retention(
            enqueue_data_request=lambda message: None,
            principal=OWNER,
            account_id="a1",
            changes=RetentionUpdate(location_days=30),
            privacy=w.privacy,
            reactions=w.reactions,
            retention_policy=RetentionPolicy(),
            clock=w.clock,
        ),
        "privacy",
        "put_retention",
        None,
    ),
    "billing record created": (_new_billing_record, "billing", "create_if_absent", None),
    "billing status changed": (_suspend_overdue, "billing", "replace_if_unchanged", None),
}


@pytest.mark.parametrize("name", list(WRITES))
def test_every_write_of_a_source_finds_its_gate_pending_and_leaves_it_rebuilt(name: str) -> None:
    act, store_name, method, user_id = WRITES[name]
    w = granted_world()
    w.ingest([ping(w.clock.now() - timedelta(minutes=1))])  # both gates built and in use
    w.zone_id = _add_zone(w)  # a zone in force, for the writes that end or apply one
    store = getattr(w, store_name)
    write = getattr(store, method)
    pending_at_write: list[bool] = []

    def watched(*args: Any, **kwargs: Any) -> Any:
        gate = w.gates.get(account_id="a1", user_id=user_id)
        pending_at_write.append(gate is not None and bool(gate.pending))
        return write(*args, **kwargs)

    setattr(store, method, watched)
    act(w)
    assert pending_at_write and all(pending_at_write)  # marked BEFORE the source is written
    gate = w.gates.get(account_id="a1", user_id=user_id)
    assert gate is not None and gate.usable  # rebuilt AFTER: the next call reads it again
