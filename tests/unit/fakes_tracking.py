"""In-memory fakes for the tracking area's ports (ConsentLedger, AccessLog, TrackingStore, PingQueue...)."""

from __future__ import annotations

from datetime import datetime

from core.domain.consent import Capability, ConsentEntry, state_in
from core.domain.tracking import AccessLogEntry, AccessLogSlice


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
