"""Issue 31: an unchanged live-map poll costs one point read and writes nothing, counted on the Cosmos DB emulator
(its document-request counters, GET /_emulator/requests, tools/cosmos-emulator/control.js); a poll after a move
reads again; the reads the owner was answered are one coalesced access-log entry with their count. The first read of
a window for a large crew creates its entries in a few transactional batches and looks the account's retention and
holds up once, not once per worker."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx

from core.bootstrap import Container
from core.domain.privacy import LegalHold
from core.domain.tracking import AccessedData, AccessLogEntry
from scripts.cosmos_emulator import request_counts
from tests.helpers import wait_for
from tests.integration.conftest import Stack, User, add_member
from tests.integration.tracking_helpers import latest, ping, post, set_location_consent

WRITES = {"create", "upsert", "replace", "delete", "patch", "batch"}


def _requests(stack: Stack, partitions: set[str]) -> Counter[tuple[str, str, str]]:
    """The session database's document requests on the partitions of this account and its users."""
    counts = request_counts(stack.settings.cosmos_endpoint, stack.settings.cosmos_database)
    mine: Counter[tuple[str, str, str]] = Counter()
    for (container, header, op), n in counts.items():
        key = str(json.loads(header)[0]) if header.startswith("[") else header  # the SDK sends ["value"]
        if key in partitions or key.startswith(tuple(f"{p}|" for p in partitions)):
            mine[(container, key, op)] += n
    return mine


def _quiet(stack: Stack, partitions: set[str]) -> Counter[tuple[str, str, str]]:
    """The counts once the writer's reactions to the last pings (job-site day, gate) have settled: unchanged for
    a second."""

    def settled() -> Counter[tuple[str, str, str]] | None:
        first = _requests(stack, partitions)
        time.sleep(1)
        return first if _requests(stack, partitions) == first else None

    return wait_for(settled, what="no more background requests on the account")


def test_an_unchanged_live_map_poll_is_one_point_read_and_no_write(
    api: httpx.Client, stack: Stack, owner: User
) -> None:
    member = add_member(api, owner)
    set_location_consent(api, member, True)
    post(api, member, [ping(datetime.now(UTC) + timedelta(milliseconds=50))])
    wait_for(lambda: latest(api, owner)[member.user_id]["position"], what="the first position")
    path = f"/accounts/{owner.account_id}/locations/latest"
    first = api.get(path, headers=owner.auth)
    assert first.status_code == 200 and first.headers["etag"]
    tag = first.headers["etag"]
    partitions = {owner.account_id, owner.user_id, member.user_id}

    before = _quiet(stack, partitions)
    polls = [api.get(path, headers={**owner.auth, "If-None-Match": tag}) for _ in range(3)]
    spent = _requests(stack, partitions) - before
    assert [(r.status_code, r.headers["etag"], r.content) for r in polls] == [(304, tag, b"")] * 3
    reads = {k: n for k, n in spent.items() if k[2] not in WRITES}
    assert not [k for k in spent if k[2] in WRITES], spent  # nothing written, in any container
    # per poll: the live-map version (one point read) and the sign-in record every authenticated request reads
    version = [n for (container, _, op), n in reads.items() if container == "latest-positions" and op == "read"]
    assert version == [3], reads
    assert sum(reads.values()) == 3 + 3, reads
    assert {k[0] for k in reads} == {"latest-positions", "users"}, reads

    post(api, member, [ping(datetime.now(UTC) + timedelta(milliseconds=50), 5)])  # the member moves

    def answered() -> httpx.Response | None:
        r = api.get(path, headers={**owner.auth, "If-None-Match": tag})
        return r if r.status_code == 200 else None

    moved = wait_for(answered, what="a 200 once the position moved")
    assert moved.headers["etag"] != tag
    was, now = ({i["userId"]: i for i in r.json()["items"]}[member.user_id] for r in (first, moved))
    assert now["position"]["latitude"] != was["position"]["latitude"]

    log = api.get("/me/access-log", headers=member.auth).json()["items"]
    live = [e for e in log if e["data"] == "latest-positions"]
    # the answered reads (the waits' 200s included), never the 304s: one entry while the window lasts
    assert len(live) in (1, 2) and all(e["viewerUserId"] == owner.user_id for e in live), live
    assert sum(e["count"] for e in live) >= 2 and all(e["lastAt"] >= e["at"] for e in live)


def test_a_crews_first_read_of_a_window_is_a_few_batches_and_one_plan(stack: Stack) -> None:
    deps = Container(stack.settings)
    account_id = f"acct-{uuid.uuid4().hex[:10]}"
    now = datetime.now(UTC)
    workers = [f"w-{i:03d}" for i in range(250)]
    deps.privacy.put_hold(
        LegalHold(hold_id="h1", account_id=account_id, user_id="w-123", reason="r", placed_by="platform", placed_at=now)
    )
    entries = [
        AccessLogEntry(
            entry_id=f"e-{w}",
            account_id=account_id,
            viewer_user_id="owner",
            viewer_role="owner",
            subject_user_ids=[w],
            data=AccessedData.LATEST_POSITIONS,
            at=now,
        )
        for w in workers
    ]
    store = deps.access_log_store
    assert store.create_many([entries[150]]) == [True]  # another process created this one first
    before = _requests(stack, {account_id})

    created = store.create_many(entries)

    spent = _requests(stack, {account_id}) - before
    # entries 100-149 answer "existed" on the emulator, which keeps a failed batch's creates before the conflict
    # (Azure applies none of them): stored once either way
    assert created[:100] == [True] * 100 and created[150:] == [False] + [True] * 99
    # three batches of at most 100 (the one meeting the existing entry created one by one), and the account's
    # retention settings and holds read once for all 250 entries (one query for both)
    assert spent[("access-log", account_id, "batch")] == 3, spent
    assert spent[("access-log", account_id, "create")] == 100, spent
    assert sum(n for (container, _, _), n in spent.items() if container == "privacy") == 1, spent
    docs = list(
        deps.database.get_container_client("access-log").query_items(
            "SELECT c.id, c.ttl FROM c WHERE c.accountId = @a",
            parameters=[{"name": "@a", "value": account_id}],
            partition_key=account_id,
        )
    )
    ttl = {d["id"]: d["ttl"] for d in docs}
    assert sorted(ttl) == sorted(e.entry_id for e in entries)
    assert ttl["e-w-123"] == -1  # the held worker's entry never expires
    others = [t for i, t in ttl.items() if i != "e-w-123"]
    assert min(others) > 0 and max(others) - min(others) <= 2  # the account's plan, counted from each write
