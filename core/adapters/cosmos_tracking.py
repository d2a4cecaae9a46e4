"""Cosmos DB and queue adapters for consent and location tracking (docs/tracking.md).

* consent ledger entries and tracking schedules: the `users` container (partition /userId), docTypes `consent`
  and `tracking-schedule`;
* pings: the `pings` container, partition `pk` = accountId|userId|yyyy-mm-dd (UTC day), id = ping id;
* latest positions: the `latest-positions` container (partition /accountId), id = userId;
* the access log: the `access-log` container (partition /accountId).

The pings queue's sender is in core/adapters/queues.py. `ping_partition` and `ping_doc` are the one definition of
a ping's partition key and stored shape (the privacy registry, coarsening and benchmarks use them).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

from azure.cosmos import ContainerProxy, DatabaseProxy
from azure.cosmos import exceptions as cosmos_errors

from core import schema
from core.adapters.cosmos import compare_and_swap, strip_system, to_doc
from core.adapters.cosmos_expiry import Stamp
from core.adapters.cosmos_live_map import LiveMapBump, is_version_doc
from core.domain.consent import Capability, ConsentEntry, state_in
from core.domain.errors import FieldError, ValidationFailed
from core.domain.expiry import DAY, ExpiryPlan
from core.domain.tracking import (
    AccessLogEntry,
    AccessLogSlice,
    LatestPosition,
    Ping,
    PingSlice,
    PingSource,
    ScheduleVersion,
    TrackingSchedule,
    with_change,
)
from core.ports import Clock

log = logging.getLogger(__name__)


def _bad_continuation() -> ValidationFailed:
    return ValidationFailed(errors=[FieldError("query.continuation", "is not a continuation token from this list")])


def _page(query: Any, continuation: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a query through the SDK's pager; a token that is not ours answers 422, never 500."""
    try:
        pager = query.by_page(continuation)
        docs = list(next(pager, []))
    except (cosmos_errors.CosmosHttpResponseError, ValueError, TypeError, KeyError) as exc:
        if continuation is not None and not (
            isinstance(exc, cosmos_errors.CosmosHttpResponseError) and exc.status_code in (408, 429, 500, 503)
        ):
            raise _bad_continuation() from exc
        raise
    token = pager.continuation_token
    return docs, token if docs or token else None


class CosmosConsentLedger:
    """Consent entries in the user's partition of `users`; only create_item is ever used on them (append-only)."""

    def __init__(self, database: DatabaseProxy) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.USERS.name)
        self._live_map = LiveMapBump(database)

    def append(self, entry: ConsentEntry) -> None:
        self._c.create_item(to_doc(entry, doc_id=entry.entry_id, doc_type="consent", userId=entry.user_id))
        self._live_map.bump(entry.account_id)

    def history(self, *, account_id: str, user_id: str) -> list[ConsentEntry]:
        docs = self._c.query_items(
            "SELECT * FROM c WHERE c.userId = @u AND c.docType = 'consent' AND c.account_id = @a",
            parameters=[{"name": "@u", "value": user_id}, {"name": "@a", "value": account_id}],
            partition_key=user_id,
        )
        entries = [ConsentEntry.model_validate(strip_system(d)) for d in docs]
        return sorted(entries, key=lambda e: (e.recorded_at, e.entry_id))

    def state_at(self, *, account_id: str, user_id: str, capability: Capability, at: datetime) -> bool:
        return state_in(self.history(account_id=account_id, user_id=user_id), capability=capability, at=at)


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return min(a, b) if a is not None and b is not None else a or b


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return max(a, b) if a is not None and b is not None else a or b


