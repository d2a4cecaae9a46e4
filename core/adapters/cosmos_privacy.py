"""Cosmos DB side of privacy: the `privacy` container (retention settings, legal holds, the purge's cursor and
runs, closure records, data requests, the audit trail), and the registry's kinds of the records it keeps.

The other areas' kinds live next to the adapter that writes their data (`core/adapters/privacy_*.py`); the
registry puts them in purge order (`core/adapters/privacy_registry.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from azure.cosmos import ContainerProxy, DatabaseProxy
from azure.cosmos import exceptions as cosmos_errors

from core import schema
from core.adapters.cosmos import strip_system, to_doc
from core.adapters.privacy_kinds import KeysetKind, delete_doc, first_page, iso
from core.domain.privacy import (
    PLATFORM_PARTITION,
    AuditEntry,
    ClosureRecord,
    DataRequest,
    ItemRef,
    LegalHold,
    PurgeCursor,
    PurgeDue,
    PurgeRun,
    RetentionSettings,
)
from core.ports import ExportSink

log = logging.getLogger(__name__)


class CosmosPrivacyStore:
    """The `privacy` container: one partition per account; platform records (cursor, runs) in `_platform`."""

    def __init__(self, database: DatabaseProxy) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.PRIVACY.name)
        self._accounts: ContainerProxy = database.get_container_client(schema.ACCOUNTS.name)

    def _read(self, pk: str, doc_id: str, doc_type: str) -> dict[str, Any] | None:
        try:
            doc: dict[str, Any] = self._c.read_item(item=doc_id, partition_key=pk)
        except cosmos_errors.CosmosResourceNotFoundError:
            return None
        return strip_system(doc) if doc.get("docType") == doc_type else None

    def _query(
        self, pk: str, doc_type: str, extra: str = "", params: list[dict[str, Any]] | None = None
    ) -> Iterator[dict[str, Any]]:
        docs = self._c.query_items(
            f"SELECT * FROM c WHERE c.accountId = @a AND c.docType = @t{extra}",  # noqa: S608  # nosec B608 - `extra` is a fixed fragment from this module; values are parameters
            parameters=[{"name": "@a", "value": pk}, {"name": "@t", "value": doc_type}, *(params or [])],
            partition_key=pk,
        )
        for d in docs:
            yield strip_system(d)

    def get_retention(self, account_id: str) -> RetentionSettings | None:
        doc = self._read(account_id, "retention", "retention")
        return RetentionSettings.model_validate(doc) if doc else None

    def put_retention(self, settings: RetentionSettings) -> None:
        self._c.upsert_item(to_doc(settings, doc_id="retention", doc_type="retention", accountId=settings.account_id))

    def put_hold(self, hold: LegalHold) -> None:
        self._c.upsert_item(to_doc(hold, doc_id=f"hold-{hold.hold_id}", doc_type="hold", accountId=hold.account_id))

    def get_hold(self, account_id: str, hold_id: str) -> LegalHold | None:
        doc = self._read(account_id, f"hold-{hold_id}", "hold")
        return LegalHold.model_validate(doc) if doc else None

    def list_holds(self, account_id: str) -> list[LegalHold]:
        return [LegalHold.model_validate(d) for d in self._query(account_id, "hold")]

    def retention_and_holds(self, account_id: str) -> tuple[RetentionSettings | None, list[LegalHold]]:
        """One single-partition query for both (the expiry plan, read by every writer flush): the retention
        document and the holds, as `get_retention` and `list_holds` answer them."""
        docs = self._c.query_items(
            "SELECT * FROM c WHERE c.accountId = @a AND (c.docType = 'hold' OR (c.docType = 'retention' "
            "AND c.id = 'retention'))",
            parameters=[{"name": "@a", "value": account_id}],
            partition_key=account_id,
        )
        retention: RetentionSettings | None = None
        holds: list[LegalHold] = []
        for doc in docs:
            if doc.get("docType") == "hold":
                holds.append(LegalHold.model_validate(strip_system(doc)))
            else:
                retention = RetentionSettings.model_validate(strip_system(doc))
        return retention, holds

    def get_cursor(self) -> PurgeCursor | None:
        doc = self._read(PLATFORM_PARTITION, "purge-cursor", "purge-cursor")
        return PurgeCursor.model_validate(doc) if doc else None

    def put_cursor(self, cursor: PurgeCursor) -> None:
        self._c.upsert_item(
            to_doc(cursor, doc_id="purge-cursor", doc_type="purge-cursor", accountId=PLATFORM_PARTITION)
        )

    def put_run(self, run: PurgeRun) -> None:
        self._c.upsert_item(to_doc(run, doc_id=f"run-{run.run_id}", doc_type="purge-run", accountId=PLATFORM_PARTITION))

    def list_runs(self, limit: int) -> list[PurgeRun]:
        runs = [PurgeRun.model_validate(d) for d in self._query(PLATFORM_PARTITION, "purge-run")]
        return sorted(runs, key=lambda r: r.started_at, reverse=True)[:limit]

    def prune_runs(self, before: datetime, limit: int) -> int:
        docs, _ = first_page(
            self._c,
            "SELECT c.id FROM c WHERE c.accountId = @a AND c.docType = 'purge-run' AND c.started_at < @before",
            [{"name": "@a", "value": PLATFORM_PARTITION}, {"name": "@before", "value": iso(before)}],
            PLATFORM_PARTITION,
            limit,
        )
        return sum(1 for d in docs if delete_doc(self._c, d["id"], PLATFORM_PARTITION))

    def get_closure(self, account_id: str) -> ClosureRecord | None:
        doc = self._read(account_id, "closure", "closure")
        return ClosureRecord.model_validate(doc) if doc else None

    def put_closure(self, record: ClosureRecord) -> None:
        self._c.upsert_item(to_doc(record, doc_id="closure", doc_type="closure", accountId=record.account_id))

    def put_request(self, request: DataRequest) -> None:
        self._c.upsert_item(
            to_doc(
                request, doc_id=f"request-{request.request_id}", doc_type="data-request", accountId=request.account_id
            )
        )

    def get_request(self, account_id: str, request_id: str) -> DataRequest | None:
        doc = self._read(account_id, f"request-{request_id}", "data-request")
        return DataRequest.model_validate(doc) if doc else None

    def list_requests(self, account_id: str, user_id: str) -> list[DataRequest]:
        docs = self._query(account_id, "data-request", " AND c.user_id = @u", [{"name": "@u", "value": user_id}])
        return sorted((DataRequest.model_validate(d) for d in docs), key=lambda r: r.received_at, reverse=True)

    def audit(self, entry: AuditEntry) -> None:
        self._c.upsert_item(
            to_doc(entry, doc_id=f"audit-{entry.entry_id}", doc_type="audit", accountId=entry.account_id)
        )

    def list_audit(self, account_id: str) -> list[AuditEntry]:
        return sorted((AuditEntry.model_validate(d) for d in self._query(account_id, "audit")), key=lambda e: e.at)

    def accounts_after(self, after: str | None, limit: int) -> list[str]:
        # The purge's platform-wide walk over accounts: keyset-paged, bounded by `limit`.
        docs = self._accounts.query_items(  # nosemgrep: cosmos-query-without-partition-key - bounded daily sweep
            "SELECT c.accountId FROM c WHERE c.docType = 'account' AND c.accountId > @after ORDER BY c.accountId",
            parameters=[{"name": "@after", "value": after or ""}],
            enable_cross_partition_query=True,
            max_item_count=limit,
        )
        found: list[str] = []
        for d in docs:
            found.append(str(d["accountId"]))
            if len(found) >= limit:
                break
        return found

    # ------------------------------------------------------------ the work indexes: one partition per queue

    @staticmethod
    def _due_pk(queue: str) -> str:
        return f"_{queue}-due"

    def get_due(self, queue: str, account_id: str) -> PurgeDue | None:
        doc = self._read(self._due_pk(queue), account_id, "purge-due")
        return PurgeDue.model_validate(doc) if doc else None

    def put_due(self, entry: PurgeDue) -> None:
        self._c.upsert_item(
            to_doc(entry, doc_id=entry.account_id, doc_type="purge-due", accountId=self._due_pk(entry.queue))
        )

    def delete_due(self, queue: str, account_id: str) -> None:
        delete_doc(self._c, account_id, self._due_pk(queue))

    def due_page(self, queue: str, now: datetime, after: str | None, limit: int) -> list[PurgeDue]:
        pk = self._due_pk(queue)
        docs, _ = first_page(
            self._c,
            "SELECT * FROM c WHERE c.accountId = @a AND c.docType = 'purge-due' AND c.due_at <= @now"
            " AND c.account_id > @after ORDER BY c.account_id",
            [
                {"name": "@a", "value": pk},
                {"name": "@now", "value": iso(now)},
                {"name": "@after", "value": after or ""},
            ],
            pk,
            limit,
        )
        return [PurgeDue.model_validate(strip_system(d)) for d in docs]

    def due_entries(self, queue: str, account_ids: Sequence[str]) -> set[str]:
        pk = self._due_pk(queue)
        docs = self._c.query_items(
            "SELECT c.account_id FROM c WHERE c.accountId = @a AND c.docType = 'purge-due'"
            " AND ARRAY_CONTAINS(@ids, c.account_id)",
            parameters=[{"name": "@a", "value": pk}, {"name": "@ids", "value": list(account_ids)}],
            partition_key=pk,
        )
        return {str(d["account_id"]) for d in docs}


# ---------------------------------------------------------------- the registry's kinds of the `privacy` container


class ExportLinkKind(KeysetKind):
    """Export ZIPs in the private `exports` blob container, found through their data requests. An export is kept
    until its download link expires; deleting it removes the blob and the link from the request."""

    def __init__(self, database: DatabaseProxy, sink: ExportSink) -> None:
        super().__init__(
            database,
            name="data-exports",
            doc_type="data-request",
            user_field="user_id",
            description="Export files prepared for you.",
            export_file=None,
            container=schema.PRIVACY.name,
            scope=" AND c.export_blob != null",
            time_field="download_expires_at",
            retention="export-link",
        )
        self._sink = sink

    def delete(self, ref: ItemRef) -> bool:
        try:
            doc: dict[str, Any] = self._c.read_item(item=ref.doc_id, partition_key=ref.partition_key)
        except cosmos_errors.CosmosResourceNotFoundError:
            return False
        blob = doc.get("export_blob")
        if not blob:
            return False
        self._sink.delete(str(blob))  # first the file, then the pointer: a crash in between only repeats this
        self._c.upsert_item(
            {
                **strip_system(doc),
                "export_blob": None,
                "download_url": None,
                "id": doc["id"],
                "docType": doc["docType"],
                "accountId": doc["accountId"],
            }
        )
        return True

    def export(self, *, account_id: str, user_id: str) -> Iterator[dict[str, Any]]:
        return iter(())


def retention_settings_kind(database: DatabaseProxy) -> KeysetKind:
    """The account's retention settings (who changed them): no legal category keeps them, not aged; they go with
    the rest of a closed account's personal data after its window."""
    return KeysetKind(
        database,
        name="retention-settings",
        doc_type="retention",
        export_file=None,
        container=schema.PRIVACY.name,
        description="The account's retention settings and who last changed them.",
    )


def request_and_audit_kinds(database: DatabaseProxy) -> list[KeysetKind]:
    """Data-subject requests and the privacy audit trail: kept after closure (privacy-requests-and-audit)."""
    return [
        KeysetKind(
            database,
            name="privacy-requests",
            doc_type="data-request",
            user_field="user_id",
            description="Your data-subject requests.",
            export_file=None,
            kept_for="privacy-requests-and-audit",
            container=schema.PRIVACY.name,
        ),
        KeysetKind(
            database,
            name="privacy-audit",
            doc_type="audit",
            user_field="subject_user_id",
            description="The audit trail of privacy actions about you.",
            export_file=None,
            kept_for="privacy-requests-and-audit",
            container=schema.PRIVACY.name,
        ),
    ]


def closure_record_kind(database: DatabaseProxy) -> KeysetKind:
    return KeysetKind(
        database,
        name="closure-record",
        doc_type="closure",
        description="The record of the account's closure.",
        export_file=None,
        kept_for="closure-record",
        container=schema.PRIVACY.name,
    )
