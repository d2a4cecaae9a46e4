"""Private zones through the use cases (fakes): the worker adds and removes zones, the owner sees only a count, the
ingest call drops pings inside a zone in force at their time, and the writer stores none of them nor moves the latest
position there, with one zones read per message."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from core.domain.accounts import Member
from core.domain.errors import Conflict, Forbidden, NotFound
from core.domain.events import PrivateZonesChanged
from core.domain.identity import Principal, Role
from core.domain.private_zones import MAX_ACTIVE_ZONES, PrivateZoneIn
from core.domain.tracking import Ping, PingSource
from core.domain.tracking_formats import decode_ping_message, encode_ping_messages
from core.services import ping_writer, private_zones
from tests.unit.fakes import FakeClock, FakeExpiryPlans, FakeReactions
from tests.unit.fakes_tracking import (
    FakeLatestPositions,
    FakePingStore,
    FakePrivateZoneStore,
    FakeWithheldPingStore,
    members_of,
    writer_gate,
)
from tests.unit.test_tracking_ingest import WORKER, World, ping

HOME = (44.97, -93.26)
T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
OWNER = Principal(user_id="o1", email="o1@example.com", account_id="a1", role=Role.OWNER)


def zone_in(lat: float = HOME[0], lon: float = HOME[1], radius: float = 200) -> PrivateZoneIn:
    return PrivateZoneIn.model_validate({"latitude": lat, "longitude": lon, "radiusMeters": radius})


def test_add_list_remove_and_the_maximum() -> None:
    store, clock, reactions = FakePrivateZoneStore(), FakeClock(T0), FakeReactions()
    made = [
        private_zones.add_zone(
            principal=WORKER, data=zone_in(lon=HOME[1] + i / 100), private_zones=store, reactions=reactions, clock=clock
        )
        for i in range(MAX_ACTIVE_ZONES)
    ]
    with pytest.raises(Conflict):
        private_zones.add_zone(principal=WORKER, data=zone_in(), private_zones=store, reactions=reactions, clock=clock)
    listed = private_zones.list_zones(principal=WORKER, private_zones=store)
    assert [z.zone_id for z in listed.items] == [z.zone_id for z in made]
    assert "margin" not in listed.model_dump_json(by_alias=True).lower()
    private_zones.remove_zone(
        principal=WORKER, zone_id=made[0].zone_id, private_zones=store, reactions=reactions, clock=clock
    )
    with pytest.raises(NotFound):
        private_zones.remove_zone(
            principal=WORKER, zone_id=made[0].zone_id, private_zones=store, reactions=reactions, clock=clock
        )
    assert len(private_zones.list_zones(principal=WORKER, private_zones=store).items) == MAX_ACTIVE_ZONES - 1
    private_zones.add_zone(
        principal=WORKER, data=zone_in(), private_zones=store, reactions=reactions, clock=clock
    )  # room again
    # Each save (MAX_ACTIVE_ZONES + 1 adds, one removal) was a change the ingest gate follows; the refusals none.
    assert reactions.raised == [PrivateZonesChanged(account_id="a1", user_id="u1")] * (MAX_ACTIVE_ZONES + 2)


def test_the_owner_sees_only_a_count_and_other_members_see_nothing() -> None:
    world = World()
    store, accounts = FakePrivateZoneStore(), world.accounts
    accounts.put_member(
        Member(
            account_id="a1",
            user_id="u1",
            role=Role.MEMBER,
            full_name="W One",
            email="u1@example.com",
            time_zone="America/Chicago",
            joined_at=T0,
            updated_at=T0,
        )
    )
    private_zones.add_zone(
        principal=WORKER, data=zone_in(), private_zones=store, reactions=FakeReactions(), clock=FakeClock(T0)
    )
    counted = private_zones.count_member_zones(
        principal=OWNER, account_id="a1", user_id="u1", accounts=accounts, private_zones=store
    )
    assert counted.model_dump(by_alias=True) == {"count": 1}
    other = Principal(user_id="u2", email="u2@example.com", account_id="a1", role=Role.MEMBER)
    for who, account in (
        (other, "a1"),
        (Principal(user_id="o9", email="o9@example.com", account_id="a9", role=Role.OWNER), "a1"),
    ):
        with pytest.raises(NotFound):
            private_zones.count_member_zones(
                principal=who, account_id=account, user_id="u1", accounts=accounts, private_zones=store
            )
    with pytest.raises((NotFound, Forbidden)):
        private_zones.count_member_zones(
            principal=OWNER, account_id="a1", user_id="nobody", accounts=accounts, private_zones=store
        )


def _ping(t: datetime, lat: float, lon: float) -> Ping:
    return Ping(ping_id=str(uuid.uuid4()), t=t, lat=lat, lon=lon, acc=5, src=PingSource.GPS)


def test_the_writer_withholds_pings_in_a_zone_in_force_at_their_time() -> None:
    zones, store, positions = FakePrivateZoneStore(), FakePingStore(), FakeLatestPositions()
    withheld, accounts = FakeWithheldPingStore(), members_of("u1")
    private_zones.add_zone(
        principal=WORKER, data=zone_in(), private_zones=zones, reactions=FakeReactions(), clock=FakeClock(T0)
    )
    before_home = _ping(T0 - timedelta(minutes=5), *HOME)  # at home before the zone existed: kept
    away = _ping(T0 + timedelta(minutes=1), HOME[0] + 0.02, HOME[1])  # about 2.2 km north: kept
    home = _ping(T0 + timedelta(minutes=2), *HOME)  # newest, inside: withheld
    [text] = encode_ping_messages("a1", "u1", [before_home, away, home])
    zones.reads = 0
    for _ in range(2):  # a replay changes nothing
        stored = ping_writer.store_ping_message(
            message=decode_ping_message(text),
            pings=store,
            latest_positions=positions,
            clock=FakeClock(T0),
            ingest_gate=writer_gate(accounts),
            reactions=FakeReactions(),
            private_zones=zones,
            withheld_pings=withheld,
            expiry_plans=FakeExpiryPlans(),
        )
        assert stored == 2
    assert zones.reads == 2  # one read per message
    assert {p.ping_id for p in store.all()} == {before_home.ping_id, away.ping_id}
    assert [w.ping_id for w in withheld.records[("a1", "u1")].values()] == [home.ping_id]
    latest = positions.positions[("a1", "u1")]
    # Moved to the newest ping, the withheld one, but without a position: not moved into the zone.
    assert (latest.ping_id, latest.lat, latest.lon) == (home.ping_id, None, None)
    only_home_ping = _ping(T0 + timedelta(minutes=3), *HOME)
    [only_home] = encode_ping_messages("a1", "u1", [only_home_ping])
    assert (
        ping_writer.store_ping_message(
            message=decode_ping_message(only_home),
            pings=store,
            latest_positions=positions,
            clock=FakeClock(T0),
            ingest_gate=writer_gate(accounts),
            reactions=FakeReactions(),
            private_zones=zones,
            withheld_pings=withheld,
            expiry_plans=FakeExpiryPlans(),
        )
        == 0
    )
    latest = positions.positions[("a1", "u1")]
    assert (latest.ping_id, latest.lat, latest.lon) == (only_home_ping.ping_id, None, None)


def test_ingest_drops_pings_inside_a_zone_and_counts_them() -> None:
    world = World(at=T0 - timedelta(hours=1))
    world.consent(True)
    world.clock.advance(hours=2)
    private_zones.add_zone(
        principal=WORKER,
        data=zone_in(),
        private_zones=world.gate.private_zones,
        reactions=world.gate.reactions,
        clock=FakeClock(T0 + timedelta(minutes=30)),
    )
    inside_later = ping(T0 + timedelta(minutes=40), latitude=HOME[0], longitude=HOME[1])
    inside_earlier = ping(T0 + timedelta(minutes=20), latitude=HOME[0], longitude=HOME[1])
    outside = ping(T0 + timedelta(minutes=41), latitude=HOME[0] + 0.02, longitude=HOME[1])
    result = world.ingest([inside_later, inside_earlier, outside])
    assert result.accepted == 2 and result.dropped.private_zone == 1
    assert {p.ping_id for p in world.queued()} == {inside_earlier["id"], outside["id"]}


def test_a_zone_made_after_the_call_withholds_in_the_writer_what_the_call_kept() -> None:
    """Why the writer decides again (docs/tracking.md, "Private zones: decided at ingest and again by the writer"):
    a ping up to the future skew ahead of the server clock is kept by the call, and a zone made before the write
    and in force at the ping's time must still withhold it."""
    world = World(at=T0 - timedelta(hours=1))
    world.consent(True)
    world.clock.advance(hours=1)
    ahead = ping(T0 + timedelta(minutes=4), latitude=HOME[0], longitude=HOME[1])
    assert world.ingest([ahead]).accepted == 1  # no zone yet
    private_zones.add_zone(
        principal=WORKER,
        data=zone_in(),
        private_zones=world.gate.private_zones,
        reactions=world.gate.reactions,
        clock=FakeClock(T0),
    )
    store, positions = FakePingStore(), FakeLatestPositions()
    [text] = world.queue.messages
    stored = ping_writer.store_ping_message(
        message=decode_ping_message(text),
        pings=store,
        latest_positions=positions,
        clock=world.clock,
        ingest_gate=writer_gate(members_of("u1")),
        reactions=FakeReactions(),
        private_zones=world.zones,
        withheld_pings=FakeWithheldPingStore(),
        expiry_plans=FakeExpiryPlans(),
    )
    assert stored == 0 and store.all() == []
    latest = positions.positions[("a1", "u1")]
    assert (latest.lat, latest.lon) == (None, None)  # no position inside the zone


