"""The ingest gate (core/services/ingest_gate.py): one read in the common case, kept current by the writes that
change a source, never trusted while missing or pending, repaired without overwriting a newer state."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from core.domain.billing import BillingRecord, BillingStatus
from core.domain.consent import ConsentUpdate
from core.domain.errors import AccountSuspended
from core.services import consent
from core.services.ingest_gate import STALE_MARK
from tests.unit.test_tracking_ingest import WORKER, World, ping


class Sources:
    """Counts every read of a source of truth."""

    def __init__(self) -> None:
        self.reads = 0

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
    """The ingest World (production wiring) whose gate keeper's source reads are counted; `gates` is the gate
    store, `keeper` the gate keeper and `kept_ledger`, `kept_billing` the consent ledger and billing store as the
    root hands them out (a write keeps the gate current), `ledger` the consent ledger itself."""

    def __init__(self) -> None:
        self.sources = Sources()
        super().__init__()
        self.gates = self.gate.store
        self.keeper = self.gate.keeper
        self.kept_ledger = self.gate.consents
        self.kept_billing = self.gate.billing

    def read_source(self, source: Any) -> Any:
        return self.sources.wrap(source)


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
    assert w.kept_billing.create_if_absent(record)
    assert w.ingest([ping(w.clock.now() - timedelta(seconds=50))]).accepted == 1
    suspended = record.model_copy(update={"status": BillingStatus.SUSPENDED})
    assert w.kept_billing.replace_if_unchanged(suspended, expected=record)
    with pytest.raises(AccountSuspended):
        w.ingest([ping(w.clock.now() - timedelta(seconds=40))])
    assert w.kept_billing.replace_if_unchanged(record, expected=suspended)
    assert w.ingest([ping(w.clock.now() - timedelta(seconds=30))]).accepted == 1


def test_a_writer_that_crashed_after_its_mark_leaves_a_gate_that_is_never_trusted_then_repaired() -> None:
    w = granted_world()
    w.ingest([ping(w.clock.now() - timedelta(minutes=1))])
    crashed = w.keeper.changing(account_id="a1", user_id="u1")
    crashed.__enter__()  # marked; the source is written below; the rebuild never runs (the process died)
    consent.set_consent(
        principal=WORKER,
        capability="location",
        data=ConsentUpdate(granted=False, device_id="d1", app_version="1.0"),
        consents=w.ledger,
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
    other = w.keeper.changing(account_id="a1", user_id="u1")
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
