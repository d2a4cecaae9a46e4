"""The tracking area's personal data in the privacy registry, besides the pings (`privacy_pings.py`): what
`core/adapters/cosmos_tracking.py` writes for consents, tracking schedules, latest positions and the access log.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from azure.cosmos import ContainerProxy, DatabaseProxy
from azure.cosmos import exceptions as cosmos_errors

from core import schema
from core.adapters.cosmos import strip_system
from core.adapters.cosmos_live_map import LIVE_MAP_VERSION_ID, LiveMapBump
from core.adapters.privacy_kinds import KeysetKind, Param, delete_doc, member_ids
from core.domain.privacy import ItemRef, Page


class AccessLogKind(KeysetKind):
    """The `access-log` container (partition /accountId; indexed: docType, subject_user_ids, at): keyset pages on
    `at` (the only ordered index). An entry is about each of its subjects; it names one member only when it has
    one subject."""

    def __init__(self, database: DatabaseProxy) -> None:
        super().__init__(
            database,
            name="access-log",
            doc_type="access",
            container=schema.ACCESS_LOG.name,
            order="at",
            time_field="at",
            retention="access-log",
            user_field="subject_user_ids",
            export_file="access-log.json",
            description="Who in your account read your location, photos or notes, and when.",
        )

    def user_filter(self, user_id: str) -> tuple[str, list[Param]]:
        return " AND ARRAY_CONTAINS(c.subject_user_ids, @u)", [{"name": "@u", "value": user_id}]

    def ref(self, doc: dict[str, Any]) -> ItemRef:
        subjects = [str(u) for u in doc.get("subject_user_ids") or []]
        return ItemRef(
            kind=self.name,
            partition_key=str(doc["accountId"]),
            doc_id=str(doc["id"]),
            user_id=subjects[0] if len(subjects) == 1 else None,
        )


class LatestPositionKind:
    """The `latest-positions` container (partition /accountId, id = user id): one document per member. Removed
    members' positions go at the next purge; all go with the account or on erasure."""

    name = "latest-positions"
    retention = "location"
    kept_for: str | None = None
    description = "Your latest known position, as shown on the account's map."
    export_file: str | None = "latest-position.json"
    on_erasure = "delete"
    kept_reason = ""

    def __init__(self, database: DatabaseProxy) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.LATEST_POSITIONS.name)
        self._accounts: ContainerProxy = database.get_container_client(schema.ACCOUNTS.name)
        self._live_map = LiveMapBump(database)

    def _read(self, account_id: str, user_id: str) -> dict[str, Any] | None:
        try:
            doc: dict[str, Any] = self._c.read_item(item=user_id, partition_key=account_id)
        except cosmos_errors.CosmosResourceNotFoundError:
            return None
        return doc

    def _refs(self, account_id: str, users: list[str]) -> list[ItemRef]:
        return [
            ItemRef(kind=self.name, partition_key=account_id, doc_id=u, user_id=u)
            for u in users
            if self._read(account_id, u) is not None
        ]

    def expired(self, *, account_id: str, before: datetime | None, continuation: str | None, limit: int) -> Page:
        users = member_ids(self._accounts, account_id, removed_only=before is not None)
        users = [u for u in users if u > (continuation or "")][:limit]
        return Page(items=self._refs(account_id, users), continuation=users[-1] if len(users) >= limit else None)

    def of_user(self, *, account_id: str, user_id: str, continuation: str | None, limit: int) -> Page:
        return Page(items=[] if continuation else self._refs(account_id, [user_id]))

    def delete(self, ref: ItemRef) -> bool:
        if not delete_doc(self._c, ref.doc_id, ref.partition_key):
            return False
        self._live_map.bump(ref.partition_key)  # the position left the live map
        return True

    def anonymize(self, ref: ItemRef) -> bool:
        return self.delete(ref)

    def export(self, *, account_id: str, user_id: str) -> Iterator[dict[str, Any]]:
        doc = self._read(account_id, user_id)
        if doc is not None:
            yield strip_system(doc)

    def count(self, *, account_id: str) -> int:
        """The account's positions (one document per member; the partition's live-map version is not one)."""
        rows: list[Any] = list(
            self._c.query_items(
                "SELECT VALUE COUNT(1) FROM c WHERE c.accountId = @a AND c.id != @v",
                parameters=[{"name": "@a", "value": account_id}, {"name": "@v", "value": LIVE_MAP_VERSION_ID}],
                partition_key=account_id,
            )
        )
        return int(rows[0]) if rows else 0


def consent_and_schedule_kinds(database: DatabaseProxy) -> list[KeysetKind]:
    """Consent ledger entries and tracking schedules, in each member's partition of `users`."""
    return [
        KeysetKind(
            database,
            name="consents",
            doc_type="consent",
            export_file="consents.json",
            container=schema.USERS.name,
            partition="userId",
            description="Your consent ledger: each grant or revocation of location or camera access,"
            " when, from which device and app version, under which policy version.",
        ),
        KeysetKind(
            database,
            name="tracking-schedules",
            doc_type="tracking-schedule",
            export_file="tracking-schedule.json",
            container=schema.USERS.name,
            partition="userId",
            description="Your tracking schedule: the days and hours (tracking windows) location is recorded,"
            " with its earlier versions (each from when it took effect) that still judge late pings.",
        ),
    ]
