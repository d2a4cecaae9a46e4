"""Device tokens in the privacy registry (docs/devices.md): export, erasure, the purge of a closed account.

A device record is personal data (its name, when it was last seen, what it sent). Deleting one deletes its token
lookup first, so the token stops working before its record goes. Exports leave out the token's hash.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from azure.cosmos import DatabaseProxy
from azure.cosmos import exceptions as cosmos_errors

from core import schema
from core.adapters.cosmos_devices import DEVICE_DOC_TYPE, delete_lookup
from core.adapters.privacy_kinds import KeysetKind, delete_doc
from core.domain.privacy import ItemRef


class DeviceKind(KeysetKind):
    def __init__(self, database: DatabaseProxy) -> None:
        super().__init__(
            database,
            name="devices",
            doc_type=DEVICE_DOC_TYPE,
            export_file="devices.json",
            container=schema.USERS.name,
            partition="userId",
            description="Your devices (tracking apps with a device token): name, when each was made,"
            " last seen and revoked, and how many pings each sent, stored or dropped.",
        )

    def delete(self, ref: ItemRef) -> bool:
        try:
            doc: dict[str, Any] = self._c.read_item(item=ref.doc_id, partition_key=ref.partition_key)
        except cosmos_errors.CosmosResourceNotFoundError:
            return False
        if doc.get("token_hash"):
            delete_lookup(self._c, str(doc["token_hash"]))
        return delete_doc(self._c, ref.doc_id, ref.partition_key)

    def export(self, *, account_id: str, user_id: str) -> Iterator[dict[str, Any]]:
        for doc in super().export(account_id=account_id, user_id=user_id):
            yield {k: v for k, v in doc.items() if k != "token_hash"}
