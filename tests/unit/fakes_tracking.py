"""In-memory fakes for the tracking area's ports (ConsentLedger, AccessLog, TrackingStore, PingQueue...)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from core.domain.consent import Capability, ConsentEntry, state_in
from core.domain.errors import Conflict
from core.domain.private_zones import PrivateZones
from core.domain.tracking import (
    AccessLogEntry,
    AccessLogSlice,
    LatestPosition,
    Ping,
    PingSlice,
    TrackingSchedule,
)


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


class FakeScheduleStore:
    def __init__(self) -> None:
        self.schedules: dict[tuple[str, str], TrackingSchedule] = {}

    def get_schedule(self, *, account_id: str, user_id: str) -> TrackingSchedule | None:
        return self.schedules.get((account_id, user_id))

    def put_schedule(self, schedule: TrackingSchedule) -> None:
        self.schedules[(schedule.account_id, schedule.user_id)] = schedule

    def delete_schedule(self, *, account_id: str, user_id: str) -> None:
        self.schedules.pop((account_id, user_id), None)


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
