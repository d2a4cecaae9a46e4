"""Device tokens in the `users` container (docs/devices.md).

* device record: the member's partition (`userId`), id `device-{deviceId}`, docType `device`;
* token lookup: id = partition = `device-token-{sha256 hex}`, docType `device-token`, pointing at the device.

Authentication is two point reads (lookup, then the device in its member's partition). Creating writes the device
first and the lookup second; revoking marks the device first and deletes the lookup second; erasure deletes the
lookup before the device (core/adapters/cosmos_privacy.py). A crash between the two steps leaves either a device
nobody can reach yet or a lookup pointing at a revoked device, which authentication refuses.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from datetime import datetime
from itertools import islice
from typing import Any

from azure.cosmos import ContainerProxy, DatabaseProxy
from azure.cosmos import exceptions as cosmos_errors

from core import schema
from core.adapters.cosmos import compare_and_swap, strip_system, to_doc
from core.domain.devices import AppProtocol, Device, DeviceCounters, DeviceTokenLookup, battery_update

log = logging.getLogger(__name__)
DEVICE_DOC_TYPE = "device"
LOOKUP_DOC_TYPE = "device-token"


def device_doc_id(device_id: str) -> str:
    return f"device-{device_id}"


def lookup_doc_id(token_hash: str) -> str:
    return f"device-token-{token_hash}"


RECENT_READS = 256  # device records remembered between a call's authentication and its counters' write
RECENT_SECONDS = 30.0  # older than this, a remembered record is not worth trying


class CosmosDeviceStore:
    """An ingest call reads its device twice in sequence: authentication (`get`) and the counters' write
    (`record_use`). The record `get` read is remembered (bounded, briefly) and `record_use` tries its ETag first,
    so the call costs one read and one replace instead of two reads and a replace; when the record changed
    meanwhile, the ETag check fails and it reads again, as before."""

    def __init__(self, database: DatabaseProxy) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.USERS.name)
        self._recent: OrderedDict[tuple[str, str], tuple[float, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def _remember(self, user_id: str, device_id: str, doc: dict[str, Any]) -> None:
        with self._lock:
            self._recent[(user_id, device_id)] = (time.monotonic(), doc)
            self._recent.move_to_end((user_id, device_id))
            while len(self._recent) > RECENT_READS:
                self._recent.popitem(last=False)

    def _recalled(self, user_id: str, device_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._recent.pop((user_id, device_id), None)
        if found is None or time.monotonic() - found[0] > RECENT_SECONDS:
            return None
        return found[1]

    def _read(self, doc_id: str, pk: str, doc_type: str) -> dict[str, Any] | None:
        try:
            doc: dict[str, Any] = self._c.read_item(item=doc_id, partition_key=pk)
        except cosmos_errors.CosmosResourceNotFoundError:
            return None
        return doc if doc.get("docType") == doc_type else None

    @staticmethod
    def _device_doc(device: Device) -> dict[str, Any]:
        return to_doc(device, doc_id=device_doc_id(device.device_id), doc_type=DEVICE_DOC_TYPE, userId=device.user_id)

    def create(self, device: Device) -> None:
        self._c.create_item(self._device_doc(device))
        lookup = DeviceTokenLookup(
            token_hash=device.token_hash,
            account_id=device.account_id,
            user_id=device.user_id,
            device_id=device.device_id,
        )
        doc_id = lookup_doc_id(device.token_hash)
        self._c.create_item(to_doc(lookup, doc_id=doc_id, doc_type=LOOKUP_DOC_TYPE, userId=doc_id))

    def lookup(self, token_hash: str) -> DeviceTokenLookup | None:
        doc_id = lookup_doc_id(token_hash)
        doc = self._read(doc_id, doc_id, LOOKUP_DOC_TYPE)
        return DeviceTokenLookup.model_validate(strip_system(doc)) if doc else None

    def get(self, *, user_id: str, device_id: str) -> Device | None:
        doc = self._read(device_doc_id(device_id), user_id, DEVICE_DOC_TYPE)
        if doc is None:
            return None
        self._remember(user_id, device_id, doc)
        return Device.model_validate(strip_system(doc))

    def list_for_user(self, user_id: str) -> list[Device]:
        docs = self._c.query_items(
            "SELECT * FROM c WHERE c.userId = @u AND c.docType = @t",
            parameters=[{"name": "@u", "value": user_id}, {"name": "@t", "value": DEVICE_DOC_TYPE}],
            partition_key=user_id,
        )
        return sorted((Device.model_validate(strip_system(d)) for d in docs), key=lambda d: d.created_at)

    def list_for_account(self, account_id: str, *, after: str | None, limit: int) -> tuple[list[Device], str | None]:
        """One query across the members' partitions (the owner's device list), by device id, keyset-paged: its cost
        follows the page and the container's physical partitions, not the number of members."""
        docs = list(
            islice(
                self._c.query_items(  # nosemgrep: cosmos-query-without-partition-key - the owner's list spans members' partitions, paged by limit
                    "SELECT * FROM c WHERE c.docType = @t AND c.account_id = @a AND c.device_id > @after"
                    " ORDER BY c.device_id",
                    parameters=[
                        {"name": "@t", "value": DEVICE_DOC_TYPE},
                        {"name": "@a", "value": account_id},
                        {"name": "@after", "value": after or ""},
                    ],
                    enable_cross_partition_query=True,
                    max_item_count=limit + 1,
                ),
                limit + 1,
            )
        )
        devices = [Device.model_validate(strip_system(d)) for d in docs[:limit]]
        return devices, (devices[-1].device_id if len(docs) > limit else None)

    def revoke(self, device: Device) -> None:
        """`device` carries revoked_at/by. Marked first, lookup deleted second (each step is idempotent)."""
        self._c.upsert_item(self._device_doc(device))
        delete_lookup(self._c, device.token_hash)

    def record_use(
        self,
        *,
        user_id: str,
        device_id: str,
        counters: DeviceCounters,
        at: datetime,
        protocol: AppProtocol,
        waypoints_version: str | None = None,
        battery: tuple[float, datetime] | None = None,
    ) -> bool:
        """Add to the device's counters and move last-seen forward; ETag-checked so concurrent calls add up (and
        of two calls bringing the same new waypoints version, only the one that wrote it answers True)."""
        current = self._recalled(user_id, device_id)
        for _ in range(10):
            if current is None:
                current = self._read(device_doc_id(device_id), user_id, DEVICE_DOC_TYPE)
            if current is None:
                return False  # erased or deleted meanwhile: nothing to count on
            device = Device.model_validate(strip_system(current))
            seen = at if device.last_seen_at is None or at > device.last_seen_at else device.last_seen_at
            changed = waypoints_version is not None and waypoints_version != device.waypoints_version
            updated = device.model_copy(
                update={
                    "counters": device.counters.plus(counters),
                    "last_seen_at": seen,
                    "last_protocol": protocol,
                    "waypoints_version": waypoints_version if changed else device.waypoints_version,
                    **battery_update(device, battery),
                }
            )
            if compare_and_swap(self._c, self._device_doc(updated), etag=current["_etag"]):
                return changed
            current = None  # changed meanwhile (or a remembered record was stale): read it again
        log.warning("device counters kept changing under ten attempts; this call's counts were not added")
        return False


def delete_lookup(container: ContainerProxy, token_hash: str) -> bool:
    doc_id = lookup_doc_id(token_hash)
    try:
        container.delete_item(item=doc_id, partition_key=doc_id)
    except cosmos_errors.CosmosResourceNotFoundError:
        return False
    return True