class CosmosAccessLog:
    """The `access-log` container: one partition per account; entries name the workers whose data was read. Each
    entry carries its `ttl` (the account's access-log retention; never while a worker it names is held)."""

    def __init__(self, database: DatabaseProxy, stamp: Stamp | None = None) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.ACCESS_LOG.name)
        self._stamp = stamp

    def _doc(self, entry: AccessLogEntry, plan: ExpiryPlan | None = None) -> dict[str, Any]:
        """The stored document; `plan` is the account's expiry plan when the caller has it already (it costs a
        read of the retention settings and a query of the holds)."""
        doc = to_doc(entry, doc_id=entry.entry_id, doc_type="access", accountId=entry.account_id)
        if self._stamp is not None:
            plan = plan or self._stamp.plan(entry.account_id)
            doc["ttl"] = plan.access_log_ttl(
                subject_user_ids=entry.subject_user_ids, at=entry.at, now=self._stamp.now()
            )
        return doc

    def append(self, entry: AccessLogEntry) -> None:
        self._c.upsert_item(self._doc(entry))

    def _create(self, entry: AccessLogEntry, plan: ExpiryPlan | None = None) -> bool:
        try:
            self._c.create_item(self._doc(entry, plan))
        except cosmos_errors.CosmosResourceExistsError:
            return False
        return True

    def create_many(self, entries: Sequence[AccessLogEntry]) -> list[bool]:
        """Transactional batches of at most 100 creates, each within one partition (an account), up to
        BATCH_THREADS batches at a time; the account's expiry plan is looked up once, not per entry. A batch that
        meets an entry that exists fails; then that batch's entries are created one by one (Azure applied none of
        the batch; the emulator kept the creates before the failure, which then answer "existed", and were
        created: either way each entry is stored once). An error in any batch propagates once the others ended."""
        plans: dict[str, ExpiryPlan | None] = {
            a: self._stamp.plan(a) if self._stamp is not None else None for a in {e.account_id for e in entries}
        }
        by_account: dict[str, list[int]] = {}
        for i, e in enumerate(entries):
            by_account.setdefault(e.account_id, []).append(i)
        chunks = [
            indices[start : start + BATCH_LIMIT]
            for indices in by_account.values()
            for start in range(0, len(indices), BATCH_LIMIT)
        ]

        def batch(chunk: list[int]) -> list[bool]:
            account_id = entries[chunk[0]].account_id
            plan = plans[account_id]
            if len(chunk) > 1:
                try:
                    self._c.execute_item_batch(
                        batch_operations=[("create", (self._doc(entries[i], plan),)) for i in chunk],
                        partition_key=account_id,
                    )
                    return [True] * len(chunk)
                except cosmos_errors.CosmosBatchOperationError as exc:
                    if exc.status_code != 409:
                        raise
            return [self._create(entries[i], plan) for i in chunk]

        created = [False] * len(entries)
        if len(chunks) <= 1:
            answers = [batch(c) for c in chunks]
        else:
            with ThreadPoolExecutor(min(BATCH_THREADS, len(chunks)), thread_name_prefix="access-log") as pool:
                answers = list(pool.map(batch, chunks))
        for chunk, answer in zip(chunks, answers, strict=True):
            for i, new in zip(chunk, answer, strict=True):
                created[i] = new
        return created

    def add_reads(
        self,
        *,
        account_id: str,
        entry_id: str,
        reads: int,
        last_at: datetime,
        range_from: datetime | None,
        range_to: datetime | None,
    ) -> bool:
        for _ in range(20):
            try:
                doc: dict[str, Any] = self._c.read_item(item=entry_id, partition_key=account_id)
            except cosmos_errors.CosmosResourceNotFoundError:
                return False
            stored = AccessLogEntry.model_validate(strip_system(doc))
            merged = stored.model_copy(
                update={
                    "count": stored.count + reads,
                    "last_at": max(stored.last_at or stored.at, last_at),
                    "range_from": _earliest(stored.range_from, range_from),
                    "range_to": _latest(stored.range_to, range_to),
                }
            )
            # the ttl computed again from now: a replace restarts the expiry clock
            if compare_and_swap(self._c, self._doc(merged), etag=doc["_etag"]):
                return True
        raise RuntimeError("the access-log entry kept changing; try again")

    def for_subject(self, *, account_id: str, user_id: str, continuation: str | None, limit: int) -> AccessLogSlice:
        query = self._c.query_items(
            "SELECT * FROM c WHERE c.accountId = @a AND c.docType = 'access'"
            " AND ARRAY_CONTAINS(c.subject_user_ids, @u) ORDER BY c.at DESC",
            parameters=[{"name": "@a", "value": account_id}, {"name": "@u", "value": user_id}],
            partition_key=account_id,
            max_item_count=limit,
        )
        docs, token = _page(query, continuation)
        return AccessLogSlice(
            entries=[AccessLogEntry.model_validate(strip_system(d)) for d in docs], continuation=token
        )


