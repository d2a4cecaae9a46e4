"""The live map's positions version (docs/tracking.md, "The live map's version"): one small document per account in
the account's partition of `latest-positions` (id LIVE_MAP_VERSION_ID), whose field `v` takes a new random value
each time something the owner's live map shows may have changed.

Who bumps it, always AFTER their own write or in the same transactional batch as that write (so a reader that reads
the version first, then the data, never keeps an old answer under a new version): the latest position moving
forward (in one batch with the move, `CosmosLatestPositionStore._swap_and_bump`), withheld in a private zone,
coarsened or deleted (erasure, purge, re-stamped expiry); a member profile written (added, removed, renamed,
erased); a consent entry or a tracking schedule written (rare; they belong to what the map may say of a member). A
bump is one upsert of a document under 200 bytes whose paths are not indexed (the container indexes /accountId and
/t only).

Reading it is one point read: the live-map poll's whole cost while nothing moved.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from azure.cosmos import ContainerProxy, DatabaseProxy
from azure.cosmos import exceptions as cosmos_errors

from core import schema
from core.domain.privacy import ItemRef, Page

LIVE_MAP_VERSION_ID = "live-map-version"  # never a user id: those are token subjects (GUIDs) or invitation ids
DOC_TYPE = "live-map-version"


class LiveMapBump:
    """What a writer of the live map's data calls after its write: `bump(account_id)`, one upsert."""

    def __init__(self, database: DatabaseProxy) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.LATEST_POSITIONS.name)

    def bump(self, account_id: str) -> None:
        self._c.upsert_item(self.next_version(account_id))

    @staticmethod
    def next_version(account_id: str) -> dict[str, Any]:
        """The version document a bump writes: also the upsert a writer of `latest-positions` puts in the same
        transactional batch as its own write (the account's partition), so both land together."""
        return {
            "id": LIVE_MAP_VERSION_ID,
            "accountId": account_id,
            "docType": DOC_TYPE,
            "v": uuid.uuid4().hex,
            "at": datetime.now(UTC).isoformat(),
        }


class CosmosLiveMapVersions:
    """The `LiveMapVersions` port: the account's version in one point read (None before the first bump)."""

    def __init__(self, database: DatabaseProxy) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.LATEST_POSITIONS.name)

    def current(self, account_id: str) -> str | None:
        try:
            doc: dict[str, Any] = self._c.read_item(item=LIVE_MAP_VERSION_ID, partition_key=account_id)
        except cosmos_errors.CosmosResourceNotFoundError:
            return None
        return str(doc["v"])


def is_version_doc(doc: dict[str, Any]) -> bool:
    return doc.get("id") == LIVE_MAP_VERSION_ID or doc.get("docType") == DOC_TYPE


class LiveMapVersionKind:
    """The privacy registry's view: no personal data (a random value and a time); it goes with the closed account.
    Found with a point read, never a query."""

    name = "live-map-version"
    retention = "account"
    kept_for: str | None = None
    description = "A change counter of the account's live map (no personal data), read by each poll of the map."
    export_file: str | None = None
    on_erasure = "keep"
    kept_reason = "holds no personal data"

    def __init__(self, database: DatabaseProxy) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.LATEST_POSITIONS.name)

    def _exists(self, account_id: str) -> bool:
        try:
            self._c.read_item(item=LIVE_MAP_VERSION_ID, partition_key=account_id)
        except cosmos_errors.CosmosResourceNotFoundError:
            return False
        return True

    def expired(self, *, account_id: str, before: datetime | None, continuation: str | None, limit: int) -> Page:
        if before is not None or continuation or not self._exists(account_id):
            return Page(items=[])  # kept while the account exists
        return Page(items=[ItemRef(kind=self.name, partition_key=account_id, doc_id=LIVE_MAP_VERSION_ID)])

    def of_user(self, *, account_id: str, user_id: str, continuation: str | None, limit: int) -> Page:
        return Page(items=[])

    def delete(self, ref: ItemRef) -> bool:
        try:
            self._c.delete_item(item=ref.doc_id, partition_key=ref.partition_key)
        except cosmos_errors.CosmosResourceNotFoundError:
            return False
        return True

    def anonymize(self, ref: ItemRef) -> bool:
        return False

    def export(self, *, account_id: str, user_id: str) -> Iterator[dict[str, Any]]:
        return iter(())

    def count(self, *, account_id: str) -> int:
        rows: list[Any] = list(
            self._c.query_items(
                "SELECT VALUE COUNT(1) FROM c WHERE c.accountId = @a AND c.id = @v",
                parameters=[{"name": "@a", "value": account_id}, {"name": "@v", "value": LIVE_MAP_VERSION_ID}],
                partition_key=account_id,
            )
        )
        return int(rows[0]) if rows else 0
