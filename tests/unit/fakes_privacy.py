"""In-memory fakes for the privacy area's ports (core/ports.py: PrivacyStore, PersonalDataKind, ExportSink...)."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from core.domain.privacy import (
    AuditEntry,
    ClosureRecord,
    DataRequest,
    ItemRef,
    LegalHold,
    Page,
    PurgeCursor,
    PurgeDue,
    PurgeRun,
    RetentionSettings,
)
from tests.unit.fakes import FakeAccountStore


class FakePrivacyStore:
    def __init__(self, accounts: FakeAccountStore) -> None:
        self._accounts = accounts
        self.retention: dict[str, RetentionSettings] = {}
        self.holds: dict[tuple[str, str], LegalHold] = {}
        self.cursor: PurgeCursor | None = None
        self.runs: dict[str, PurgeRun] = {}
        self.closures: dict[str, ClosureRecord] = {}
        self.requests: dict[tuple[str, str], DataRequest] = {}
        self.entries: list[AuditEntry] = []
        self.due: dict[tuple[str, str], PurgeDue] = {}  # (queue, account id): the work indexes
        self.due_queries = 0

    def get_retention(self, account_id: str) -> RetentionSettings | None:
        return self.retention.get(account_id)

    def put_retention(self, settings: RetentionSettings) -> None:
        self.retention[settings.account_id] = settings

    def put_hold(self, hold: LegalHold) -> None:
        self.holds[(hold.account_id, hold.hold_id)] = hold

    def get_hold(self, account_id: str, hold_id: str) -> LegalHold | None:
        return self.holds.get((account_id, hold_id))

    def list_holds(self, account_id: str) -> list[LegalHold]:
        return [h for (a, _), h in self.holds.items() if a == account_id]

    def retention_and_holds(self, account_id: str) -> tuple[RetentionSettings | None, list[LegalHold]]:
        return self.get_retention(account_id), self.list_holds(account_id)

    def get_cursor(self) -> PurgeCursor | None:
        return self.cursor

    def put_cursor(self, cursor: PurgeCursor) -> None:
        self.cursor = cursor.model_copy()

    def put_run(self, run: PurgeRun) -> None:
        self.runs[run.run_id] = run.model_copy(deep=True)

    def list_runs(self, limit: int) -> list[PurgeRun]:
        return sorted(self.runs.values(), key=lambda r: r.started_at, reverse=True)[:limit]

    def prune_runs(self, before: datetime, limit: int) -> int:
        old = [k for k, r in self.runs.items() if r.started_at < before][:limit]
        for k in old:
            del self.runs[k]
        return len(old)

    def get_closure(self, account_id: str) -> ClosureRecord | None:
        return self.closures.get(account_id)

    def put_closure(self, record: ClosureRecord) -> None:
        self.closures[record.account_id] = record

    def put_request(self, request: DataRequest) -> None:
        self.requests[(request.account_id, request.request_id)] = request

    def get_request(self, account_id: str, request_id: str) -> DataRequest | None:
        return self.requests.get((account_id, request_id))

    def list_requests(self, account_id: str, user_id: str) -> list[DataRequest]:
        return [r for (a, _), r in self.requests.items() if a == account_id and r.user_id == user_id]

    def audit(self, entry: AuditEntry) -> None:
        self.entries.append(entry)

    def list_audit(self, account_id: str) -> list[AuditEntry]:
        return [e for e in self.entries if e.account_id == account_id]

    def accounts_after(self, after: str | None, limit: int) -> list[str]:
        return sorted(a for a in self._accounts.accounts if a > (after or ""))[:limit]

    def get_due(self, queue: str, account_id: str) -> PurgeDue | None:
        return self.due.get((queue, account_id))

    def put_due(self, entry: PurgeDue) -> None:
        self.due[(entry.queue, entry.account_id)] = entry.model_copy(deep=True)

    def delete_due(self, queue: str, account_id: str) -> None:
        self.due.pop((queue, account_id), None)

    def due_page(self, queue: str, now: datetime, after: str | None, limit: int) -> list[PurgeDue]:
        self.due_queries += 1
        found = [e for (q, a), e in self.due.items() if q == queue and e.due_at <= now and a > (after or "")]
        return [e.model_copy(deep=True) for e in sorted(found, key=lambda e: e.account_id)[:limit]]

    def due_entries(self, queue: str, account_ids: Sequence[str]) -> set[str]:
        return {a for a in account_ids if (queue, a) in self.due}


@dataclass
class Item:
    account_id: str
    user_id: str | None
    at: datetime
    doc: dict[str, Any] = field(default_factory=dict)
    blobs: list[str] = field(default_factory=list)


class FakeKind:
    """One kind of personal data in memory; keyset pages over sorted ids like the Cosmos kinds."""

    def __init__(
        self,
        name: str,
        *,
        retention: str = "location",
        kept_for: str | None = None,
        export_file: str | None = None,
        on_erasure: str = "delete",
    ) -> None:
        self.name = name
        self.retention = retention
        self.kept_for = kept_for
        self.description = f"test data of kind {name}"
        self.export_file: str | None = export_file or f"{name}.json"
        self.on_erasure = on_erasure
        self.kept_reason = "kept by the test"
        self.items: dict[str, Item] = {}
        self.blobs: set[str] = set()
        self.deletes: dict[str, int] = {}
        self.fail_after_deletes: int | None = None

    def add(self, doc_id: str, item: Item) -> None:
        self.items[doc_id] = item
        self.blobs.update(item.blobs)

    def _page(self, match: list[str], continuation: str | None, limit: int) -> Page:
        ids = sorted(i for i in match if i > (continuation or ""))[:limit]
        refs = [
            ItemRef(kind=self.name, partition_key=self.items[i].account_id, doc_id=i, user_id=self.items[i].user_id)
            for i in ids
        ]
        return Page(items=refs, continuation=ids[-1] if len(ids) >= limit else None)

    def expired(self, *, account_id: str, before: datetime | None, continuation: str | None, limit: int) -> Page:
        match = [
            i for i, it in self.items.items() if it.account_id == account_id and (before is None or it.at < before)
        ]
        return self._page(match, continuation, limit)

    def of_user(self, *, account_id: str, user_id: str, continuation: str | None, limit: int) -> Page:
        match = [i for i, it in self.items.items() if it.account_id == account_id and it.user_id == user_id]
        return self._page(match, continuation, limit)

    def delete(self, ref: ItemRef) -> bool:
        if self.fail_after_deletes is not None:
            if self.fail_after_deletes <= 0:
                raise ConnectionError("simulated crash")
            self.fail_after_deletes -= 1
        item = self.items.pop(ref.doc_id, None)
        if item is None:
            return False
        self.deletes[ref.doc_id] = self.deletes.get(ref.doc_id, 0) + 1
        self.blobs.difference_update(item.blobs)
        return True

    def anonymize(self, ref: ItemRef) -> bool:
        item = self.items.get(ref.doc_id)
        if item is None or item.doc.get("name") == "erased":
            return False
        item.doc["name"] = "erased"
        return True

    def export(self, *, account_id: str, user_id: str) -> Iterator[dict[str, Any]]:
        for i in sorted(self.items):
            it = self.items[i]
            if it.account_id == account_id and it.user_id == user_id:
                yield {"id": i, "userId": it.user_id, "at": it.at.isoformat(), **it.doc}

    def count(self, *, account_id: str) -> int:
        return sum(1 for it in self.items.values() if it.account_id == account_id)

    def count_of_user(self, *, account_id: str, user_id: str) -> int | None:
        return sum(1 for it in self.items.values() if it.account_id == account_id and it.user_id == user_id)


class _Closing(io.BytesIO):
    def __init__(self, sink: FakeExportSink, name: str) -> None:
        super().__init__()
        self._sink, self._name = sink, name

    def close(self) -> None:
        if not self.closed:
            self._sink.blobs[self._name] = self.getvalue()
        super().close()


class FakeExportSink:
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def open_writer(self, blob_name: str) -> IO[bytes]:
        return _Closing(self, blob_name)

    def read_only_link(self, blob_name: str, expires_at: datetime) -> str:
        return f"https://exports.example/{blob_name}?se={expires_at.isoformat()}&sp=r"

    def delete(self, blob_name: str) -> bool:
        return self.blobs.pop(blob_name, None) is not None


class FakeMailer:
    def __init__(self) -> None:
        self.sent: dict[str, dict[str, Any]] = {}

    def send(self, *, key: str, account_id: str, user_id: str, to: str, template: str, data: dict[str, str]) -> None:
        self.sent.setdefault(key, {"to": to, "template": template, "data": data})


class FakeCanceller:
    def __init__(self) -> None:
        self.canceled: list[str] = []

    def cancel_for_account(self, account_id: str) -> str:
        self.canceled.append(account_id)
        return "canceled"


class FakeDataRequestQueue:
    """The data-requests queue: `send` is the root's `enqueue_data_request`."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def send(self, message: str) -> None:
        self.messages.append(message)


class FakeTtlRestamper:
    """The re-stamp job's store side: records each page asked for; `pages[kind]` says how many pages a kind has."""

    def __init__(self, kinds: tuple[str, ...] = (), pages: dict[str, int] | None = None) -> None:
        self.kinds = kinds
        self.pages = pages or {}
        self.calls: list[tuple[str, Any, str | None, str | None]] = []

    def restamp_page(
        self, *, kind: str, plan: Any, user_id: str | None, continuation: str | None, limit: int, now: Any
    ) -> tuple[int, str | None]:
        self.calls.append((kind, plan, user_id, continuation))
        page = int(continuation or 0) + 1
        return limit, (str(page) if page < self.pages.get(kind, 1) else None)


class FakeStoreClock:
    def __init__(self) -> None:
        self.offsets: list[float] = []

    def move(self, *, offset_seconds: float) -> None:
        self.offsets.append(offset_seconds)