class CosmosTrackingScheduleStore:
    """One document per worker and account in the user's partition of `users` (id tracking-schedule-{accountId}):
    the current schedule's fields (`time_zone` null once deleted) and `versions`, the windows over time (oldest
    first, docs/tracking.md "Windows by time"). A put or delete appends a version (read, then replace only the
    version read: two changes never lose each other); versions replaced more than `keep` ago go, since no ping that
    old is accepted. A document written before versions were kept counts as one version in force since always."""

    def __init__(self, database: DatabaseProxy, *, clock: Clock, keep: timedelta) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.USERS.name)
        self._clock, self._keep = clock, keep
        self._live_map = LiveMapBump(database)

    def _read(self, account_id: str, user_id: str) -> dict[str, Any] | None:
        try:
            doc: dict[str, Any] = self._c.read_item(item=f"tracking-schedule-{account_id}", partition_key=user_id)
        except cosmos_errors.CosmosResourceNotFoundError:
            return None
        return doc

    @staticmethod
    def _current(doc: dict[str, Any] | None) -> TrackingSchedule | None:
        if doc is None or doc.get("time_zone") is None:
            return None
        return TrackingSchedule.model_validate(strip_system(doc))

    @classmethod
    def _versions(cls, doc: dict[str, Any] | None) -> list[ScheduleVersion]:
        if doc is None:
            return []
        if "versions" not in doc:  # written before versions were kept
            return [ScheduleVersion.of(cls._current(doc), since=None)]
        return [ScheduleVersion.model_validate(v) for v in doc["versions"]]

    def get_schedule(self, *, account_id: str, user_id: str) -> TrackingSchedule | None:
        return self._current(self._read(account_id, user_id))

    def schedule_versions(self, *, account_id: str, user_id: str) -> list[ScheduleVersion]:
        return self._versions(self._read(account_id, user_id))

    def _change(self, *, account_id: str, user_id: str, to: TrackingSchedule | None, at: datetime) -> None:
        for _ in range(20):
            doc = self._read(account_id, user_id)
            if doc is None and to is None:
                return  # never had a schedule: nothing changes
            versions = with_change(
                self._versions(doc), ScheduleVersion.of(to, since=at), keep_since=self._clock.now() - self._keep
            )
            body = {
                "id": f"tracking-schedule-{account_id}",
                "userId": user_id,
                "docType": "tracking-schedule",
                "account_id": account_id,
                "user_id": user_id,
                "time_zone": to.time_zone if to else None,
                "windows": [w.model_dump(mode="json") for w in to.windows] if to else [],
                "updated_at": to.model_dump(mode="json")["updated_at"] if to else at.isoformat(),
                "versions": [v.model_dump(mode="json") for v in versions],
            }
            if compare_and_swap(self._c, body, etag=doc["_etag"] if doc else None):
                self._live_map.bump(account_id)
                return
        raise RuntimeError("the tracking schedule kept changing; try again")

    def put_schedule(self, schedule: TrackingSchedule) -> None:
        self._change(account_id=schedule.account_id, user_id=schedule.user_id, to=schedule, at=schedule.updated_at)

    def delete_schedule(self, *, account_id: str, user_id: str) -> None:
        """Back to no schedule from now on; the earlier versions stay to judge late pings."""
        self._change(account_id=account_id, user_id=user_id, to=None, at=self._clock.now())


# ---------------------------------------------------------------- pings

BATCH_LIMIT = 100  # operations per transactional batch
BATCH_THREADS = 4  # transactional batches of one call sent at once (the access log's first read of a window)
_OPTIONAL = ("alt", "spd", "hdg", "bat", "dev")


