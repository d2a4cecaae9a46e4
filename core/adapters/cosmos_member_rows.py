"""The owner's members page (core/services/member_rows.py): every query here names the account's partition and
reads at most one page of items, so its cost follows the page size, not the number of members.

* member profiles: `accounts` (partition /accountId), docType `member`, by `name_key` (the casefolded name and the
  user id, written with each profile by CosmosAccountStore.put_member) with keyset paging (`name_key > @after`);
  a search prefix matches the start of `name_key` or of `email_key` (range index, no scan); profiles written before
  the keys existed get them once per account (`ensure_search_keys`, remembered by the `member-search-keys` marker);
* pending invitations: `accounts`, docType `invitation`, status `pending`, oldest first (at most a page's worth);
* member ingest gates: `accounts`, ids `ingest-gate-{userId}` (core/adapters/cosmos_ingest_gate.py);
* latest positions: `latest-positions` (partition /accountId), id = userId, newest first by `t` (indexed).
"""

from __future__ import annotations

from typing import Any

from azure.core import MatchConditions
from azure.cosmos import ContainerProxy, DatabaseProxy
from azure.cosmos import exceptions as cosmos_errors

from core import schema
from core.adapters.cosmos import MEMBER_SEARCH_KEYS, member_search_keys, strip_system
from core.adapters.cosmos_ingest_gate import MEMBER_DOC_TYPE, gate_doc_id, gate_from_doc
from core.adapters.cosmos_tracking import CosmosLatestPositionStore
from core.domain.accounts import Invitation, Member
from core.domain.errors import FieldError, ValidationFailed
from core.domain.ingest_gate import GateDoc
from core.domain.tracking import LatestPosition

KEYS_MARKER = "member-search-keys"  # in the account's partition: every profile of the account has its search keys
# The marker names only the account and expires by itself (the check then runs once more and finds nothing), so it
# never outlives a closed account's window and needs no place in the privacy registry.
KEYS_MARKER_TTL_S = 30 * 24 * 3600


def _member(doc: dict[str, Any]) -> Member:
    return Member.model_validate({k: v for k, v in strip_system(doc).items() if k not in MEMBER_SEARCH_KEYS})


