"""The accounts area's personal data in the privacy registry (what `core/adapters/cosmos.py` writes): sign-in
records in `users`, and in the account's partition of `accounts` the member profiles, invitations, membership
events and the account record with its billing address.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from azure.cosmos import ContainerProxy, DatabaseProxy
from azure.cosmos import exceptions as cosmos_errors

from core import schema
from core.adapters.cosmos import MEMBER_SEARCH_KEYS, member_search_keys, strip_system
from core.adapters.cosmos_live_map import LiveMapBump
from core.adapters.privacy_kinds import KeysetKind, delete_doc, first_page, iso
from core.domain.privacy import ERASED_EMAIL_DOMAIN, ItemRef, Page


class SignInRecordKind:
    """The `users` container's sign-in records of an account's users (found through the account's member list)."""

    name = "sign-in-records"
    retention = "account"
    kept_for: str | None = None
    description = "Your sign-in record: which account and role your sign-in identity has, and its status."
    export_file: str | None = "sign-in-record.json"
    on_erasure = "keep"
    kept_reason = (
        "Sign-in record: only ids, role and status, no personal details; it lets you sign in and see "
        "the outcome of your requests. It is deleted with the account or when you leave it."
    )

    def __init__(self, database: DatabaseProxy) -> None:
        self._users: ContainerProxy = database.get_container_client(schema.USERS.name)
        self._accounts: ContainerProxy = database.get_container_client(schema.ACCOUNTS.name)

    def _record(self, user_id: str) -> dict[str, Any] | None:
        try:
            doc: dict[str, Any] = self._users.read_item(item=f"user-{user_id}", partition_key=user_id)
        except cosmos_errors.CosmosResourceNotFoundError:
            return None
        return doc

    def expired(self, *, account_id: str, before: datetime | None, continuation: str | None, limit: int) -> Page:
        if before is not None:
            return Page(items=[])
        docs, more = first_page(
            self._accounts,
            "SELECT c.id, c.user_id FROM c WHERE c.accountId = @a AND c.docType = 'member' AND c.id > @after"
            " ORDER BY c.id",
            [{"name": "@a", "value": account_id}, {"name": "@after", "value": continuation or ""}],
            account_id,
            limit,
        )
        refs: list[ItemRef] = []
        for d in docs:
            record = self._record(str(d["user_id"]))
            if record is not None and record.get("account_id") == account_id:
                refs.append(
                    ItemRef(kind=self.name, partition_key=d["user_id"], doc_id=record["id"], user_id=d["user_id"])
                )
        return Page(items=refs, continuation=str(docs[-1]["id"]) if more else None)

    def of_user(self, *, account_id: str, user_id: str, continuation: str | None, limit: int) -> Page:
        record = None if continuation else self._record(user_id)
        if record is None or record.get("account_id") != account_id:
            return Page(items=[])
        return Page(items=[ItemRef(kind=self.name, partition_key=user_id, doc_id=record["id"], user_id=user_id)])

    def delete(self, ref: ItemRef) -> bool:
        return delete_doc(self._users, ref.doc_id, ref.partition_key)

    def anonymize(self, ref: ItemRef) -> bool:
        return False

    def export(self, *, account_id: str, user_id: str) -> Iterator[dict[str, Any]]:
        record = self._record(user_id)
        if record is not None and record.get("account_id") == account_id:
            yield strip_system(record)

    def count(self, *, account_id: str) -> int:
        """The account's members whose sign-in record names the account: one COUNT per member's partition."""
        members = self._accounts.query_items(
            "SELECT VALUE c.user_id FROM c WHERE c.accountId = @a AND c.docType = 'member'",
            parameters=[{"name": "@a", "value": account_id}],
            partition_key=account_id,
        )
        total = 0
        for user_id in members:
            rows: list[Any] = list(
                self._users.query_items(
                    "SELECT VALUE COUNT(1) FROM c WHERE c.userId = @u AND c.id = @id AND c.account_id = @a",
                    parameters=[
                        {"name": "@u", "value": str(user_id)},
                        {"name": "@id", "value": f"user-{user_id}"},
                        {"name": "@a", "value": account_id},
                    ],
                    partition_key=str(user_id),
                )
            )
            total += int(rows[0]) if rows else 0
        return total


class UnansweredInvitationKind(KeysetKind):
    """Invitations nobody accepted hold the address of someone who never became a user: they go a fixed number of
    days (RETENTION_INVITATIONS_DAYS) after they expired or were revoked."""

    def __init__(self, database: DatabaseProxy) -> None:
        super().__init__(
            database,
            name="unanswered-invitations",
            doc_type="invitation",
            export_file=None,
            description="Invitations that were never accepted.",
            retention="invitation",
        )

    def expired(self, *, account_id: str, before: datetime | None, continuation: str | None, limit: int) -> Page:
        if before is None:
            return Page(items=[])  # with the account, the `invitations` kind removes them all
        return self.page(
            account_id,
            " AND c.status != 'accepted' AND c.expires_at < @before",
            [{"name": "@before", "value": iso(before)}],
            continuation,
            limit,
        )


class ProfileKind(KeysetKind):
    """Member profiles: erasure keeps the membership (ids, role, dates) and replaces what identifies the person."""

    def __init__(self, database: DatabaseProxy) -> None:
        super().__init__(
            database,
            name="profiles",
            doc_type="member",
            user_field="user_id",
            description="Your profile in the account: name, e-mail, phone, time zone, role, dates.",
            export_file="profile.json",
            on_erasure="anonymize",
        )
        self._database = database

    def export(self, *, account_id: str, user_id: str) -> Iterator[dict[str, Any]]:
        """The profile as the person knows it: the members page's search keys (derived from it) are left out."""
        for doc in super().export(account_id=account_id, user_id=user_id):
            yield {k: v for k, v in doc.items() if k not in MEMBER_SEARCH_KEYS}

    def anonymize(self, ref: ItemRef) -> bool:
        try:
            doc: dict[str, Any] = self._c.read_item(item=ref.doc_id, partition_key=ref.partition_key)
        except cosmos_errors.CosmosResourceNotFoundError:
            return False
        marker = hashlib.sha256(str(ref.user_id).encode()).hexdigest()[:16]
        replacement: dict[str, Any] = {
            "full_name": "Erased member",
            "email": f"erased-{marker}@{ERASED_EMAIL_DOMAIN}",
            "phone": None,
        }
        # The members page's search keys are derived from the name and e-mail: they are replaced with them.
        replacement |= member_search_keys(replacement["full_name"], replacement["email"], str(doc.get("user_id", "")))
        if all(doc.get(k) == v for k, v in replacement.items()):
            return False
        self._c.upsert_item(
            {
                **strip_system(doc),
                **replacement,
                "id": doc["id"],
                "docType": doc["docType"],
                "accountId": doc["accountId"],
            }
        )
        LiveMapBump(self._database).bump(str(doc["accountId"]))  # the name on the live map changed
        return True


def membership_kinds(database: DatabaseProxy) -> list[SignInRecordKind | KeysetKind]:
    """Sign-in records, invitations and membership events, first in purge order: sign-in records are found
    through the member profiles, which go last (`profile_kind`)."""
    return [
        SignInRecordKind(database),
        KeysetKind(
            database,
            name="invitations",
            doc_type="invitation",
            user_field="accepted_by",
            description="The invitation you accepted: the address it was sent to and when.",
            export_file="invitations.json",
        ),
        UnansweredInvitationKind(database),
        KeysetKind(
            database,
            name="account-events",
            doc_type="event",
            user_field="userId",
            description="Membership events about you (joined, removed) and when they happened.",
            export_file="account-events.json",
        ),
    ]


def billing_record_kind(database: DatabaseProxy) -> KeysetKind:
    """The account record with its billing address: kept after closure with the billing records, last."""
    return KeysetKind(
        database,
        name="billing-records",
        doc_type="account",
        export_file=None,
        description="The account record with its billing address.",
        kept_for="billing-records",
    )