def ping_partition(account_id: str, user_id: str, day: date) -> str:
    """The `pings` container's partition key: one partition per worker per UTC day."""
    return f"{account_id}|{user_id}|{day.isoformat()}"


def _ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


def _from_ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def ping_doc(pk: str, p: Ping, ttl: int | None = None) -> dict[str, Any]:
    """Compact stored form: short field names, time as epoch milliseconds, absent readings left out; `ttl` in
    seconds from this write (core/domain/expiry.py; the day partition expires as a whole)."""
    doc: dict[str, Any] = {
        "id": p.ping_id,
        "pk": pk,
        "docType": "ping",
        "t": _ms(p.t),
        "lat": p.lat,
        "lon": p.lon,
        "acc": p.acc,
        "src": p.src.value,
    }
    for key in _OPTIONAL:
        value = getattr(p, key)
        if value is not None:
            doc[key] = value
    if ttl is not None:
        doc["ttl"] = ttl
    return doc


def ping_ttl(stamp: Stamp | None, account_id: str, user_id: str, day: date) -> int | None:
    """The ttl of a ping written now into the member's day partition: the day's end plus the retention."""
    if stamp is None:
        return None
    end = datetime(day.year, day.month, day.day, tzinfo=UTC) + DAY
    return stamp.plan(account_id).location_ttl(user_id=user_id, start=end, now=stamp.now())


def ping_from_doc(doc: dict[str, Any]) -> Ping:
    """A stored ping document (`ping_doc`'s shape) read back."""
    return Ping(
        ping_id=doc["id"],
        t=_from_ms(doc["t"]),
        lat=doc["lat"],
        lon=doc["lon"],
        acc=doc["acc"],
        src=PingSource(doc["src"]),
        **{k: doc.get(k) for k in _OPTIONAL},
    )


