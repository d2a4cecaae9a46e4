"""The open day on the Cosmos DB emulator (docs/job-sites.md, "The open day"): a day written by the pings writer
flush by flush (one flush late, one delivered twice) is stored exactly as the whole day evaluated from the pings
read back, open state included (its floats survive the store), and the open state's positions go with the day
in the privacy registry's export and erasure."""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from bench.lib.stack import create_scratch_database
from core import schema
from core.adapters.cosmos import build_cosmos_client
from core.adapters.cosmos_tracking import ping_partition
from core.adapters.privacy_job_sites import job_site_kinds
from core.bootstrap import Container
from core.domain.accounts import Member
from core.domain.expiry import NEVER, ExpiryPlan
from core.domain.identity import Role
from core.domain.job_sites import CircleArea, JobSite, cells_covering, geohash
from core.domain.privacy import LegalHold, RetentionSettings
from core.domain.site_visits import SiteIndex, evaluate_day, local_day_bounds
from core.domain.tracking import Ping, PingSource
from core.domain.tracking_formats import decode_ping_message, encode_ping_messages
from core.services.ping_writer import store_ping_messages
from core.services.use_cases.tracking import TrackingUseCases
from core.settings import Settings
from tests.integration.conftest import Stack

LAT, LON = 44.97, -93.26
TZ = "America/Chicago"


@pytest.fixture
def scratch(stack: Stack) -> Iterator[Settings]:
    settings = Settings(COSMOS_DATABASE=f"{os.environ['COSMOS_DATABASE']}-open-{uuid.uuid4().hex[:6]}")
    client = build_cosmos_client(settings)
    create_scratch_database(client, settings.cosmos_database)
    try:
        yield settings
    finally:
        client.delete_database(settings.cosmos_database)


def at(dx: float, dy: float) -> tuple[float, float]:
    return LAT + dy / 111_195.0, LON + dx / (111_195.0 * math.cos(math.radians(LAT)))


def a_day(user_id: str, start: datetime) -> list[Ping]:
    """Walk onto the site, an hour there, drive 3 km, half an hour there: a fix every 30 s, a little noise."""
    path = [(-800 + 40 * i, 0.0) for i in range(20)] + [(0.0, 0.0)] * 120
    path += [(150.0 * i, 0.0) for i in range(1, 21)] + [(3000.0, 0.0)] * 60
    return [
        Ping(
            ping_id=f"{user_id}-{i:04d}",
            t=start + timedelta(seconds=30 * i),
            lat=at(dx + 3 * math.sin(i), dy + 3 * math.cos(i))[0],
            lon=at(dx + 3 * math.sin(i), dy + 3 * math.cos(i))[1],
            acc=8.0,
            src=PingSource.GPS,
        )
        for i, (dx, dy) in enumerate(path)
    ]


def test_a_day_flush_by_flush_is_stored_as_the_whole_day_and_its_open_state_goes_with_it(scratch: Settings) -> None:
    c = Container(scratch)
    account_id, user_id = f"a-{uuid.uuid4().hex[:8]}", "w-1"
    now = datetime.now(UTC).replace(microsecond=0)
    c.accounts.put_member(
        Member(
            account_id=account_id,
            user_id=user_id,
            role=Role.MEMBER,
            full_name="W",
            email="w@example.com",
            time_zone=TZ,
            joined_at=now,
            updated_at=now,
        )
    )
    area = CircleArea.model_validate({"kind": "circle", "centre": {"latitude": LAT, "longitude": LON}, "radius": 150})
    site = JobSite(site_id="s1", account_id=account_id, name="yard", area=area, created_at=now, updated_at=now)
    c.job_sites.put_site(site, cells_covering(site.geometry()))
    day = (now - timedelta(days=2)).astimezone(UTC).date()
    day_start, day_end = local_day_bounds(day, TZ)
    pings = a_day(user_id, day_start + timedelta(hours=15))  # 09:00 local; spans the UTC midnight

    stores = c.use_case(TrackingUseCases).writer.stores
    chunks = [pings[k : k + 15] for k in range(0, len(pings), 15)]
    chunks[5], chunks[6] = chunks[6], chunks[5]  # a late flush
    chunks.insert(10, chunks[3])  # a flush delivered again
    for chunk in chunks:
        [text] = encode_ping_messages(account_id, user_id, chunk)
        store_ping_messages(messages=[decode_ping_message(text)], stores=stores)

    stored = c.site_days.get_day(account_id, user_id, day)
    assert stored is not None and stored.open is not None and stored.ping_count == len(pings)
    back: list[Ping] = []
    for utc_day in {day_start.date(), (day_end - timedelta(seconds=1)).date()}:
        page = c.pings.read_day(
            account_id=account_id,
            user_id=user_id,
            day=utc_day,
            start=day_start,
            end=day_end,
            continuation=None,
            limit=5000,
        )
        back += page.pings
    assert len(back) == len(pings)
    found, in_cells = c.job_sites.sites_in_cells(account_id, sorted({geohash(p.lat, p.lon) for p in back}))
    whole = evaluate_day(pings=back, index=SiteIndex(found, in_cells), user_id=user_id, day=day, time_zone=TZ)
    assert stored.model_dump(exclude={"account_id", "user_id", "evaluated_at"}) == whole.model_dump()
    assert [v.site_id for v in stored.visits] == ["s1"] and len(stored.stops) == 2 and len(stored.trips) == 2

    database = build_cosmos_client(scratch).get_database_client(scratch.cosmos_database)
    kinds = {k.name: k for k in job_site_kinds(database)}
    [settled] = list(kinds["site-visits"].export(account_id=account_id, user_id=user_id))
    [opened] = list(kinds["site-visits-open"].export(account_id=account_id, user_id=user_id))
    assert [v["site_id"] for v in settled["visits"]] == ["s1"] and "open" not in settled  # the two parts
    assert opened["open"]["trip_prev"]["lat"] == pings[-1].lat  # the open state's positions are exported
    open_id = f"open-day-{user_id}-{day.isoformat()}"
    aged = kinds["site-visits-open"].expired(
        account_id=account_id, before=day_end + timedelta(days=1), continuation=None, limit=10
    )
    assert kinds["site-visits-open"].retention == "location" and [r.doc_id for r in aged.items] == [open_id]
    held = ExpiryPlan(
        account_id=account_id, location_days=30, access_log_days=90, margin_days=1, held_users=frozenset({user_id})
    )
    done, _ = c.ttl_restamper.restamp_page(
        kind="site-visits-open", plan=held, user_id=user_id, continuation=None, limit=10, now=now
    )
    accounts = database.get_container_client(schema.ACCOUNTS.name)
    assert done == 1 and accounts.read_item(open_id, account_id)["ttl"] == NEVER  # a new hold reaches it
    for kind in (kinds["site-visits-open"], kinds["site-visits"]):  # erasure takes both parts
        for ref in kind.of_user(account_id=account_id, user_id=user_id, continuation=None, limit=10).items:
            assert kind.delete(ref)
    assert c.site_days.get_day(account_id, user_id, day) is None  # and erased with the day
    assert isinstance(day, date)


