"""The pings writer: failing then recovering loses nothing and doubles nothing; the latest position only moves
forward; malformed messages raise (so the host retries and then poisons them)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from core.domain.tracking import Ping, PingSource
from core.domain.tracking_formats import decode_ping_message, encode_ping_messages
from core.services import ping_writer
from tests.unit.fakes import FakeClock, FakeExpiryPlans, FakeReactions
from tests.unit.fakes_tracking import (
    FakeLatestPositions,
    FakePingStore,
    FakePrivateZoneStore,
    FakeWithheldPingStore,
    members_of,
    writer_gate,
)

T0 = datetime(2026, 5, 4, 23, 58, tzinfo=UTC)


def pings(n: int, start: datetime = T0, step: timedelta = timedelta(seconds=20)) -> list[Ping]:
    return [
        Ping(ping_id=str(uuid.uuid4()), t=start + i * step, lat=45 + i * 1e-4, lon=-93, acc=5, src=PingSource.WIFI)
        for i in range(n)
    ]


def deliver(text: str, store: FakePingStore, positions: FakeLatestPositions) -> int:
    return ping_writer.store_ping_message(
        message=decode_ping_message(text),
        pings=store,
        latest_positions=positions,
        clock=FakeClock(),
        ingest_gate=writer_gate(members_of("u1")),
        reactions=FakeReactions(),
        private_zones=FakePrivateZoneStore(),
        withheld_pings=FakeWithheldPingStore(),
        expiry_plans=FakeExpiryPlans(),
    )


def test_writer_failing_then_recovering_stores_each_ping_once() -> None:
    store, positions = FakePingStore(), FakeLatestPositions()
    batch = pings(250)  # crosses midnight: two day partitions
    [text] = encode_ping_messages("a1", "u1", batch)
    store.fail_writes = 3
    for _ in range(3):  # the host's retries: each attempt stores part of a day, then fails
        with pytest.raises(ConnectionError):
            deliver(text, store, positions)
    assert positions.positions == {}  # the latest position moves only after the pings are stored
    deliver(text, store, positions)  # recovered (e.g. replayed from the poison queue)
    deliver(text, store, positions)  # and delivered once more: at-least-once
    stored = store.all()
    assert len(stored) == 250 and {p.ping_id for p in stored} == {p.ping_id for p in batch}
    assert sorted(store.partitions) == ["a1|u1|2026-05-04", "a1|u1|2026-05-05"]
    assert positions.positions[("a1", "u1")].ping_id == batch[-1].ping_id


def test_out_of_order_messages_never_move_the_latest_position_back() -> None:
    store, positions = FakePingStore(), FakeLatestPositions()
    newer, older = pings(3, T0 + timedelta(hours=1)), pings(3, T0)
    deliver(encode_ping_messages("a1", "u1", newer)[0], store, positions)
    deliver(encode_ping_messages("a1", "u1", older)[0], store, positions)
    assert positions.positions[("a1", "u1")].ping_id == newer[-1].ping_id
    assert len(store.all()) == 6


def test_malformed_messages_raise() -> None:
    store, positions = FakePingStore(), FakeLatestPositions()
    for text in (
        "not json",
        '{"v":1,"a":"a1","u":"u1","p":[]}',
        '{"v":2,"a":"a1","u":"u1","p":[[1]]}',
        '{"v":1,"a":"a1","u":"u1","p":[["id",1,2,3,4,null,null,null,null,"radio",null]]}',
    ):
        with pytest.raises((ValidationError, ValueError)):
            deliver(text, store, positions)
    assert store.all() == [] and positions.positions == {}