class CosmosPingStore:
    def __init__(self, database: DatabaseProxy, stamp: Stamp | None = None) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.PINGS.name)
        self._stamp = stamp

    def stored_ids(self, *, account_id: str, user_id: str, day: date, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        pk = ping_partition(account_id, user_id, day)
        docs = self._c.query_items(
            "SELECT VALUE c.id FROM c WHERE c.pk = @pk AND ARRAY_CONTAINS(@ids, c.id)",
            parameters=[{"name": "@pk", "value": pk}, {"name": "@ids", "value": ids}],
            partition_key=pk,
        )
        return {str(d) for d in docs}

    def write_day(self, *, account_id: str, user_id: str, day: date, pings: list[Ping]) -> None:
        """Creates in transactional batches of at most 100 per partition. A replay (or a ping sent twice) makes a
        batch fail on the pings already stored: then only the missing ones are created. In Azure a failed batch
        changes nothing; the emulator keeps the operations before the failure. Both end with each ping stored
        exactly once. (Creates, not upserts: the emulator's batch cannot parse an upsert's partition key.)"""
        pk = ping_partition(account_id, user_id, day)
        ttl = ping_ttl(self._stamp, account_id, user_id, day)  # one plan per day written (retention and holds)
        for start in range(0, len(pings), BATCH_LIMIT):
            chunk = pings[start : start + BATCH_LIMIT]
            for _ in range(5):
                try:
                    self._c.execute_item_batch(
                        batch_operations=[("create", (ping_doc(pk, p, ttl),)) for p in chunk], partition_key=pk
                    )
                    break
                except cosmos_errors.CosmosBatchOperationError as exc:
                    if exc.status_code != 409:
                        raise
                    stored = self.stored_ids(
                        account_id=account_id, user_id=user_id, day=day, ids=[p.ping_id for p in chunk]
                    )
                    chunk = [p for p in chunk if p.ping_id not in stored]
                    if not chunk:
                        break
            else:
                raise RuntimeError("pings kept conflicting; the message will be retried")

    def read_day(
        self,
        *,
        account_id: str,
        user_id: str,
        day: date,
        start: datetime,
        end: datetime,
        continuation: str | None,
        limit: int,
    ) -> PingSlice:
        pk = ping_partition(account_id, user_id, day)
        query = self._c.query_items(
            "SELECT c.id, c.t, c.lat, c.lon, c.acc, c.src, c.alt, c.spd, c.hdg, c.bat, c.dev FROM c"
            " WHERE c.pk = @pk AND c.t >= @s AND c.t < @e ORDER BY c.t",
            parameters=[
                {"name": "@pk", "value": pk},
                {"name": "@s", "value": _ms(start)},
                {"name": "@e", "value": _ms(end)},
            ],
            partition_key=pk,
            max_item_count=limit,
        )
        docs, token = _page(query, continuation)
        return PingSlice(pings=[ping_from_doc(d) for d in docs], continuation=token)

    def in_box(
        self, *, account_id: str, user_id: str, day: date, south: float, west: float, north: float, east: float
    ) -> list[Ping]:
        pk = ping_partition(account_id, user_id, day)
        docs = self._c.query_items(
            "SELECT * FROM c WHERE c.pk = @pk AND c.docType = 'ping'"
            " AND c.lat >= @s AND c.lat <= @n AND c.lon >= @w AND c.lon <= @e",
            parameters=[
                {"name": "@pk", "value": pk},
                {"name": "@s", "value": south},
                {"name": "@n", "value": north},
                {"name": "@w", "value": west},
                {"name": "@e", "value": east},
            ],
            partition_key=pk,
        )
        return [ping_from_doc(d) for d in docs]

    def delete_day(self, *, account_id: str, user_id: str, day: date, ids: list[str]) -> None:
        pk = ping_partition(account_id, user_id, day)
        for ping_id in ids:
            try:
                self._c.delete_item(item=ping_id, partition_key=pk)
            except cosmos_errors.CosmosResourceNotFoundError:
                pass


HINTS = 10_000  # members whose last-seen version a process remembers (about 1 MB)


class CosmosLatestPositionStore:
    """`latest-positions`: one document per member (id = userId) in the account's partition.

    `advance` remembers, per member, the ETag and `(t, pingId)` of the version this process last read or wrote (at
    most HINTS members, oldest forgotten first). It is only a guess for the compare-and-swap: when the stored
    version is still that one, the new position is compared with exactly what is stored and written without a read;
    when anything changed it (another process, coarsening, a private zone, an erasure) the swap fails and the
    position is read and decided again. So it never decides from stale data."""

    def __init__(self, database: DatabaseProxy, stamp: Stamp | None = None) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.LATEST_POSITIONS.name)
        self._stamp = stamp  # a position carries the ttl of its ping's day: it goes with the pings
        self._hints: dict[tuple[str, str], tuple[str, LatestPosition]] = {}
        self._hints_lock = threading.Lock()
        self._live_map = LiveMapBump(database)  # after a withhold: the live map's version (cosmos_live_map.py)

    def _remember(self, position: LatestPosition, doc: dict[str, Any] | None) -> None:
        key = (position.account_id, position.user_id)
        with self._hints_lock:
            self._hints.pop(key, None)
            if doc is not None and doc.get("_etag"):
                self._hints[key] = (str(doc["_etag"]), self.position_of(doc))
                while len(self._hints) > HINTS:
                    del self._hints[next(iter(self._hints))]

    def _doc(self, p: LatestPosition) -> dict[str, Any]:
        """A position withheld in a private zone is stored with its time and no position at all."""
        doc: dict[str, Any] = {
            "id": p.user_id,
            "accountId": p.account_id,
            "docType": "latest-position",
            "user_id": p.user_id,
            "ping_id": p.ping_id,
            "t": _ms(p.t),
            "updated_at": p.updated_at.isoformat(),
        }
        ttl = ping_ttl(self._stamp, p.account_id, p.user_id, p.t.astimezone(UTC).date())
        if ttl is not None:
            doc["ttl"] = ttl
        if p.in_private_zone:
            return {**doc, "private": True}
        return {**doc, "lat": p.lat, "lon": p.lon, "acc": p.acc, "src": p.src.value if p.src else None}

    @staticmethod
    def position_of(doc: dict[str, Any]) -> LatestPosition:
        """A stored latest-position document as the domain reads it (also used by the members page's reads)."""
        src = doc.get("src")
        ttl, written = doc.get("ttl"), doc.get("_ts")
        expires = (
            datetime.fromtimestamp(int(written) + int(ttl), tz=UTC)
            if isinstance(ttl, int) and ttl > 0 and isinstance(written, int)
            else None
        )
        return LatestPosition(
            account_id=doc["accountId"],
            user_id=doc["user_id"],
            ping_id=doc["ping_id"],
            t=_from_ms(doc["t"]),
            lat=doc.get("lat"),
            lon=doc.get("lon"),
            acc=doc.get("acc"),
            src=PingSource(src) if src else None,
            updated_at=datetime.fromisoformat(doc["updated_at"]),
            expires_at=expires,
        )

    def withhold_if(
        self, *, account_id: str, user_id: str, inside: Callable[[float, float], bool], at: datetime
    ) -> bool:
        for _ in range(20):
            try:
                doc = self._c.read_item(item=user_id, partition_key=account_id)
            except cosmos_errors.CosmosResourceNotFoundError:
                return False
            current = self.position_of(doc)
            if current.lat is None or current.lon is None or not inside(current.lat, current.lon):
                return False
            withheld = current.model_copy(update={"lat": None, "lon": None, "acc": None, "src": None, "updated_at": at})
            if compare_and_swap(self._c, self._doc(withheld), etag=doc["_etag"]):
                self._live_map.bump(account_id)
                return True
        raise RuntimeError("latest position kept changing; try again")

    def advance(self, position: LatestPosition) -> bool:
        """Optimistic concurrency: one read, then create (nobody had one) or replace only the version read (ETag);
        on a race, read again and re-decide. So two writers never move the position backwards. The writer calls it
        once per member per flush."""
        hint = self._hints.get((position.account_id, position.user_id))
        if hint is not None and position.is_newer_than(hint[1]):
            written = self._swap_and_bump(position, etag=hint[0])
            self._remember(position, written)
            if written is not None:
                return True
        for _ in range(20):
            try:
                current: dict[str, Any] | None = self._c.read_item(
                    item=position.user_id, partition_key=position.account_id
                )
            except cosmos_errors.CosmosResourceNotFoundError:
                current = None
            if current is not None and not position.is_newer_than(self.position_of(current)):
                self._remember(position, current)
                return False
            written = self._swap_and_bump(position, etag=current["_etag"] if current else None)
            if written is not None:
                self._remember(position, written)
                return True
        raise RuntimeError("latest position kept changing under the writer; the message will be retried")

    def _swap_and_bump(self, position: LatestPosition, *, etag: str | None) -> dict[str, Any] | None:
        """The compare-and-swap of `compare_and_swap` (create when `etag` is None, else replace only that version)
        and the live map's bump, in one transactional batch of the account's partition: one request instead of
        two, and the version moves exactly when the position does. The swap is the batch's first operation, so
        when it loses (the document exists already, changed or was deleted: 409, 412, 404) nothing is written,
        in Azure (atomic) and on the emulator (it stops at the first failure). Answers the position written (with
        its new `_etag`), or None when it lost."""
        body = self._doc(position)
        swap: tuple[Any, ...] = (
            ("create", (body,)) if etag is None else ("replace", (body["id"], body), {"if_match_etag": etag})
        )
        try:
            results = self._c.execute_item_batch(
                batch_operations=[swap, ("upsert", (LiveMapBump.next_version(position.account_id),))],
                partition_key=position.account_id,
            )
        except cosmos_errors.CosmosBatchOperationError as exc:
            if exc.error_index == 0 and exc.status_code in (404, 409, 412):
                return None
            raise
        written: dict[str, Any] = results[0]["resourceBody"]
        return written

    def list_for_account(self, account_id: str) -> list[LatestPosition]:
        docs = self._c.query_items(
            "SELECT * FROM c WHERE c.accountId = @a",
            parameters=[{"name": "@a", "value": account_id}],
            partition_key=account_id,
        )
        return [self.position_of(d) for d in docs if not is_version_doc(d)]