def test_the_writer_decides_with_the_gates_copy_of_the_zones_and_reads_them_while_a_save_is_under_way() -> None:
    """The writer's member read also answers the member's ingest gate (one request): its copy of the zones decides
    when the gate can be trusted (every save of the zones marks it pending first and rebuilds it after), and the
    zones themselves are read when it cannot: here a save between its mark and its rebuild."""
    world = World(at=T0 - timedelta(hours=1))
    world.accounts.put_member(
        Member(
            account_id="a1",
            user_id="u1",
            role=Role.MEMBER,
            full_name="W",
            email="u1@example.com",
            time_zone="UTC",
            joined_at=T0 - timedelta(days=1),
            updated_at=T0 - timedelta(days=1),
        )
    )
    world.consent(True)
    world.clock.advance(hours=1)
    store, positions = FakePingStore(), FakeLatestPositions()
    second_home = (HOME[0] + 0.05, HOME[1])

    def write(text: str) -> int:
        return ping_writer.store_ping_message(
            message=decode_ping_message(text),
            pings=store,
            latest_positions=positions,
            clock=world.clock,
            ingest_gate=world.gate.keeper,  # the gate the ingest call and the zone saves keep
            reactions=FakeReactions(),
            private_zones=world.zones,
            withheld_pings=FakeWithheldPingStore(),
            expiry_plans=FakeExpiryPlans(),
        )

    ahead = ping(T0 + timedelta(minutes=4), latitude=HOME[0], longitude=HOME[1])
    assert world.ingest([ahead]).accepted == 1  # no zone yet
    private_zones.add_zone(  # through the service: the gate is marked, the zone saved, the gate rebuilt
        principal=WORKER, data=zone_in(), private_zones=world.zones, reactions=world.reactions, clock=FakeClock(T0)
    )
    reads = world.zones.reads
    assert write(world.queue.messages[-1]) == 0  # withheld by the zone made after the call
    assert world.zones.reads == reads  # decided with the gate's copy: no read of the zones

    later = ping(T0 + timedelta(minutes=5), latitude=second_home[0], longitude=second_home[1])
    assert world.ingest([later]).accepted == 1
    with world.gate.keeper.changing(account_id="a1", user_id="u1"):  # a save under way: marked, not yet rebuilt
        private_zones.add_zone(
            principal=WORKER,
            data=zone_in(*second_home),
            private_zones=world.zones,
            reactions=FakeReactions(),  # the mark around it is the one above
            clock=FakeClock(T0),
        )
        reads = world.zones.reads
        assert write(world.queue.messages[-1]) == 0  # the gate is pending: the zones are read and decide
        assert world.zones.reads == reads + 1
    assert store.all() == []
