"""Cosmos DB adapter for billing (docs/billing.md): the `billing` container, partition /accountId.

* `billing-{accountId}` (docType `billing`): the account's billing record with its status history;
* `stripe-event-{eventId}` (docType `stripe-event`): a Stripe event applied to the account (repeats are ignored);
* partition `_platform`, `grace-{accountId}` (docType `grace-marker`): accounts in past_due, for the timer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from azure.cosmos import ContainerProxy, DatabaseProxy
from azure.cosmos import exceptions as cosmos_errors

from core import schema
from core.adapters.cosmos import compare_and_swap, strip_system, to_doc
from core.domain.billing import BillingRecord, GraceMarker, ProcessedEvent

PLATFORM_PARTITION = "_platform"


def _record_id(account_id: str) -> str:
    return f"billing-{account_id}"


class CosmosBillingStore:
    def __init__(self, database: DatabaseProxy) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.BILLING.name)

    def _read(self, partition: str, doc_id: str) -> dict[str, Any] | None:
        try:
            doc: dict[str, Any] = self._c.read_item(item=doc_id, partition_key=partition)
            return doc
        except cosmos_errors.CosmosResourceNotFoundError:
            return None

    @staticmethod
    def _record_doc(record: BillingRecord) -> dict[str, Any]:
        return to_doc(record, doc_id=_record_id(record.account_id), doc_type="billing", accountId=record.account_id)

    def get(self, account_id: str) -> BillingRecord | None:
        doc = self._read(account_id, _record_id(account_id))
        return BillingRecord.model_validate(strip_system(doc)) if doc and doc.get("docType") == "billing" else None

    def create_if_absent(self, record: BillingRecord) -> bool:
        try:
            self._c.create_item(self._record_doc(record))
        except cosmos_errors.CosmosResourceExistsError:
            return False
        return True

    def replace_if_unchanged(self, record: BillingRecord, *, expected: BillingRecord) -> bool:
        current = self._read(record.account_id, _record_id(record.account_id))
        if current is None or BillingRecord.model_validate(strip_system(current)) != expected:
            return False
        return compare_and_swap(self._c, self._record_doc(record), etag=current["_etag"])

    def is_processed(self, account_id: str, event_id: str) -> bool:
        return self._read(account_id, f"stripe-event-{event_id}") is not None

    def mark_processed(self, event: ProcessedEvent) -> bool:
        doc = to_doc(
            event, doc_id=f"stripe-event-{event.event_id}", doc_type="stripe-event", accountId=event.account_id
        )
        try:
            self._c.create_item(doc)
        except cosmos_errors.CosmosResourceExistsError:
            return False
        return True

    def put_grace_marker(self, marker: GraceMarker) -> None:
        self._c.upsert_item(
            {
                **to_doc(
                    marker, doc_id=f"grace-{marker.account_id}", doc_type="grace-marker", accountId=PLATFORM_PARTITION
                ),
                "since": marker.past_due_since.timestamp(),  # a number: ISO strings do not compare across precisions
            }
        )

    def delete_grace_marker(self, account_id: str) -> None:
        try:
            self._c.delete_item(item=f"grace-{account_id}", partition_key=PLATFORM_PARTITION)
        except cosmos_errors.CosmosResourceNotFoundError:
            pass

    def grace_markers_before(self, cutoff: datetime, limit: int) -> list[GraceMarker]:
        query = self._c.query_items(
            "SELECT * FROM c WHERE c.accountId = @p AND c.docType = 'grace-marker' AND c.since < @cutoff",
            parameters=[
                {"name": "@p", "value": PLATFORM_PARTITION},
                {"name": "@cutoff", "value": cutoff.astimezone(UTC).timestamp()},
            ],
            partition_key=PLATFORM_PARTITION,
            max_item_count=limit,
        )
        found: list[GraceMarker] = []
        for doc in query:
            found.append(GraceMarker(account_id=doc["account_id"], past_due_since=doc["past_due_since"]))
            if len(found) >= limit:
                break
        return found
