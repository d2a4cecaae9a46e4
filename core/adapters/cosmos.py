"""Cosmos DB adapters: documents in, domain models out. Every query names its partition key in the WHERE."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from azure.core import MatchConditions
from azure.cosmos import ContainerProxy, CosmosClient, DatabaseProxy
from azure.cosmos import exceptions as cosmos_errors
from pydantic import BaseModel

from core import schema
from core.adapters.cosmos_live_map import LiveMapBump
from core.adapters.identity import shared_credential
from core.adapters.telemetry import count_cosmos_request
from core.adapters.transport import http_transport
from core.domain.accounts import Account, AccountEvent, Invitation, Member, Units, UserRecord
from core.domain.member_rows import name_sort_key, search_key
from core.settings import Settings

log = logging.getLogger(__name__)

_SYSTEM_KEYS = ("_rid", "_self", "_etag", "_attachments", "_ts", "id", "docType", "ttl")


def build_cosmos_client(settings: Settings) -> CosmosClient:
    if settings.cosmos_key is not None and settings.cosmos_key.get_secret_value():
        credential: Any = settings.cosmos_key.get_secret_value()
    else:
        credential = shared_credential()
    if not settings.cosmos_verify_tls:
        # Only the local emulator's self-signed certificate is accepted this way (see COSMOS_VERIFY_TLS).
        import urllib3

        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    transport, verify = http_transport(verify_tls=settings.cosmos_verify_tls)
    return CosmosClient(
        settings.cosmos_endpoint,
        credential=credential,
        connection_verify=verify,
        enable_endpoint_discovery=not settings.is_local,
        # Bounded waits (issue 9 row 4): without read_timeout the SDK waits 65 s for an answer and retries timed-out
        # reads, so a stalled Cosmos DB held an API call for over a minute. One retry on connection errors and
        # timeouts; throttling (429) keeps its 3 retries.
        retry_total=1,
        retry_throttle_total=3,
        connection_timeout=5,
        read_timeout=settings.cosmos_read_timeout_seconds,
        raw_request_hook=count_cosmos_request,  # per invocation, in the request log line (docs/observability.md)
        transport=transport,
    )


MEMBER_SEARCH_KEYS = ("name_key", "email_key")


def member_search_keys(full_name: str, email: str, user_id: str) -> dict[str, str]:
    """Stored with each member profile for the members page (core/adapters/cosmos_member_rows.py): the name sort key
    and the lowercased e-mail, both index-friendly prefixes. Derived from the profile, so written with it (and
    replaced with it by an erasure, core/adapters/privacy_accounts.py)."""
    return {"name_key": name_sort_key(full_name, user_id), "email_key": search_key(email)}


def strip_system(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in _SYSTEM_KEYS}


def to_doc(model: BaseModel, *, doc_id: str, doc_type: str, **keys: Any) -> dict[str, Any]:
    return {**model.model_dump(mode="json"), "id": doc_id, "docType": doc_type, **keys}


def compare_and_swap(container: ContainerProxy, body: dict[str, Any], *, etag: str | None) -> bool:
    """The adapters' one optimistic-concurrency write: create `body` when `etag` is None (nobody had the document
    when it was read), else replace only the version carrying that ETag. False when another writer got there
    first (the document exists already, changed, or was deleted meanwhile): the caller reads again and decides
    again. Any other failure raises."""
    return swap_version(container, body, etag=etag) is not None


def swap_version(container: ContainerProxy, body: dict[str, Any], *, etag: str | None) -> dict[str, Any] | None:
    """`compare_and_swap` answering the document written (with its new `_etag`), or None when it lost."""
    try:
        if etag is None:
            written: dict[str, Any] = container.create_item(body)
        else:
            written = container.replace_item(
                item=body["id"], body=body, etag=etag, match_condition=MatchConditions.IfNotModified
            )
    except (
        cosmos_errors.CosmosResourceExistsError,
        cosmos_errors.CosmosAccessConditionFailedError,
        cosmos_errors.CosmosResourceNotFoundError,
    ):
        return None
    return written


class CosmosAccountStore:
    """The `accounts` container: one partition per account holding account, members, invitations, events."""

    def __init__(self, database: DatabaseProxy) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.ACCOUNTS.name)
        self._live_map = LiveMapBump(database)  # a member's name and status are on the live map

    def _read(self, account_id: str, doc_id: str) -> dict[str, Any] | None:
        try:
            doc: dict[str, Any] = self._c.read_item(item=doc_id, partition_key=account_id)
            return doc
        except cosmos_errors.CosmosResourceNotFoundError:
            return None

    def get_account(self, account_id: str) -> Account | None:
        doc = self._read(account_id, f"account-{account_id}")
        return Account.model_validate(strip_system(doc)) if doc and doc.get("docType") == "account" else None

    def put_account(self, account: Account) -> None:
        self._c.upsert_item(
            to_doc(account, doc_id=f"account-{account.account_id}", doc_type="account", accountId=account.account_id)
        )

    def set_units(self, account_id: str, units: Units) -> Account | None:
        try:
            doc = self._c.patch_item(
                item=f"account-{account_id}",
                partition_key=account_id,
                patch_operations=[{"op": "set", "path": "/units", "value": units.value}],
            )
        except cosmos_errors.CosmosResourceNotFoundError:
            return None
        return Account.model_validate(strip_system(doc)) if doc.get("docType") == "account" else None

    def get_member(self, account_id: str, user_id: str) -> Member | None:
        doc = self._read(account_id, f"member-{user_id}")
        return Member.model_validate(strip_system(doc)) if doc and doc.get("docType") == "member" else None

    def put_member(self, member: Member) -> None:
        self._c.upsert_item(
            to_doc(
                member,
                doc_id=f"member-{member.user_id}",
                doc_type="member",
                accountId=member.account_id,
                **member_search_keys(member.full_name, member.email, member.user_id),
            )
        )
        self._live_map.bump(member.account_id)

    def list_members(self, account_id: str) -> list[Member]:
        docs = self._c.query_items(
            "SELECT * FROM c WHERE c.accountId = @a AND c.docType = 'member'",
            parameters=[{"name": "@a", "value": account_id}],
            partition_key=account_id,
        )
        return [Member.model_validate(strip_system(d)) for d in docs]

    def get_invitation(self, account_id: str, invitation_id: str) -> Invitation | None:
        if not account_id or not invitation_id:
            return None
        doc = self._read(account_id, f"invitation-{invitation_id}")
        return Invitation.model_validate(strip_system(doc)) if doc and doc.get("docType") == "invitation" else None

    def create_invitation(self, invitation: Invitation) -> None:
        self._c.create_item(self._invitation_doc(invitation))

    def _invitation_doc(self, invitation: Invitation) -> dict[str, Any]:
        return to_doc(
            invitation,
            doc_id=f"invitation-{invitation.invitation_id}",
            doc_type="invitation",
            accountId=invitation.account_id,
        )

    def replace_invitation_if_unchanged(self, invitation: Invitation, *, expected: Invitation) -> bool:
        current = self._read(invitation.account_id, f"invitation-{invitation.invitation_id}")
        if current is None or Invitation.model_validate(strip_system(current)) != expected:
            return False
        return compare_and_swap(self._c, self._invitation_doc(invitation), etag=current["_etag"])

    def list_invitations(self, account_id: str) -> list[Invitation]:
        docs = self._c.query_items(
            "SELECT * FROM c WHERE c.accountId = @a AND c.docType = 'invitation'",
            parameters=[{"name": "@a", "value": account_id}],
            partition_key=account_id,
        )
        return [Invitation.model_validate(strip_system(d)) for d in docs]

    def list_expired_pending_invitations(self, now: datetime, limit: int) -> list[Invitation]:
        # A platform-wide sweep: the only cross-partition query here, bounded by `limit`.
        docs = self._c.query_items(  # nosemgrep: cosmos-query-without-partition-key - daily sweep, bounded by limit
            "SELECT * FROM c WHERE c.docType = 'invitation' AND c.status = 'pending' AND c.expires_at < @now",
            parameters=[{"name": "@now", "value": now.isoformat().replace("+00:00", "Z")}],
            enable_cross_partition_query=True,
            max_item_count=limit,
        )
        found: list[Invitation] = []
        for d in docs:
            found.append(Invitation.model_validate(strip_system(d)))
            if len(found) >= limit:
                break
        return found

    def record_event(self, event: AccountEvent) -> bool:
        doc = {
            **event.model_dump(mode="json", by_alias=True),
            "id": f"event-{event.event_id}",
            "docType": "event",
            "accountId": event.account_id,
        }
        try:
            self._c.create_item(doc)
        except cosmos_errors.CosmosResourceExistsError:
            return False
        return True

    def list_events(self, account_id: str) -> list[AccountEvent]:
        docs = self._c.query_items(
            "SELECT * FROM c WHERE c.accountId = @a AND c.docType = 'event'",
            parameters=[{"name": "@a", "value": account_id}],
            partition_key=account_id,
        )
        return [AccountEvent.model_validate(strip_system(d)) for d in docs]


class CosmosUserStore:
    """The `users` container: one partition per user."""

    def __init__(self, database: DatabaseProxy) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.USERS.name)

    def get_user(self, user_id: str) -> UserRecord | None:
        try:
            doc = self._c.read_item(item=f"user-{user_id}", partition_key=user_id)
        except cosmos_errors.CosmosResourceNotFoundError:
            return None
        return UserRecord.model_validate(strip_system(doc))

    def _doc(self, record: UserRecord) -> dict[str, Any]:
        return to_doc(record, doc_id=f"user-{record.user_id}", doc_type="user", userId=record.user_id)

    def create_user(self, record: UserRecord) -> bool:
        try:
            self._c.create_item(self._doc(record))
        except cosmos_errors.CosmosResourceExistsError:
            return False
        return True

    def put_user(self, record: UserRecord) -> None:
        self._c.upsert_item(self._doc(record))

    def has_refusal_marker(self, marker_id: str) -> bool:
        try:
            self._c.read_item(item=marker_id, partition_key=marker_id)
        except cosmos_errors.CosmosResourceNotFoundError:
            return False
        return True

    def put_refusal_marker(self, marker_id: str, at: datetime) -> None:
        self._c.upsert_item(
            {"id": marker_id, "userId": marker_id, "docType": "registration-refused", "refusedAt": at.isoformat()}
        )


class CosmosProbe:
    name = "cosmos"

    def __init__(self, database: DatabaseProxy) -> None:
        self._db = database

    def check(self) -> None:
        self._db.read()