def test_a_hold_placed_before_a_message_applies_to_every_document_it_writes_read_once_per_flush(
    scratch: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/privacy-and-retention.md, "When a new hold applies": the writer reads the plan (retention and holds)
    once per member and flush, and a hold placed before the message is processed applies to its pings, latest
    position and both parts of the site day."""
    c = Container(scratch)
    account_id, now = f"a-{uuid.uuid4().hex[:8]}", datetime.now(UTC).replace(microsecond=0)
    for user_id in ("held", "free"):
        c.accounts.put_member(
            Member(
                account_id=account_id,
                user_id=user_id,
                role=Role.MEMBER,
                full_name="W",
                email=f"{user_id}@example.com",
                time_zone="UTC",
                joined_at=now,
                updated_at=now,
            )
        )
    area = CircleArea.model_validate({"kind": "circle", "centre": {"latitude": LAT, "longitude": LON}, "radius": 150})
    site = JobSite(site_id="s1", account_id=account_id, name="yard", area=area, created_at=now, updated_at=now)
    c.job_sites.put_site(site, cells_covering(site.geometry()))
    c.privacy.put_hold(
        LegalHold(hold_id="h1", account_id=account_id, user_id="held", reason="r", placed_by="admin", placed_at=now)
    )
    # the account's own retention (30 days, not the default 365): read in the same request as the holds
    c.privacy.put_retention(RetentionSettings(account_id=account_id, location_days=30, access_log_days=365))
    holds = c.expiry_plans.privacy
    reads: list[str] = []
    both = holds.retention_and_holds

    def counted(account: str) -> tuple[RetentionSettings | None, list[LegalHold]]:
        reads.append("retention and holds")
        return both(account)

    monkeypatch.setattr(holds, "retention_and_holds", counted)

    stores = c.use_case(TrackingUseCases).writer.stores
    start = datetime.combine(now.date() - timedelta(days=1), datetime.min.time(), tzinfo=UTC) + timedelta(hours=8)
    ttls: dict[str, set[int]] = {}
    for user_id in ("held", "free"):
        day = a_day(user_id, start)
        for chunk in (day[:150], day[150:]):  # the second flush settles the visit: both parts written
            [text] = encode_ping_messages(account_id, user_id, chunk)
            reads.clear()
            store_ping_messages(messages=[decode_ping_message(text)], stores=stores)
            assert reads == ["retention and holds"]  # once for the flush, not per document
        pk = ping_partition(account_id, user_id, start.date())
        pings = c.database.get_container_client(schema.PINGS.name)
        accounts = c.database.get_container_client(schema.ACCOUNTS.name)
        found = {
            int(d["ttl"])
            for d in pings.query_items(
                "SELECT c.ttl FROM c WHERE c.pk = @p", parameters=[{"name": "@p", "value": pk}], partition_key=pk
            )
        }
        latest = c.database.get_container_client(schema.LATEST_POSITIONS.name).read_item(user_id, account_id)
        parts = [
            accounts.read_item(f"{p}-{user_id}-{start.date().isoformat()}", account_id)
            for p in ("site-day", "open-day")
        ]
        ttls[user_id] = found | {int(latest["ttl"])} | {int(d["ttl"]) for d in parts}
    assert ttls["held"] == {NEVER}
    margin = scratch.retention_ttl_margin_days
    assert all(0 < t <= (30 + margin + 2) * 86400 for t in ttls["free"])  # the account's 30 days

    # the day's version is its open part's: a write over a stale version changes neither part
    stored, version = c.site_days.read_day(account_id, "free", start.date())
    assert stored is not None and version is not None
    assert c.site_days.put_day(stored, version=version, settled=True)
    assert not c.site_days.put_day(stored.model_copy(update={"events": []}), version=version, settled=True)
    assert c.site_days.get_day(account_id, "free", start.date()) == stored