class CosmosMemberRowSource:
    def __init__(self, database: DatabaseProxy) -> None:
        self._accounts: ContainerProxy = database.get_container_client(schema.ACCOUNTS.name)
        self._latest: ContainerProxy = database.get_container_client(schema.LATEST_POSITIONS.name)

    def ensure_search_keys(self, account_id: str) -> int:
        try:
            self._accounts.read_item(item=KEYS_MARKER, partition_key=account_id)
            return 0
        except cosmos_errors.CosmosResourceNotFoundError:
            pass
        docs = self._accounts.query_items(
            "SELECT * FROM c WHERE c.accountId = @a AND c.docType = 'member' AND NOT IS_DEFINED(c.name_key)",
            parameters=[{"name": "@a", "value": account_id}],
            partition_key=account_id,
        )
        rewritten = 0
        for doc in docs:
            keys = member_search_keys(str(doc.get("full_name", "")), str(doc.get("email", "")), str(doc["user_id"]))
            body = {k: v for k, v in doc.items() if not k.startswith("_")} | keys
            try:  # only the version read: a profile changed meanwhile was written with its keys already
                self._accounts.replace_item(
                    item=doc["id"], body=body, etag=doc["_etag"], match_condition=MatchConditions.IfNotModified
                )
                rewritten += 1
            except cosmos_errors.CosmosAccessConditionFailedError:
                continue
        marker = {"id": KEYS_MARKER, "accountId": account_id, "docType": KEYS_MARKER, "ttl": KEYS_MARKER_TTL_S}
        self._accounts.upsert_item(marker)
        return rewritten

    def members_by_name(self, account_id: str, *, prefix: str | None, after: str | None, limit: int) -> list[Member]:
        clauses = ["c.accountId = @a", "c.docType = 'member'", "c.status = 'active'"]
        params: list[dict[str, Any]] = [{"name": "@a", "value": account_id}]
        if prefix:
            clauses.append("(STARTSWITH(c.name_key, @q) OR STARTSWITH(c.email_key, @q))")
            params.append({"name": "@q", "value": prefix})
        if after is not None:
            clauses.append("c.name_key > @after")
            params.append({"name": "@after", "value": after})
        docs = self._accounts.query_items(
            "SELECT * FROM c WHERE " + " AND ".join(clauses) + " ORDER BY c.name_key",  # noqa: S608  # nosec B608 - fixed fragments, values are parameters
            parameters=params,
            partition_key=account_id,
            max_item_count=limit,
        )
        found: list[Member] = []
        for doc in docs:
            found.append(_member(doc))
            if len(found) >= limit:
                break
        return found

    def members_by_ids(self, account_id: str, user_ids: list[str]) -> list[Member]:
        if not user_ids:
            return []
        docs = self._accounts.query_items(
            "SELECT * FROM c WHERE c.accountId = @a AND ARRAY_CONTAINS(@ids, c.id) AND c.docType = 'member'",
            parameters=[
                {"name": "@a", "value": account_id},
                {"name": "@ids", "value": [f"member-{u}" for u in user_ids]},
            ],
            partition_key=account_id,
        )
        return [_member(d) for d in docs]

    def pending_invitations(self, account_id: str, *, limit: int) -> list[Invitation]:
        docs = self._accounts.query_items(
            "SELECT * FROM c WHERE c.accountId = @a AND c.docType = 'invitation' AND c.status = 'pending'"
            " ORDER BY c.created_at",
            parameters=[{"name": "@a", "value": account_id}],
            partition_key=account_id,
            max_item_count=limit,
        )
        found: list[Invitation] = []
        for doc in docs:
            found.append(Invitation.model_validate(strip_system(doc)))
            if len(found) >= limit:
                break
        return found

    def member_gates(self, account_id: str, user_ids: list[str]) -> dict[str, GateDoc]:
        if not user_ids:
            return {}
        docs = self._accounts.query_items(
            "SELECT * FROM c WHERE c.accountId = @a AND ARRAY_CONTAINS(@ids, c.id) AND c.docType = @t",
            parameters=[
                {"name": "@a", "value": account_id},
                {"name": "@ids", "value": [gate_doc_id(u) for u in user_ids]},
                {"name": "@t", "value": MEMBER_DOC_TYPE},
            ],
            partition_key=account_id,
        )
        gates: dict[str, GateDoc] = {}
        for doc in docs:
            gate = gate_from_doc(doc)
            if gate is not None and isinstance(doc.get("user_id"), str):
                gates[doc["user_id"]] = gate
        return gates

    def positions_of(self, account_id: str, user_ids: list[str]) -> dict[str, LatestPosition]:
        if not user_ids:
            return {}
        docs = self._latest.query_items(
            "SELECT * FROM c WHERE c.accountId = @a AND ARRAY_CONTAINS(@ids, c.id)",
            parameters=[{"name": "@a", "value": account_id}, {"name": "@ids", "value": list(user_ids)}],
            partition_key=account_id,
        )
        positions = [CosmosLatestPositionStore.position_of(d) for d in docs]
        return {p.user_id: p for p in positions}

    def positions_by_time(
        self, account_id: str, *, cursor: str | None, limit: int
    ) -> tuple[list[LatestPosition], str | None]:
        query: Any = self._latest.query_items(  # its pager carries the continuation token
            "SELECT * FROM c WHERE c.accountId = @a ORDER BY c.t DESC",
            parameters=[{"name": "@a", "value": account_id}],
            partition_key=account_id,
            max_item_count=limit,
        )
        try:
            pager = query.by_page(cursor)
            docs = list(next(pager, []))
        except (cosmos_errors.CosmosHttpResponseError, ValueError, TypeError, KeyError) as exc:
            if cursor is not None and not (
                isinstance(exc, cosmos_errors.CosmosHttpResponseError) and exc.status_code in (408, 429, 500, 503)
            ):
                raise ValidationFailed(errors=[FieldError("query.continuation", "is not from this list")]) from exc
            raise
        token = pager.continuation_token
        return [CosmosLatestPositionStore.position_of(d) for d in docs], token if docs and token else None
