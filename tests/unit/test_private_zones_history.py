"""Private zones beyond new pings (docs/private-zones.md): a zone applied to stored history decides earlier times
too, the box that finds stored pings covers every withheld point, and withheld times group into labelled gaps."""

from __future__ import annotations

import math
import random
from datetime import timedelta

from core.domain.private_zones import HistoryApplied, private_gaps
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
from tests.unit.test_private_zones import HOME, T0, offset, zone, zones
from tests.unit.test_private_zones_service import HOME as AT_HOME
from tests.unit.test_private_zones_service import T0 as START
from tests.unit.test_private_zones_service import _ping, zone_in
from tests.unit.test_tracking_ingest import WORKER


def test_a_zone_applied_to_history_withholds_earlier_points_too_and_still_ends_when_removed() -> None:
    z = zone()
    earlier = T0 - timedelta(days=30)
    assert not zones(z).withholds(*HOME, earlier)  # added later: the past is not rewritten by itself
    z.history_applied = HistoryApplied(requested_at=T0 + timedelta(hours=1))
    assert zones(z).withholds(*HOME, earlier)  # once applied (even while the run is unfinished)
    z.removed_at = T0 + timedelta(days=1)
    assert zones(z).withholds(*HOME, earlier) and not zones(z).withholds(*HOME, T0 + timedelta(days=2))


def test_the_search_box_holds_every_withheld_point() -> None:
    rng = random.Random(7)
    for seed in range(50):
        lat = rng.uniform(-70, 70)
        z = zone(centre=(lat, rng.uniform(-170, 170)), radius=rng.uniform(100, 1000), seed=seed)
        south, west, north, east = z.box()
        reach = z.radius_m + z.margin_m
        for step in range(72):  # points on the withheld circle's edge, just inside
            a = math.radians(step * 5)
            p = offset(z.hidden_lat, z.hidden_lon, 0.999 * reach * math.cos(a), 0.999 * reach * math.sin(a))
            assert z.withholds(*p)
            assert south <= p[0] <= north and west <= p[1] <= east, (seed, step)


def test_withheld_times_group_into_gaps_split_by_kept_points() -> None:
    t = [T0 + timedelta(minutes=i) for i in range(10)]
    gaps = private_gaps([t[5], t[1], t[2], t[7]], kept=[t[0], t[4], t[6], t[9]])
    assert [(g.start, g.end, g.withheld) for g in gaps] == [(t[1], t[2], 2), (t[5], t[5], 1), (t[7], t[7], 1)]
    assert private_gaps([], kept=t) == []
    assert [g.withheld for g in private_gaps(t[:3], kept=[])] == [3]


def test_withheld_pings_travel_without_position_and_the_latest_position_says_private() -> None:
    zone_store, store, positions, withheld = (
        FakePrivateZoneStore(),
        FakePingStore(),
        FakeLatestPositions(),
        FakeWithheldPingStore(),
    )
    private_zones.add_zone(
        principal=WORKER, data=zone_in(), private_zones=zone_store, reactions=FakeReactions(), clock=FakeClock(START)
    )
    away = _ping(START + timedelta(minutes=1), AT_HOME[0] + 0.02, AT_HOME[1])
    home = _ping(START + timedelta(minutes=2), *AT_HOME)
    [text] = encode_ping_messages("a1", "u1", [away], withheld=[home])
    rows = decode_ping_message(text).rows
    assert rows[-1] == [home.ping_id, int(home.t.timestamp() * 1000)]  # only the id and the time
    for _ in range(2):  # a replay records nothing twice
        ping_writer.store_ping_message(
            message=decode_ping_message(text),
            pings=store,
            latest_positions=positions,
            clock=FakeClock(START),
            ingest_gate=writer_gate(members_of("u1")),
            reactions=FakeReactions(),
            private_zones=zone_store,
            withheld_pings=withheld,
            expiry_plans=FakeExpiryPlans(),
        )
    recorded = withheld.records[("a1", "u1")]
    assert list(recorded) == [home.ping_id] and recorded[home.ping_id].t == home.t
    latest = positions.positions[("a1", "u1")]
    assert latest.in_private_zone and latest.t == home.t and latest.lat is None and latest.acc is None
    assert {p.ping_id for p in store.all()} == {away.ping_id}
