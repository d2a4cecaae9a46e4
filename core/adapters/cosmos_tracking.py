"""Cosmos DB adapters for consent and location tracking (docs/tracking.md).

* consent ledger entries and tracking schedules: the `users` container (partition /userId), docTypes `consent`
  and `tracking-schedule`;
* the access log: the `access-log` container (partition /accountId).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from azure.cosmos import ContainerProxy, DatabaseProxy
from azure.cosmos import exceptions as cosmos_errors

from core import schema
from core.adapters.cosmos import strip_system, to_doc
from core.domain.consent import Capability, ConsentEntry, state_in
from core.domain.errors import FieldError, ValidationFailed
from core.domain.tracking import AccessLogEntry, AccessLogSlice

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

    def append(self, entry: ConsentEntry) -> None:
        self._c.create_item(to_doc(entry, doc_id=entry.entry_id, doc_type="consent", userId=entry.user_id))

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


class CosmosAccessLog:
    """The `access-log` container: one partition per account; entries name the workers whose data was read."""

    def __init__(self, database: DatabaseProxy) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.ACCESS_LOG.name)

    def append(self, entry: AccessLogEntry) -> None:
        self._c.upsert_item(to_doc(entry, doc_id=entry.entry_id, doc_type="access", accountId=entry.account_id))

    def for_subject(
        self, *, account_id: str, user_id: str, continuation: str | None, limit: int
    ) -> AccessLogSlice:
        query = self._c.query_items(
            "SELECT * FROM c WHERE c.accountId = @a AND c.docType = 'access'"
            " AND ARRAY_CONTAINS(c.subject_user_ids, @u) ORDER BY c.at DESC",
            parameters=[{"name": "@a", "value": account_id}, {"name": "@u", "value": user_id}],
            partition_key=account_id,
            max_item_count=limit,
        )
        docs, token = _page(query, continuation)
        return AccessLogSlice(entries=[AccessLogEntry.model_validate(strip_system(d)) for d in docs],
                              continuation=token)
