"""Ingest: only pings taken while location access was granted and inside the worker's windows are queued; every
other ping is rejected (with index and reason) or counted as dropped or duplicate. Nothing here stores."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from core.domain.accounts import Account, AccountStatus, BillingAddress
from core.domain.consent import ConsentUpdate
from core.domain.errors import Forbidden
from core.domain.identity import Principal, Role
from core.domain.tracking import Ping, PingBatch, PingSource, TrackingScheduleUpdate
from core.domain.tracking_formats import decode_ping_message
from core.ports import Reactions
from core.services import consent, tracking
from core.services.retention import RetentionPolicy
from tests.unit.fakes import FakeAccountStore, FakeClock
from tests.unit.fakes_billing import FakeBillingStore
from tests.unit.fakes_privacy import FakePrivacyStore
from tests.unit.fakes_tracking import (
    FakeConsentLedger,
    FakeIngestGate,
    FakePingQueue,
    FakePingStore,
    FakePrivateZoneStore,
    FakeScheduleStore,
)

WORKER = Principal(user_id="u1", email="u1@example.com", account_id="a1", role=Role.MEMBER)


class World:
    """The sources of truth in memory and the ingest gate over them, wired as in production: `ledger`, `schedules`,
    `zones`, `privacy` and `billing` are the sources; `gate` holds the same stores as the root hands them out (a
    write through them keeps the gate current) and the gate keeper the ingest call reads."""

    def __init__(self, at: datetime = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)) -> None:
        self.clock = FakeClock(at)
        self.accounts = FakeAccountStore()
        self.accounts.put_account(
            Account(
                account_id="a1",
                owner_user_id="o1",
                company_name="Field Co",
                time_zone="America/Chicago",
                billing_address=BillingAddress(line1="1 Main", city="Plymouth", postal_code="55441", country="US"),
                created_at=at - timedelta(days=500),
            )
        )
        self.ledger = FakeConsentLedger()
        self.schedules = FakeScheduleStore(self.clock)
        self.zones = FakePrivateZoneStore()
        self.pings = FakePingStore()
        self.queue = FakePingQueue()
        self.privacy = FakePrivacyStore(self.accounts)
        self.billing = FakeBillingStore()
        self.gate = FakeIngestGate(
            accounts=self.accounts,
            clock=self.clock,
            consents=self.ledger,
            schedules=self.schedules,
            zones=self.zones,
            billing=self.billing,
            privacy=self.privacy,
            read_sources=self.read_source,
        )
        self.reactions: Reactions = self.gate.reactions  # the reactions table: a change keeps the gate current

    def read_source(self, source: Any) -> Any:
        """The source as the gate keeper reads it (a subclass counts the reads)."""
        return source

    def consent(self, granted: bool) -> None:
        consent.set_consent(
            principal=WORKER,
            capability="location",
            data=ConsentUpdate(granted=granted, device_id="d1", app_version="1.0"),
            consents=self.gate.consents,
            reactions=self.reactions,
            clock=self.clock,
            policy_version="2023-06-15",
        )

    def ingest(self, pings: list[Any]) -> Any:
        return tracking.ingest_pings(
            principal=WORKER,
            batch=PingBatch(pings=pings),
            ingest_gate=self.gate.keeper,
            retention_policy=RetentionPolicy(),
            ping_queue=self.queue,
            clock=self.clock,
            future_skew=timedelta(minutes=5),
        )

    def queued(self) -> list[Ping]:
        return [p for m in self.queue.messages for p in decode_ping_message(m).pings()]


def ping(t: datetime, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "timestamp": t.isoformat(),
        "latitude": 44.97,
        "longitude": -93.26,
        "horizontalAccuracy": 5,
        "source": "gps",
    }
    body.update(overrides)
    return body


def test_pings_before_consent_and_after_revocation_are_dropped() -> None:
    w = World()
    t0 = w.clock.now()
    r = w.ingest([ping(t0 - timedelta(minutes=1))])
    assert (r.accepted, r.dropped.no_consent) == (0, 1)
    w.consent(True)
    w.clock.advance(hours=1)
    w.consent(False)
    w.clock.advance(hours=1)
    inside = [ping(t0 + timedelta(minutes=m)) for m in (0, 30, 59)]
    outside = [
        ping(t0 - timedelta(seconds=1)),
        ping(t0 + timedelta(hours=1)),
        ping(t0 + timedelta(hours=1, minutes=30)),
    ]
    r = w.ingest(inside + outside)
    assert (r.accepted, r.dropped.no_consent, r.dropped.outside_window) == (3, 3, 0)
    assert {p.ping_id for p in w.queued()} == {p["id"] for p in inside}


def test_pings_outside_the_windows_are_dropped_including_across_dst() -> None:
    w = World(at=datetime(2026, 3, 10, 15, 0, tzinfo=UTC))
    w.clock.at = datetime(2026, 3, 1, tzinfo=UTC)
    w.consent(True)
    tracking.put_schedule(  # in force from March 1st, before the pings
        principal=WORKER,
        tracking_schedules=w.gate.tracking_schedules,
        reactions=w.reactions,
        clock=w.clock,
        data=TrackingScheduleUpdate.model_validate(
            {
                "timeZone": "America/Chicago",
                "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "07:00", "end": "18:00"}],
            }
        ),
    )
    w.clock.at = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    friday_before = ping(datetime(2026, 3, 6, 12, 30, tzinfo=UTC))  # 06:30 CST: outside
    monday_after = ping(datetime(2026, 3, 9, 12, 30, tzinfo=UTC))  # 07:30 CDT: inside
    sunday = ping(datetime(2026, 3, 8, 17, 0, tzinfo=UTC))  # the DST Sunday itself: no window
    r = w.ingest([friday_before, monday_after, sunday])
    assert (r.accepted, r.dropped.outside_window) == (1, 2)
    assert [p.ping_id for p in w.queued()] == [monday_after["id"]]
    tracking.delete_schedule(principal=WORKER, tracking_schedules=w.gate.tracking_schedules, reactions=w.reactions)
    r = w.ingest([friday_before, sunday])  # sent again after the delete: still judged by the windows of their time
    assert (r.accepted, r.dropped.outside_window) == (0, 2)
    r = w.ingest([ping(datetime(2026, 3, 10, 15, 1, tzinfo=UTC))])  # Tuesday 10:01 CDT, after the delete
    assert r.accepted == 1
    w.clock.at = datetime(2026, 3, 11, 1, 30, tzinfo=UTC)
    r = w.ingest([ping(datetime(2026, 3, 11, 1, 0, tzinfo=UTC))])  # Tuesday 20:00 CDT: no schedule any more
    assert r.accepted == 1


def test_a_mixed_batch_rejects_bad_pings_one_by_one() -> None:
    w = World()
    w.clock.advance(days=-1)
    w.consent(True)
    w.clock.advance(days=1)
    now = w.clock.now()
    good = [ping(now - timedelta(minutes=2)), ping(now + timedelta(minutes=4))]  # 4 min ahead: within the skew
    batch: list[Any] = [
        good[0],
        ping(now, latitude=-90.5),
        ping(now, horizontalAccuracy=-1),
        ping(now, timestamp=(now + timedelta(minutes=6)).isoformat()),
        ping(now, timestamp=(now - timedelta(days=366)).isoformat()),
        ping(now, id="not-a-uuid"),
        ping(now, timestamp=1767225600),
        ping(now, heading=True),
        [1, 2, 3],
        good[1],
    ]
    r = w.ingest(batch)
    assert (r.received, r.accepted, r.rejected_count) == (10, 2, 8)
    assert [(x.index, x.field) for x in r.rejected] == [
        (1, "latitude"),
        (2, "horizontalAccuracy"),
        (3, "timestamp"),
        (4, "timestamp"),
        (5, "id"),
        (6, "timestamp"),
        (7, "heading"),
        (8, "ping"),
    ]
    assert "365 days" in r.rejected[3].reason and "future" in r.rejected[2].reason
    assert r.rejected[0].ping_id == batch[1]["id"]
    assert {p.ping_id for p in w.queued()} == {g["id"] for g in good}


def test_account_retention_setting_bounds_old_pings() -> None:
    from core.domain.privacy import RetentionSettings

    w = World()
    w.clock.advance(days=-100)
    w.consent(True)
    w.clock.advance(days=100)
    w.gate.privacy.put_retention(RetentionSettings(account_id="a1", location_days=30, access_log_days=365))
    r = w.ingest([ping(w.clock.now() - timedelta(days=31)), ping(w.clock.now() - timedelta(days=29))])
    assert r.accepted == 1 and "30 days" in r.rejected[0].reason


def test_duplicates_within_the_call_are_counted_and_a_stored_ping_is_left_to_the_writer() -> None:
    """Issue 21: no stored-ids query per call. A repeat inside the call is a duplicate; a ping stored by an earlier
    call is queued again (the writer's idempotent write stores it once: tests/integration/test_tracking_api.py)."""
    w = World()
    w.clock.advance(days=-1)
    w.consent(True)
    w.clock.advance(days=1)
    now = w.clock.now()
    a, b = ping(now - timedelta(minutes=1)), ping(now - timedelta(minutes=2))
    stored = Ping(ping_id=a["id"], t=now - timedelta(minutes=1), lat=1, lon=1, acc=1, src=PingSource.GPS)
    w.pings.write_day(account_id="a1", user_id="u1", day=stored.day, pings=[stored])
    r = w.ingest([a, b, b])
    assert (r.accepted, r.duplicates) == (2, 1)
    assert [p.ping_id for p in w.queued()] == [b["id"], a["id"]]


def test_accepted_pings_are_split_into_queue_messages_under_64_kb() -> None:
    w = World()
    w.clock.advance(days=-1)
    w.consent(True)
    w.clock.advance(days=1)
    now = w.clock.now()
    batch = [
        ping(now - timedelta(seconds=i), deviceId="x" * 128, altitude=250.5, speed=3.25, heading=181.5, batteryLevel=55)
        for i in range(1000)
    ]
    r = w.ingest(batch)
    assert r.accepted == 1000
    assert len(w.queue.messages) >= 2  # the fake refuses any message over 64 KB in base64
    queued = w.queued()
    assert sorted(p.ping_id for p in queued) == sorted(p["id"] for p in batch)
    assert [p.t for p in queued] == sorted(p.t for p in queued)


def test_an_account_that_is_not_active_may_not_ingest() -> None:
    w = World()
    account = w.accounts.get_account("a1")
    assert account is not None
    w.accounts.put_account(account.model_copy(update={"status": AccountStatus.CLOSED}))
    with pytest.raises(Forbidden):
        w.ingest([ping(w.clock.now())])
    assert w.queue.messages == []


def test_pings_of_two_days_are_queued_with_their_utc_day() -> None:
    w = World(at=datetime(2026, 3, 10, 0, 30, tzinfo=UTC))
    w.clock.advance(days=-1)
    w.consent(True)
    w.clock.advance(days=1)
    r = w.ingest([ping(datetime(2026, 3, 9, 23, 59, tzinfo=UTC)), ping(datetime(2026, 3, 10, 0, 1, tzinfo=UTC))])
    assert r.accepted == 2
    assert [p.day for p in w.queued()] == [date(2026, 3, 9), date(2026, 3, 10)]
