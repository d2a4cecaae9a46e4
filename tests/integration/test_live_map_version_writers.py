"""Issue 31: every writer of what the owner's live map shows moves the account's live-map version, after its own
write (core/adapters/cosmos_live_map.py; the table in docs/tracking.md, "The live map's version"), and nothing else
moves it: a write that changes nothing shown (a refused older position, an unchanged withhold) leaves it. On a
scratch database of the session's emulator, through the adapters themselves."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from azure.cosmos import DatabaseProxy

from bench.lib.stack import create_scratch_database
from core.adapters.cosmos import CosmosAccountStore, build_cosmos_client
from core.adapters.cosmos_coarse_history import CosmosCoarseHistoryStore
from core.adapters.cosmos_live_map import CosmosLiveMapVersions, LiveMapVersionKind
from core.adapters.cosmos_tracking import CosmosConsentLedger, CosmosLatestPositionStore, CosmosTrackingScheduleStore
from core.adapters.privacy_accounts import ProfileKind
from core.adapters.privacy_tracking import LatestPositionKind
from core.domain.accounts import Member, MemberStatus
from core.domain.consent import Capability, ConsentEntry
from core.domain.identity import Role
from core.domain.privacy import ItemRef
from core.domain.tracking import LatestPosition, PingSource, TrackingSchedule, TrackingWindow, Weekday
from core.settings import Settings
from scripts.cosmos_emulator import request_counts
from tests.integration.conftest import Stack

NOW = datetime.now(UTC).replace(microsecond=0)


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@pytest.fixture
def database(stack: Stack) -> Iterator[DatabaseProxy]:
    settings = Settings(COSMOS_DATABASE=f"{os.environ['COSMOS_DATABASE']}-live-{uuid.uuid4().hex[:6]}")
    client = build_cosmos_client(settings)
    create_scratch_database(client, settings.cosmos_database)
    try:
        yield client.get_database_client(settings.cosmos_database)
    finally:
        client.delete_database(settings.cosmos_database)


def _position(account: str, minutes: float, lat: float = 44.97) -> LatestPosition:
    t = NOW - timedelta(days=40) + timedelta(minutes=minutes)
    return LatestPosition(
        account_id=account,
        user_id="w1",
        ping_id=f"p{minutes}",
        t=t,
        lat=lat,
        lon=-93.26,
        acc=8,
        src=PingSource.GPS,
        updated_at=NOW,
    )


def test_each_writer_of_the_live_map_moves_its_version(database: DatabaseProxy) -> None:
    account = f"acct-{uuid.uuid4().hex[:8]}"
    versions = CosmosLiveMapVersions(database)
    seen: list[str | None] = [versions.current(account)]
    assert seen == [None]  # no change recorded yet

    def moved(what: str) -> None:
        now = versions.current(account)
        assert now is not None and now not in seen, f"{what} did not move the live map's version"
        seen.append(now)

    def still(what: str) -> None:
        assert versions.current(account) == seen[-1], f"{what} moved the live map's version"

    accounts = CosmosAccountStore(database)
    member = Member(
        account_id=account,
        user_id="w1",
        role=Role.MEMBER,
        full_name="Field Worker",
        email="w1@example.com",
        time_zone="UTC",
        joined_at=NOW,
        updated_at=NOW,
    )
    accounts.put_member(member)
    moved("a member joining")
    positions = CosmosLatestPositionStore(database)
    endpoint, db = database.client_connection.url_connection, database.id

    def spent_on_positions(write: Callable[[], bool]) -> tuple[bool, dict[str, int]]:
        before = request_counts(endpoint, db)
        done = write()
        after = request_counts(endpoint, db)
        ops: dict[str, int] = {}
        for key, n in after.items():
            if key[0] == "latest-positions" and n - before.get(key, 0):
                ops[key[2]] = ops.get(key[2], 0) + n - before.get(key, 0)
        return done, ops

    # the move and the version in one transactional batch (a create here: nobody had a position)
    assert spent_on_positions(lambda: positions.advance(_position(account, 10))) == (True, {"read": 1, "batch": 1})
    moved("the position moving")
    assert not positions.advance(_position(account, 5))
    still("an older position refused")
    # another process moves it on; this one's remembered version is stale: its batch loses (the replace is
    # refused, so the batch's bump is not written), it reads and refuses its older position
    assert CosmosLatestPositionStore(database).advance(_position(account, 15))
    moved("another process moving the position")
    done, ops = spent_on_positions(lambda: positions.advance(_position(account, 12)))
    assert (done, ops) == (False, {"batch": 1, "read": 1})
    still("a swap that lost")
    assert positions.list_for_account(account)[0].ping_id == "p15"
    coarse = CosmosCoarseHistoryStore(database)
    assert coarse.coarsen_latest(account_id=account, user_id="w1", before=NOW)
    moved("the position coarsened")
    assert positions.advance(_position(account, 20, lat=45.0))
    moved("the position moving again")
    assert not positions.withhold_if(account_id=account, user_id="w1", inside=lambda _a, _b: False, at=NOW)
    still("a zone that does not hold the position")
    assert positions.withhold_if(account_id=account, user_id="w1", inside=lambda _a, _b: True, at=NOW)
    moved("the position withheld in a new private zone")
    CosmosConsentLedger(database).append(
        ConsentEntry(
            entry_id=f"consent-{uuid.uuid4().hex}",
            account_id=account,
            user_id="w1",
            capability=Capability.LOCATION,
            granted=False,
            recorded_at=NOW,
            device_id="phone-1",
            app_version="5.0.0",
            policy_version="1",
        )
    )
    moved("a consent entry")
    CosmosTrackingScheduleStore(database, clock=Clock(), keep=timedelta(days=30)).put_schedule(
        TrackingSchedule(
            account_id=account,
            user_id="w1",
            time_zone="UTC",
            windows=[TrackingWindow(days=[Weekday.MON], start="08:00", end="17:00")],
            updated_at=NOW,
        )
    )
    moved("a tracking schedule")
    ProfileKind(database).anonymize(ItemRef(kind="profiles", partition_key=account, doc_id="member-w1", user_id="w1"))
    moved("a profile erased")
    positions_kind = LatestPositionKind(database)
    assert positions_kind.count(account_id=account) == 1  # the version document is not a position
    assert positions_kind.delete(ItemRef(kind="latest-positions", partition_key=account, doc_id="w1", user_id="w1"))
    moved("the position deleted")
    accounts.put_member(member.model_copy(update={"status": MemberStatus.REMOVED}))
    moved("a member removed")
    assert positions.list_for_account(account) == []  # the version document is never read as a position

    kind = LiveMapVersionKind(database)  # closure: the document goes with the account
    assert kind.count(account_id=account) == 1
    assert kind.expired(account_id=account, before=NOW, continuation=None, limit=10).items == []
    [ref] = kind.expired(account_id=account, before=None, continuation=None, limit=10).items
    assert kind.delete(ref) and versions.current(account) is None and kind.count(account_id=account) == 0
