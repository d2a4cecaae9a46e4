"""In-memory fakes for the tracking area's ports (ConsentLedger, AccessLog, TrackingStore, PingQueue...) and the
ingest gate over in-memory sources (`FakeIngestGate`), what every ingest call decides with."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core.domain.accounts import Member
from core.domain.coarse_history import CoarseDay, CoarseningCursor, CoarseningRun
from core.domain.consent import Capability, ConsentEntry, state_in
from core.domain.errors import Conflict
from core.domain.geohash import coarse_cell
from core.domain.identity import Role
from core.domain.ingest_gate import GateDoc, GateRead
from core.domain.page_views import PageView
from core.domain.private_zones import PrivateZones, WithheldPing
from core.domain.tracking import (
    AccessLogEntry,
    AccessLogSlice,
    LatestPosition,
    Ping,
    PingSlice,
    ScheduleVersion,
    TrackingSchedule,
    with_change,
)
from core.ports import (
    AccountStore,
    BillingStore,
    Clock,
    ConsentLedger,
    PrivacyStore,
    PrivateZoneStore,
)
from core.services.ingest_gate import IngestGateKeeper
from core.services.reactions import Dispatcher
from tests.unit.fakes import FakeAccountStore
from tests.unit.fakes_billing import FakeBillingStore
from tests.unit.fakes_privacy import FakePrivacyStore


def members_of(*user_ids: str, account_id: str = "a1") -> FakeAccountStore:
    """An account store holding the named members of one account (joined long ago, time zone UTC): what the pings
    writer reads first for its erasure check, as in production."""
    accounts = FakeAccountStore()
    joined = datetime(2020, 1, 1, tzinfo=UTC)
    for user_id in user_ids:
        accounts.put_member(
            Member(
                account_id=account_id,
                user_id=user_id,
                role=Role.MEMBER,
                full_name=f"Member {user_id}",
                email=f"{user_id}@example.com",
                time_zone="UTC",
                joined_at=joined,
                updated_at=joined,
            )
        )
    return accounts


class FakeConsentLedger:
    def __init__(self) -> None:
        self.entries: list[ConsentEntry] = []

    def append(self, entry: ConsentEntry) -> None:
        assert all(e.entry_id != entry.entry_id for e in self.entries), "ledger entries are never replaced"
        self.entries.append(entry)

    def history(self, *, account_id: str, user_id: str) -> list[ConsentEntry]:
        mine = [e for e in self.entries if e.account_id == account_id and e.user_id == user_id]
        return sorted(mine, key=lambda e: (e.recorded_at, e.entry_id))

    def state_at(self, *, account_id: str, user_id: str, capability: Capability, at: datetime) -> bool:
        return state_in(self.history(account_id=account_id, user_id=user_id), capability=capability, at=at)


class FakeAccessLog:
    def __init__(self) -> None:
        self.entries: list[AccessLogEntry] = []

    def append(self, entry: AccessLogEntry) -> None:
        self.entries.append(entry)

    def for_subject(self, *, account_id: str, user_id: str, continuation: str | None, limit: int) -> AccessLogSlice:
        mine = sorted(
            (e for e in self.entries if e.account_id == account_id and user_id in e.subject_user_ids),
            key=lambda e: e.at,
            reverse=True,
        )
        start = int(continuation or 0)
        page = mine[start : start + limit]
        more = start + limit < len(mine)
        return AccessLogSlice(entries=page, continuation=str(start + limit) if more else None)

    # the stored log's side of the coalescing (core/ports.AccessLogStore); `writes` counts creates and updates
    writes = 0

    def create_many(self, entries: Sequence[AccessLogEntry]) -> list[bool]:
        created = []
        for entry in entries:
            self.writes += 1
            exists = any(e.entry_id == entry.entry_id for e in self.entries)
            if not exists:
                self.entries.append(entry)
            created.append(not exists)
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
        for i, e in enumerate(self.entries):
            if e.entry_id == entry_id and e.account_id == account_id:
                self.writes += 1
                self.entries[i] = e.model_copy(
                    update={"count": e.count + reads, "last_at": max(e.last_at or e.at, last_at)}
                )
                return True
        return False


class FakeScheduleStore:
    """The current schedules and their versions (as CosmosTrackingScheduleStore keeps them); a delete takes effect
    at `clock`'s time (the real clock when none is given)."""

    def __init__(self, clock: Clock | None = None, keep: timedelta = timedelta(days=1095)) -> None:
        self.schedules: dict[tuple[str, str], TrackingSchedule] = {}
        self.versions: dict[tuple[str, str], list[ScheduleVersion]] = {}
        self.clock, self.keep = clock, keep

    def _now(self) -> datetime:
        return self.clock.now() if self.clock is not None else datetime.now(UTC)

    def get_schedule(self, *, account_id: str, user_id: str) -> TrackingSchedule | None:
        return self.schedules.get((account_id, user_id))

    def schedule_versions(self, *, account_id: str, user_id: str) -> list[ScheduleVersion]:
        return list(self.versions.get((account_id, user_id), []))

    def _change(self, key: tuple[str, str], to: TrackingSchedule | None, at: datetime) -> None:
        if key not in self.versions and to is None:
            return
        change = ScheduleVersion.of(to, since=at)
        self.versions[key] = with_change(self.versions.get(key, []), change, keep_since=self._now() - self.keep)
        if to is None:
            self.schedules.pop(key, None)
        else:
            self.schedules[key] = to

    def put_schedule(self, schedule: TrackingSchedule) -> None:
        self._change((schedule.account_id, schedule.user_id), schedule, schedule.updated_at)

    def delete_schedule(self, *, account_id: str, user_id: str) -> None:
        self._change((account_id, user_id), None, self._now())


