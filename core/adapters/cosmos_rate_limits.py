"""Abuse limits' counters (docs/abuse-limits.md) in the `rate-limits` container: one document per key and window
(id = partition key = the key), `{"id", "calls", "ttl"}`.

One request in the common case: a conditional patch that adds the calls counted (one, or a lease of several taken by
core/services/rate_limits.py's LeasedRateLimiter) only while the sum stays within the limit
(`filter_predicate`), atomic in Cosmos DB, so two instances never lose a call between them. The first call of a
window finds no document (404) and creates it; two first calls at once: the loser's create conflicts (409) and it
patches the winner's document. A refused call changes nothing (412 on the predicate). Each document carries `ttl`:
with the container's `defaultTtl: -1` (core/schema.py) Cosmos DB deletes it that many seconds after its last
change. The local emulator ignores `ttl`: there the documents stay until the database is dropped.
"""

from __future__ import annotations

from typing import Any

from azure.cosmos import ContainerProxy, DatabaseProxy
from azure.cosmos import exceptions as cosmos_errors

from core import schema

_ATTEMPTS = 3  # patch, create, patch again after losing the create to another instance


class CosmosRateLimiter:
    def __init__(self, database: DatabaseProxy) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.RATE_LIMITS.name)

    def take(self, *, key: str, limit: int, expires_after_seconds: int, count: int = 1) -> bool:
        if count < 1 or limit < count:
            return False
        for _ in range(_ATTEMPTS):
            try:
                self._c.patch_item(
                    item=key,
                    partition_key=key,
                    patch_operations=[{"op": "incr", "path": "/calls", "value": int(count)}],
                    filter_predicate=f"FROM c WHERE c.calls <= {int(limit) - int(count)}",
                    no_response=True,
                )
                return True
            except cosmos_errors.CosmosAccessConditionFailedError:
                return False  # the window cannot take `count` more calls
            except cosmos_errors.CosmosResourceNotFoundError:
                pass  # the window's first call: create its counter
            body: dict[str, Any] = {"id": key, "calls": int(count), "ttl": int(expires_after_seconds)}
            try:
                self._c.create_item(body)
                return True
            except cosmos_errors.CosmosResourceExistsError:
                continue  # another instance created it first: count on its document
        return False  # the counter kept appearing and vanishing (its expiry at that very moment): refuse this once
