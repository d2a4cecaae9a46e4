"""Cosmos DB and queue side of e-mail: the `outbox` container (partition = outbox id) with its queue, and the
per-user e-mail documents in `users` (address verification state and preferences)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from azure.cosmos import ContainerProxy, DatabaseProxy
from azure.cosmos import exceptions as cosmos_errors
from azure.storage.queue import QueueClient

from core import schema
from core.adapters.cosmos import compare_and_swap, strip_system, to_doc
from core.domain.email import EmailPreferences, EmailStatus, OutboxEntry, OutboxMessage, OutboxState
from core.domain.expiry import platform_ttl

FINAL_STATES = frozenset({OutboxState.SENT, OutboxState.SUPPRESSED, OutboxState.FAILED})

log = logging.getLogger(__name__)

_EXTRA_KEYS = ("outboxId", "userId")


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _clean(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in strip_system(doc).items() if k not in _EXTRA_KEYS}


class CosmosOutbox:
    """One document per e-mail, id = outboxId = partition key: every read is a point read."""

    def __init__(
        self,
        database: DatabaseProxy,
        queue: QueueClient,
        *,
        keep_days: int | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.OUTBOX.name)
        self._queue = queue
        self._keep_days = keep_days  # RETENTION_OUTBOX_DAYS after the entry's last change to a final state
        self._now = now

    def _ttl(self) -> int | None:
        if self._keep_days is None or self._now is None:
            return None
        now = self._now()
        return platform_ttl(start=now, days=self._keep_days, now=now)

    def _doc(self, entry: OutboxEntry) -> dict[str, Any]:
        doc = to_doc(entry, doc_id=entry.outbox_id, doc_type="outbox", outboxId=entry.outbox_id)
        ttl = self._ttl() if entry.state in FINAL_STATES else None
        if ttl is not None:
            doc["ttl"] = ttl  # a pending entry never expires: it is still to be sent
        return doc

    def _read(self, outbox_id: str) -> dict[str, Any] | None:
        try:
            doc: dict[str, Any] = self._c.read_item(item=outbox_id, partition_key=outbox_id)
        except cosmos_errors.CosmosResourceNotFoundError:
            return None
        return doc if doc.get("docType") == "outbox" else None

    def create_if_absent(self, entry: OutboxEntry) -> bool:
        try:
            self._c.create_item(self._doc(entry))
        except cosmos_errors.CosmosResourceExistsError:
            return False
        return True

    def get(self, outbox_id: str) -> OutboxEntry | None:
        doc = self._read(outbox_id)
        return OutboxEntry.model_validate(_clean(doc)) if doc else None

    def replace_if_unchanged(self, entry: OutboxEntry, *, expected: OutboxEntry) -> bool:
        current = self._read(entry.outbox_id)
        if current is None or OutboxEntry.model_validate(_clean(current)) != expected:
            return False
        return compare_and_swap(self._c, self._doc(entry), etag=current["_etag"])

    def dispatch(self, outbox_id: str) -> None:
        self._queue.send_message(OutboxMessage(outbox_id=outbox_id).model_dump_json(by_alias=True))

    def mark_link_used(self, outbox_id: str, purpose: str, at: datetime) -> bool:
        marker: dict[str, Any] = {
            "id": f"used-{purpose}-{outbox_id}",
            "outboxId": outbox_id,
            "docType": "link-used",
            "purpose": purpose,
            "at": _iso(at),
        }
        ttl = self._ttl()
        if ttl is not None:
            marker["ttl"] = ttl
        try:
            self._c.create_item(marker)
        except cosmos_errors.CosmosResourceExistsError:
            return False
        return True

    def list_stuck(self, before: datetime, limit: int) -> list[OutboxEntry]:
        # The daily safety net over every partition (one per e-mail): bounded by `limit` and by the state filter.
        docs = self._c.query_items(  # nosemgrep: cosmos-query-without-partition-key - daily sweep, bounded by limit
            "SELECT * FROM c WHERE c.docType = 'outbox' AND c.state = 'pending'"
            " AND ((IS_NULL(c.dispatched_at) AND c.created_at < @before) OR c.dispatched_at < @before)",
            parameters=[{"name": "@before", "value": _iso(before)}],
            enable_cross_partition_query=True,
            max_item_count=limit,
        )
        found: list[OutboxEntry] = []
        for doc in docs:
            found.append(OutboxEntry.model_validate(_clean(doc)))
            if len(found) >= limit:
                break
        return found

    def ids_with_prefix(self, prefix: str) -> set[str]:
        # One query per policy version and notice run instead of a read per user; ids only, streamed page by page.
        docs = self._c.query_items(  # nosemgrep: cosmos-query-without-partition-key - once per notice run, ids only
            "SELECT VALUE c.id FROM c WHERE c.docType = 'outbox' AND STARTSWITH(c.id, @p)",
            parameters=[{"name": "@p", "value": prefix}],
            enable_cross_partition_query=True,
            max_item_count=1000,
        )
        return {str(doc_id) for doc_id in docs}


class CosmosEmailProfiles:
    """Per-user e-mail documents in the `users` container (partition = user id)."""

    def __init__(self, database: DatabaseProxy) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.USERS.name)
        self._accounts: ContainerProxy = database.get_container_client(schema.ACCOUNTS.name)

    def _read(self, user_id: str, doc_id: str, doc_type: str) -> dict[str, Any] | None:
        try:
            doc: dict[str, Any] = self._c.read_item(item=doc_id, partition_key=user_id)
        except cosmos_errors.CosmosResourceNotFoundError:
            return None
        return doc if doc.get("docType") == doc_type else None

    def _status_doc(self, status: EmailStatus) -> dict[str, Any]:
        return to_doc(status, doc_id=f"email-status-{status.user_id}", doc_type="email-status", userId=status.user_id)

    def get_status(self, user_id: str) -> EmailStatus | None:
        doc = self._read(user_id, f"email-status-{user_id}", "email-status")
        return EmailStatus.model_validate(_clean(doc)) if doc else None

    def put_status(self, status: EmailStatus) -> None:
        self._c.upsert_item(self._status_doc(status))

    def replace_status_if_unchanged(self, status: EmailStatus, *, expected: EmailStatus) -> bool:
        current = self._read(status.user_id, f"email-status-{status.user_id}", "email-status")
        if current is None or EmailStatus.model_validate(_clean(current)) != expected:
            return False
        return compare_and_swap(self._c, self._status_doc(status), etag=current["_etag"])

    def get_preferences(self, user_id: str) -> EmailPreferences | None:
        doc = self._read(user_id, f"email-preferences-{user_id}", "email-preferences")
        return EmailPreferences.model_validate(_clean(doc)) if doc else None

    def put_preferences(self, preferences: EmailPreferences) -> None:
        self._c.upsert_item(
            to_doc(
                preferences,
                doc_id=f"email-preferences-{preferences.user_id}",
                doc_type="email-preferences",
                userId=preferences.user_id,
            )
        )

    def verified_recipients(self) -> Iterator[EmailStatus]:
        # The notice timer's walk over every user: streamed page by page (continuation tokens), never held whole.
        docs = self._c.query_items(  # nosemgrep: cosmos-query-without-partition-key - daily notice walk, paged
            "SELECT * FROM c WHERE c.docType = 'email-status' AND IS_STRING(c.verified_address)",
            enable_cross_partition_query=True,
            max_item_count=200,
        )
        for page in docs.by_page():
            for doc in page:
                yield EmailStatus.model_validate(_clean(doc))

    def member_address(self, user_id: str) -> str | None:
        record = self._read(user_id, f"user-{user_id}", "user")
        if record is None or not record.get("account_id"):
            return None
        account_id = str(record["account_id"])
        try:
            member: dict[str, Any] = self._accounts.read_item(item=f"member-{user_id}", partition_key=account_id)
        except cosmos_errors.CosmosResourceNotFoundError:
            return None
        email = member.get("email") if member.get("docType") == "member" else None
        return str(email) if email else None