class FakePingQueue:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def send(self, message: str) -> None:
        assert len(message.encode()) * 4 / 3 <= 64 * 1024, "a queue message must stay under 64 KB in base64"
        self.messages.append(message)


class FakePingStore:
    """Pings by partition key; `fail_writes` makes the next N write_day calls fail after storing half the chunk
    (as a non-atomic batch interrupted halfway would)."""

    def __init__(self) -> None:
        self.partitions: dict[str, dict[str, Ping]] = {}
        self.fail_writes = 0
        self.write_calls = 0

    @staticmethod
    def pk(account_id: str, user_id: str, day: date) -> str:
        return f"{account_id}|{user_id}|{day.isoformat()}"

    def stored_ids(self, *, account_id: str, user_id: str, day: date, ids: list[str]) -> set[str]:
        stored = self.partitions.get(self.pk(account_id, user_id, day), {})
        return {i for i in ids if i in stored}

    def write_day(self, *, account_id: str, user_id: str, day: date, pings: list[Ping]) -> None:
        self.write_calls += 1
        part = self.partitions.setdefault(self.pk(account_id, user_id, day), {})
        if self.fail_writes > 0:
            self.fail_writes -= 1
            for p in pings[: len(pings) // 2]:
                part.setdefault(p.ping_id, p)
            raise ConnectionError("Cosmos DB unreachable")
        for p in pings:
            part.setdefault(p.ping_id, p)  # create semantics: an existing ping is kept, never doubled

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
        part = self.partitions.get(self.pk(account_id, user_id, day), {})
        found = sorted((p for p in part.values() if start <= p.t < end), key=lambda p: p.t)
        offset = int(continuation or 0)
        page = found[offset : offset + limit]
        more = offset + limit < len(found)
        return PingSlice(pings=page, continuation=str(offset + limit) if more else None)

    def delete_day(self, *, account_id: str, user_id: str, day: date, ids: list[str]) -> None:
        part = self.partitions.get(self.pk(account_id, user_id, day), {})
        for ping_id in ids:
            part.pop(ping_id, None)

    def in_box(
        self, *, account_id: str, user_id: str, day: date, south: float, west: float, north: float, east: float
    ) -> list[Ping]:
        part = self.partitions.get(self.pk(account_id, user_id, day), {})
        return sorted(
            (p for p in part.values() if south <= p.lat <= north and west <= p.lon <= east), key=lambda p: p.t
        )

    def all(self) -> list[Ping]:
        return [p for part in self.partitions.values() for p in part.values()]


class FakeLatestPositions:
    def __init__(self) -> None:
        self.positions: dict[tuple[str, str], LatestPosition] = {}

    def advance(self, position: LatestPosition) -> bool:
        key = (position.account_id, position.user_id)
        current = self.positions.get(key)
        if current is not None and not position.is_newer_than(current):
            return False
        self.positions[key] = position
        return True

    def list_for_account(self, account_id: str) -> list[LatestPosition]:
        return [p for (a, _), p in self.positions.items() if a == account_id]

    def withhold_if(
        self, *, account_id: str, user_id: str, inside: Callable[[float, float], bool], at: datetime
    ) -> bool:
        current = self.positions.get((account_id, user_id))
        if current is None or current.lat is None or current.lon is None or not inside(current.lat, current.lon):
            return False
        self.positions[(account_id, user_id)] = current.model_copy(
            update={"lat": None, "lon": None, "acc": None, "src": None, "updated_at": at}
        )
        return True


class FakeLiveMapVersions:
    """The live map's version as a digest of what the map shows (the positions, members, consent entries and
    schedules of the fakes it watches): a perfect bumper, so unit tests see 304 exactly while nothing shown changed.
    `reads` counts the point reads."""

    def __init__(
        self, positions: Any = None, accounts: Any = None, consents: Any = None, schedules: Any = None
    ) -> None:
        self.positions, self.accounts = positions, accounts
        self.consents, self.schedules = consents, schedules
        self.reads = 0

    def current(self, account_id: str) -> str | None:
        self.reads += 1
        seen: list[str] = []
        if self.positions is not None:
            seen += sorted(p.model_dump_json() for p in self.positions.list_for_account(account_id))
        if self.accounts is not None:
            seen += sorted(m.model_dump_json() for m in self.accounts.list_members(account_id))
        if self.consents is not None:
            seen += sorted(e.model_dump_json() for e in self.consents.entries if e.account_id == account_id)
        if self.schedules is not None:
            seen += sorted(repr(v) for (a, _), v in self.schedules.versions.items() if a == account_id)
        return str(hash(tuple(seen))) if seen else None


class FakePrivateZoneStore:
    """Private zones kept in memory with a version per member (a save of an old version is a Conflict)."""

    def __init__(self) -> None:
        self.docs: dict[tuple[str, str], tuple[int, list[dict[str, object]]]] = {}
        self.reads = 0

    def get_zones(self, *, account_id: str, user_id: str) -> PrivateZones:
        self.reads += 1
        stored = self.docs.get((account_id, user_id))
        if stored is None:
            return PrivateZones(account_id=account_id, user_id=user_id)
        return PrivateZones(account_id=account_id, user_id=user_id, zones=stored[1], version=str(stored[0]))

    def save_zones(self, zones: PrivateZones) -> None:
        stored = self.docs.get((zones.account_id, zones.user_id))
        if (stored is None) != (zones.version is None) or (stored and str(stored[0]) != zones.version):
            raise Conflict("changed meanwhile")
        version = stored[0] + 1 if stored else 1
        self.docs[(zones.account_id, zones.user_id)] = (version, [z.model_dump() for z in zones.zones])


class FakeIngestGateStore:
    """Gate documents with a version each (IngestGateStore); the account record comes from `accounts`, as the one
    query of the Cosmos store answers it. `reads` counts `read` calls; `before_save` runs once before the next save
    (to stage a race)."""

    def __init__(self, accounts: AccountStore) -> None:
        self.accounts = accounts
        self.docs: dict[tuple[str, str | None], tuple[str, dict[str, Any] | None, dict[str, datetime]]] = {}
        self.reads = 0
        self.member_reads = 0  # the pings writer's reads (read_member)
        self.before_save: list[Callable[[], object]] = []

    def _doc(self, key: tuple[str, str | None]) -> GateDoc | None:
        stored = self.docs.get(key)
        return None if stored is None else GateDoc(facts=stored[1], pending=dict(stored[2]), etag=stored[0])

    def read(self, *, account_id: str, user_id: str) -> GateRead:
        self.reads += 1
        return GateRead(
            account=self.accounts.get_account(account_id),
            account_gate=self._doc((account_id, None)),
            member_gate=self._doc((account_id, user_id)),
        )

    def read_member(self, *, account_id: str, user_id: str) -> tuple[Member | None, GateDoc | None]:
        self.member_reads += 1
        return self.accounts.get_member(account_id, user_id), self._doc((account_id, user_id))

    def get(self, *, account_id: str, user_id: str | None) -> GateDoc | None:
        return self._doc((account_id, user_id))

    def save(
        self,
        *,
        account_id: str,
        user_id: str | None,
        facts: dict[str, Any] | None,
        pending: dict[str, datetime],
        etag: str | None,
    ) -> bool:
        while self.before_save:
            self.before_save.pop(0)()
        stored = self.docs.get((account_id, user_id))
        if (stored[0] if stored else None) != etag:
            return False
        self.docs[(account_id, user_id)] = (uuid.uuid4().hex, facts, dict(pending))
        return True

    def delete(self, *, account_id: str, user_id: str | None) -> None:
        self.docs.pop((account_id, user_id), None)


class FakeIngestGate:
    """The ingest gate over in-memory sources of truth, wired as the composition root wires it
    (core/bootstrap/ingest_gate.py and reactions.py). `keeper` is the `ingest_gate` port: it reads the sources given
    (each passed through `read_sources` first, for a test that counts the reads). `consents`, `tracking_schedules`,
    `private_zones`, `billing` and `privacy` are the sources themselves, and `reactions` is the real dispatcher of
    the reactions table (core/services/reactions.py) with this gate: a service write raised with it keeps the gate
    current. A write straight to a source without its event bypasses the gate, as a crashed writer would."""

    def __init__(
        self,
        *,
        accounts: FakeAccountStore,
        clock: Clock,
        consents: ConsentLedger | None = None,
        schedules: FakeScheduleStore | None = None,
        zones: PrivateZoneStore | None = None,
        billing: BillingStore | None = None,
        privacy: PrivacyStore | None = None,
        read_sources: Callable[[Any], Any] = lambda source: source,
    ) -> None:
        self.consents = consents if consents is not None else FakeConsentLedger()
        self.tracking_schedules = schedules if schedules is not None else FakeScheduleStore(clock)
        self.private_zones = zones if zones is not None else FakePrivateZoneStore()
        self.billing = billing if billing is not None else FakeBillingStore()
        self.privacy = privacy if privacy is not None else FakePrivacyStore(accounts)
        self.store = FakeIngestGateStore(accounts)
        self.keeper = IngestGateKeeper(
            store=self.store,
            billing=read_sources(self.billing),
            privacy=read_sources(self.privacy),
            consents=read_sources(self.consents),
            schedules=read_sources(self.tracking_schedules),
            zones=read_sources(self.private_zones),
            clock=clock,
        )
        self.reactions = Dispatcher(_GatePorts(self.keeper))


class _GatePorts:
    """The ports the gate's reactions take (only `ingest_gate`)."""

    def __init__(self, keeper: IngestGateKeeper) -> None:
        self.keeper = keeper

    def port(self, name: str) -> Any:
        if name != "ingest_gate":
            raise KeyError(f"this unit world has no port {name!r}")
        return self.keeper


class FakeWithheldPingStore:
    """Withheld pings by member: id and time only (the first record of an id is kept, as the real store keeps it)."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], dict[str, WithheldPing]] = {}

    def record(self, *, account_id: str, user_id: str, withheld: list[WithheldPing]) -> None:
        mine = self.records.setdefault((account_id, user_id), {})
        for w in withheld:
            mine.setdefault(w.ping_id, w)

    def times_between(self, *, account_id: str, user_id: str, start: datetime, end: datetime) -> list[datetime]:
        mine = self.records.get((account_id, user_id), {})
        return sorted(w.t for w in mine.values() if start <= w.t < end)

    def count_applied(self, *, account_id: str, user_id: str, zone_id: str) -> int:
        return sum(1 for w in self.records.get((account_id, user_id), {}).values() if w.applied_zone == zone_id)


class FakePageViews:
    def __init__(self) -> None:
        self.views: list[PageView] = []

    def add(self, view: PageView) -> None:
        self.views.append(view)

    def day_summaries(self, day: date, *, limit: int) -> list[tuple[str, str, str, bool]]:
        return [(v.path, v.browser, v.os, v.user_id is not None) for v in self.views if v.day == day.isoformat()][
            :limit
        ]


class Crash(Exception):
    pass


class FakeCoarseHistory:
    """In-memory CoarseHistoryStore; `fail_at` = (method, call number) raises Crash there, once."""

    def __init__(self) -> None:
        self.pings: dict[tuple[str, str, date], dict[str, Ping]] = {}
        self.markers: dict[tuple[str, str, date], CoarseDay] = {}
        self.watermarks: dict[tuple[str, str], date] = {}
        self.cursor: CoarseningCursor | None = None
        self.runs: dict[str, CoarseningRun] = {}
        self.calls: dict[str, int] = {}
        self.fail_at: tuple[str, int] | None = None
        self.latest: dict[tuple[str, str], Ping] = {}

    def _step(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1
        if self.fail_at == (name, self.calls[name]):
            self.fail_at = None
            raise Crash(name)

    def add(self, account_id: str, user_id: str, pings: list[Ping]) -> None:
        for p in pings:
            self.pings.setdefault((account_id, user_id, p.t.date()), {})[p.ping_id] = p

    def day_pings(self, *, account_id: str, user_id: str, day: date) -> list[Ping]:
        return list(self.pings.get((account_id, user_id, day), {}).values())

    def put_points(self, *, account_id: str, user_id: str, day: date, points: list[Ping]) -> None:
        for p in points:
            self._step("put_point")
            self.pings.setdefault((account_id, user_id, day), {})[p.ping_id] = p

    def delete_pings(self, *, account_id: str, user_id: str, day: date, ping_ids: list[str]) -> int:
        n = 0
        for i in ping_ids:
            self._step("delete")
            n += self.pings.get((account_id, user_id, day), {}).pop(i, None) is not None
        return n

    def get_marker(self, *, account_id: str, user_id: str, day: date) -> CoarseDay | None:
        return self.markers.get((account_id, user_id, day))

    def put_marker(self, marker: CoarseDay) -> None:
        self._step("marker")
        self.markers[(marker.account_id, marker.user_id, marker.day)] = marker

    def coarse_days(self, *, account_id: str, user_id: str, first: date, last: date) -> list[date]:
        return sorted(d for (a, u, d) in self.markers if a == account_id and u == user_id and first <= d <= last)

    def get_watermark(self, *, account_id: str, user_id: str) -> date | None:
        return self.watermarks.get((account_id, user_id))

    def put_watermark(self, *, account_id: str, user_id: str, day: date) -> None:
        self._step("watermark")
        self.watermarks[(account_id, user_id)] = day

    def get_cursor(self) -> CoarseningCursor | None:
        return self.cursor

    def put_cursor(self, cursor: CoarseningCursor) -> None:
        self.cursor = cursor.model_copy()

    def put_run(self, run: CoarseningRun) -> None:
        self.runs[run.run_id] = run.model_copy(deep=True)

    def prune_runs(self, before: datetime, limit: int) -> int:
        old = [k for k, r in self.runs.items() if r.started_at < before][:limit]
        for k in old:
            del self.runs[k]
        return len(old)

    def coarsen_latest(self, *, account_id: str, user_id: str, before: datetime) -> bool:
        p = self.latest.get((account_id, user_id))
        if p is None or p.t >= before or p.acc > 1000:
            return False
        cell = coarse_cell(p.lat, p.lon)
        self.latest[(account_id, user_id)] = p.model_copy(
            update={"lat": cell.centre[0], "lon": cell.centre[1], "acc": cell.half_diagonal_m}
        )
        return True

    def snapshot(self) -> dict[tuple[str, str, date], list[tuple[str, datetime, float, float]]]:
        return {k: sorted((p.ping_id, p.t, p.lat, p.lon) for p in v.values()) for k, v in self.pings.items() if v}


def writer_gate(accounts: FakeAccountStore, clock: Clock | None = None) -> IngestGateKeeper:
    """An ingest gate for a writer built by hand: its own empty gate store (the writer then reads the zones store it
    is given, as with a member whose gate cannot be trusted); the member record comes from `accounts`."""
    from tests.unit.fakes import FakeClock
    from tests.unit.fakes_billing import FakeBillingStore
    from tests.unit.fakes_privacy import FakePrivacyStore

    at = clock if clock is not None else FakeClock()
    return IngestGateKeeper(
        store=FakeIngestGateStore(accounts),
        billing=FakeBillingStore(),
        privacy=FakePrivacyStore(accounts),
        consents=FakeConsentLedger(),
        schedules=FakeScheduleStore(at),
        zones=FakePrivateZoneStore(),
        clock=at,
    )
