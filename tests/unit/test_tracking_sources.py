"""A ping's source (gps, wifi, cell, fused) is accepted, queued and stored as sent; Wi-Fi pings in particular,
which arrive with a coarse accuracy and no altitude, speed or heading."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.adapters.cosmos_tracking import ping_doc, ping_from_doc
from core.domain.tracking import PingSource
from core.domain.tracking_formats import decode_ping_message
from core.services import ping_writer
from tests.unit.fakes import FakeClock, FakeExpiryPlans, FakeReactions
from tests.unit.fakes_tracking import FakeLatestPositions, FakeWithheldPingStore, members_of, writer_gate
from tests.unit.test_tracking_ingest import World, ping


def _wifi(w: World) -> dict[str, object]:
    body = ping(w.clock.now() - timedelta(seconds=10), source="wifi", horizontalAccuracy=65.0)
    return body


def test_a_wifi_ping_is_accepted_queued_and_stored_with_its_source() -> None:
    w = World()
    w.consent(True)
    w.clock.advance(minutes=1)
    body = _wifi(w)
    result = w.ingest([body])
    assert (result.accepted, result.rejected) == (1, [])
    [queued] = w.queued()
    assert (queued.ping_id, queued.src, queued.acc) == (body["id"], PingSource.WIFI, 65.0)
    positions = FakeLatestPositions()
    for text in w.queue.messages:
        ping_writer.store_ping_message(
            message=decode_ping_message(text),
            pings=w.pings,
            latest_positions=positions,
            clock=FakeClock(),
            ingest_gate=writer_gate(members_of("u1")),
            reactions=FakeReactions(),
            private_zones=w.zones,
            withheld_pings=FakeWithheldPingStore(),
            expiry_plans=FakeExpiryPlans(),
        )
    [stored] = w.pings.all()
    assert (stored.ping_id, stored.src) == (body["id"], PingSource.WIFI)
    assert positions.positions[("a1", "u1")].src is PingSource.WIFI


@pytest.mark.parametrize("source", list(PingSource))
def test_every_source_round_trips_through_the_stored_document(source: PingSource) -> None:
    w = World()
    w.consent(True)
    w.clock.advance(minutes=1)
    w.ingest([ping(w.clock.now() - timedelta(seconds=5), source=source.value, altitude=None, speed=None)])
    [queued] = w.queued()
    doc = ping_doc("a1|u1|2026-03-10", queued)
    assert doc["src"] == source.value and "alt" not in doc
    assert ping_from_doc(doc) == queued


def test_an_unknown_source_is_refused_by_field() -> None:
    w = World()
    w.consent(True)
    w.clock.advance(minutes=1)
    result = w.ingest([ping(w.clock.now(), source="bluetooth")])
    assert result.accepted == 0 and [r.field for r in result.rejected] == ["source"]
