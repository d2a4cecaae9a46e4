"""The ingest gate documents (docs/tracking.md, "The ingest gate") in the account's partition of `accounts`:

* `ingest-gate` (docType `ingest-gate`): the account's gate;
* `ingest-gate-{userId}` (docType `ingest-gate-member`, field `user_id`): a member's gate.

`read` answers them with the account record (`account-{accountId}`) in ONE single-partition query; `read_member`
answers the member's gate with the member record (`member-{userId}`), also in one (the pings writer's read). Writes are
conditional: create when absent, replace only the version read (ETag), so two writers never overwrite each other.
The privacy registry's view of the member gates is `IngestGateKind` (a copy of consent entries, schedule and
private zones: deleted on erasure and with a closed account; not exported, the originals are).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from azure.core import MatchConditions
from azure.cosmos import ContainerProxy, DatabaseProxy
from azure.cosmos import exceptions as cosmos_errors

from core import schema
from core.adapters.cosmos import strip_system
from core.adapters.privacy_kinds import KeysetKind
from core.domain.accounts import Account, Member
from core.domain.ingest_gate import GateDoc, GateRead

ACCOUNT_DOC_TYPE = "ingest-gate"
MEMBER_DOC_TYPE = "ingest-gate-member"


def gate_doc_id(user_id: str | None) -> str:
    return ACCOUNT_DOC_TYPE if user_id is None else f"{ACCOUNT_DOC_TYPE}-{user_id}"


def gate_from_doc(doc: dict[str, Any] | None) -> GateDoc | None:
    """A stored gate document as the domain reads it (also used by the members page's reads)."""
    if doc is None:
        return None
    pending = {str(k): datetime.fromisoformat(str(v)) for k, v in (doc.get("pending") or {}).items()}
    facts = doc.get("facts")
    return GateDoc(
        facts=facts if isinstance(facts, dict) else None,
        pending=pending,
        etag=str(doc["_etag"]) if doc.get("_etag") else None,
    )


class CosmosIngestGateStore:
    def __init__(self, database: DatabaseProxy) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.ACCOUNTS.name)

    def _by_ids(self, account_id: str, ids: list[str]) -> dict[str, dict[str, Any]]:
        """The documents of the account's partition with these ids, in ONE single-partition query."""
        return {
            str(d["id"]): d
            for d in self._c.query_items(
                "SELECT * FROM c WHERE c.accountId = @a AND ARRAY_CONTAINS(@ids, c.id)",
                parameters=[{"name": "@a", "value": account_id}, {"name": "@ids", "value": ids}],
                partition_key=account_id,
            )
        }

    def read(self, *, account_id: str, user_id: str) -> GateRead:
        ids = [f"account-{account_id}", gate_doc_id(None), gate_doc_id(user_id)]
        docs = self._by_ids(account_id, ids)
        account_doc = docs.get(ids[0])
        account = (
            Account.model_validate(strip_system(account_doc))
            if account_doc is not None and account_doc.get("docType") == "account"
            else None
        )
        return GateRead(
            account=account, account_gate=gate_from_doc(docs.get(ids[1])), member_gate=gate_from_doc(docs.get(ids[2]))
        )

    def read_member(self, *, account_id: str, user_id: str) -> tuple[Member | None, GateDoc | None]:
        ids = [f"member-{user_id}", gate_doc_id(user_id)]
        docs = self._by_ids(account_id, ids)
        member_doc = docs.get(ids[0])
        member = (
            Member.model_validate(strip_system(member_doc))
            if member_doc is not None and member_doc.get("docType") == "member"
            else None
        )
        return member, gate_from_doc(docs.get(ids[1]))

    def get(self, *, account_id: str, user_id: str | None) -> GateDoc | None:
        try:
            doc: dict[str, Any] = self._c.read_item(item=gate_doc_id(user_id), partition_key=account_id)
        except cosmos_errors.CosmosResourceNotFoundError:
            return None
        return gate_from_doc(doc)

    def save(
        self,
        *,
        account_id: str,
        user_id: str | None,
        facts: dict[str, Any] | None,
        pending: dict[str, datetime],
        etag: str | None,
    ) -> bool:
        body: dict[str, Any] = {
            "id": gate_doc_id(user_id),
            "accountId": account_id,
            "docType": ACCOUNT_DOC_TYPE if user_id is None else MEMBER_DOC_TYPE,
            "facts": facts,
            "pending": {k: v.isoformat() for k, v in pending.items()},
        }
        if user_id is not None:
            body["user_id"] = user_id
        try:
            if etag is None:
                self._c.create_item(body)
            else:
                self._c.replace_item(
                    item=body["id"], body=body, etag=etag, match_condition=MatchConditions.IfNotModified
                )
        except (
            cosmos_errors.CosmosResourceExistsError,
            cosmos_errors.CosmosAccessConditionFailedError,
            cosmos_errors.CosmosResourceNotFoundError,
        ):
            return False
        return True

    def delete(self, *, account_id: str, user_id: str | None) -> None:
        try:
            self._c.delete_item(item=gate_doc_id(user_id), partition_key=account_id)
        except cosmos_errors.CosmosResourceNotFoundError:
            pass


def ingest_gate_kinds(database: DatabaseProxy) -> list[KeysetKind]:
    """The privacy registry's view: the member gates copy personal data (location consent entries, schedule,
    private zones with their secret fields), so they are deleted on erasure and with a closed account. Not
    exported: each fact is a copy of a record the export already holds (consents, tracking schedule, private
    zones). The account's gate holds no personal data; it goes with the closed account."""
    return [
        KeysetKind(
            database,
            name="ingest-gates",
            doc_type=MEMBER_DOC_TYPE,
            user_field="user_id",
            export_file=None,
            description="A working copy of your location consent entries, tracking schedule and private"
            " zones, read by each location upload to decide which pings to keep.",
        ),
        KeysetKind(
            database,
            name="ingest-gate-account",
            doc_type=ACCOUNT_DOC_TYPE,
            user_field=None,
            export_file=None,
            description="The account's suspension state and location retention, read by each location upload.",
        ),
    ]
