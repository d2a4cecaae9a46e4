"""The pings writer through the real local host (docs/tracking.md, "The pings writer"): many members' messages
put on the queue together are written together, each ping once, with each member's latest position at their
newest ping; and a member's pings still on the queue when their erasure ran are not stored afterwards."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
from azure.cosmos import DatabaseProxy

from core import schema
from core.adapters.cosmos import build_cosmos_client
from core.adapters.cosmos_tracking import ping_partition
from core.adapters.queues import build_queue_service, queue_client
from core.domain.tracking import Ping, PingSource
from core.domain.tracking_formats import encode_ping_messages
from scripts.cosmos_emulator import request_counts
from tests.helpers import wait_for
from tests.integration.conftest import Stack, User, add_member
from tests.integration.test_data_requests_api import completed
from tests.integration.tracking_helpers import set_location_consent

MEMBERS = 4
PINGS = 30  # per message, as a phone's 30-ping call makes one message


def _pings(start: datetime, count: int = PINGS) -> list[Ping]:
    return [
        Ping(
            ping_id=str(uuid.uuid4()),
            t=start + timedelta(seconds=i),
            lat=44.97 + i * 1e-5,
            lon=-93.26 + i * 1e-5,
            acc=6.0,
            src=PingSource.GPS,
        )
        for i in range(count)
    ]


def _database(stack: Stack) -> DatabaseProxy:
    return build_cosmos_client(stack.settings).get_database_client(stack.settings.cosmos_database)


def _stored(database: DatabaseProxy, account_id: str, user_id: str, days: set[datetime]) -> Counter[str]:
    container = database.get_container_client(schema.PINGS.name)
    found: Counter[str] = Counter()
    for day in {d.date() for d in days}:
        pk = ping_partition(account_id, user_id, day)
        found.update(
            str(i)
            for i in container.query_items(
                "SELECT VALUE c.id FROM c WHERE c.pk = @pk", parameters=[{"name": "@pk", "value": pk}], partition_key=pk
            )
        )
    return found


def _latest_ping_id(database: DatabaseProxy, account_id: str, user_id: str) -> str | None:
    container = database.get_container_client(schema.LATEST_POSITIONS.name)
    docs = list(
        container.query_items(
            "SELECT VALUE c.ping_id FROM c WHERE c.accountId = @a AND c.id = @u",
            parameters=[{"name": "@a", "value": account_id}, {"name": "@u", "value": user_id}],
            partition_key=account_id,
        )
    )
    return str(docs[0]) if docs else None


def test_many_members_messages_in_one_delivery_are_stored_once_with_each_latest_position_at_the_newest(
    api: httpx.Client, owner: User, stack: Stack
) -> None:
    members = [add_member(api, owner) for _ in range(MEMBERS)]
    database = _database(stack)
    queue = queue_client(build_queue_service(stack.settings), stack.settings.queue_location_pings)
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    messages: list[str] = []
    expected: dict[str, set[str]] = {}
    newest: dict[str, str] = {}
    times: dict[str, set[datetime]] = {}
    for n, m in enumerate(members):
        first, newer, older = (
            _pings(base + timedelta(minutes=n)),
            _pings(base + timedelta(minutes=n + 10)),
            _pings(base + timedelta(minutes=n - 10)),
        )
        # in queue order: a message, a newer one, the first again (a replay), then an older one
        for batch in (first, newer, first, older):
            messages += encode_ping_messages(owner.account_id, m.user_id, batch)
        expected[m.user_id] = {p.ping_id for p in first + newer + older}
        newest[m.user_id] = newer[-1].ping_id
        times[m.user_id] = {p.t for p in first + newer + older}
    log_from = len(stack.host_log())
    for i in range(4):  # interleaved by member, as several phones' calls land on the queue
        for j in range(MEMBERS):
            queue.send_message(messages[j * 4 + i])

    def all_stored() -> bool:
        return all(set(_stored(database, owner.account_id, u, times[u])) == ids for u, ids in expected.items())

    wait_for(all_stored, timeout=60, interval=0.5, what=f"{MEMBERS * 3 * PINGS} stored pings")
    wait_for(
        lambda: all(_latest_ping_id(database, owner.account_id, u) == newest[u] for u in expected),
        timeout=30,
        what="each member's latest position at their newest ping",
    )
    for u, ids in expected.items():  # each ping exactly once, nothing else
        assert _stored(database, owner.account_id, u, times[u]) == Counter(dict.fromkeys(ids, 1))
    # The host wrote several of these messages in one flush (a member's messages that arrived together).
    flushes = [int(n) for n in re.findall(r"stored \d+ ping\(s\) of (\d+) message\(s\)", stack.host_log()[log_from:])]
    assert sum(flushes) >= len(messages) - MEMBERS and max(flushes) >= 2, flushes


def test_pings_still_queued_when_the_members_erasure_ran_are_not_stored_afterwards(
    api: httpx.Client, owner: User, stack: Stack
) -> None:
    member = add_member(api, owner)
    database = _database(stack)
    queue = queue_client(build_queue_service(stack.settings), stack.settings.queue_location_pings)
    # Accepted before the erasure (the ingest call queued them), but not yet written when it ran:
    queued = _pings(datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5), 10)
    r = api.post("/me/data-requests", json={"type": "erasure"}, headers=member.auth)
    assert r.status_code == 202, r.text
    completed(api, member, r.json()["requestId"])
    later = _pings(datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2), 2)  # after the erasure
    for text in encode_ping_messages(owner.account_id, member.user_id, queued + later):
        queue.send_message(text)
    days = {p.t for p in queued + later}
    # The same message's pings taken after the erasure are stored: then the writer has handled it.
    wait_for(
        lambda: set(_stored(database, owner.account_id, member.user_id, days)) >= {p.ping_id for p in later},
        timeout=30,
        what="the pings taken after the erasure",
    )
    assert set(_stored(database, owner.account_id, member.user_id, days)) == {p.ping_id for p in later}
    assert _latest_ping_id(database, owner.account_id, member.user_id) == later[-1].ping_id


def test_a_latest_position_hint_gone_stale_never_moves_the_position_backwards(stack: Stack) -> None:
    """The store's per-process hint (last version seen) against the emulator: another process's newer write and a
    deletion (erasure) both make the hinted swap fail, and the position is read and decided again."""
    from core.adapters.cosmos_tracking import CosmosLatestPositionStore
    from core.domain.tracking import LatestPosition

    database = _database(stack)
    mine, theirs = CosmosLatestPositionStore(database), CosmosLatestPositionStore(database)
    account, user = f"a-hint-{uuid.uuid4().hex[:8]}", "u-hint"
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)

    def at(seconds: int) -> LatestPosition:
        return LatestPosition(
            account_id=account,
            user_id=user,
            ping_id=f"p{seconds:04d}",
            t=t0 + timedelta(seconds=seconds),
            lat=45.0,
            lon=-93.0,
            acc=5.0,
            src=PingSource.GPS,
            updated_at=t0,
        )

    assert mine.advance(at(10))  # created; this store now remembers that version
    assert theirs.advance(at(30))  # another process moves it on
    assert not mine.advance(at(20))  # newer than what `mine` saw, older than what is stored: refused
    assert _latest_ping_id(database, account, user) == "p0030"
    assert mine.advance(at(40))  # its hint was refreshed by the read: now a direct swap
    database.get_container_client(schema.LATEST_POSITIONS.name).delete_item(item=user, partition_key=account)
    assert mine.advance(at(50))  # hinted version deleted (as by an erasure): read again, created
    assert _latest_ping_id(database, account, user) == "p0050"


def test_a_zone_made_after_the_call_withholds_in_the_writer_deciding_with_the_members_gate(
    api: httpx.Client, owner: User, stack: Stack
) -> None:
    """docs/tracking.md, "Private zones: decided at ingest and again by the writer", case 2 on the real stores: the
    writer's one member read answers the member's ingest gate, rebuilt by the zone's save, and its copy of the zones
    withholds the ping a call made before the zone kept; the zones document itself is not read."""
    member = add_member(api, owner)
    set_location_consent(api, member, True)  # the member's gate is built
    home = (44.9778, -93.2650)
    r = api.post(
        "/me/private-zones",
        json={"latitude": home[0], "longitude": home[1], "radiusMeters": 300},
        headers=member.auth,
    )
    assert r.status_code == 201, r.text
    created = datetime.fromisoformat(r.json()["createdAt"])
    away = Ping(
        ping_id=str(uuid.uuid4()),
        t=created + timedelta(seconds=1),
        lat=home[0] + 0.02,
        lon=home[1],
        acc=6.0,
        src=PingSource.GPS,
    )
    inside = Ping(
        ping_id=str(uuid.uuid4()),
        t=created + timedelta(seconds=2),
        lat=home[0],
        lon=home[1],
        acc=6.0,
        src=PingSource.GPS,
    )
    database = _database(stack)
    queue = queue_client(build_queue_service(stack.settings), stack.settings.queue_location_pings)
    before = request_counts(stack.settings.cosmos_endpoint, stack.settings.cosmos_database)
    for text in encode_ping_messages(owner.account_id, member.user_id, [away, inside]):  # as the call queued it
        queue.send_message(text)
    wait_for(
        lambda: _latest_ping_id(database, owner.account_id, member.user_id) == inside.ping_id,
        timeout=30,
        what="the latest position at the newest ping, withheld",
    )
    assert set(_stored(database, owner.account_id, member.user_id, {away.t})) == {away.ping_id}
    after = request_counts(stack.settings.cosmos_endpoint, stack.settings.cosmos_database)
    zone_reads = sum(
        n - before.get(key, 0)
        for key, n in after.items()
        if key[0] == schema.USERS.name and member.user_id in key[1] and key[2] == "read"
    )
    assert zone_reads == 0  # decided with the gate's copy of the zones
