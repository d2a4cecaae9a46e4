"""Private zones (docs/private-zones.md): one document per member and account in the member's partition of `users`
(id private-zones-{accountId}, docType private-zones), read with one point read by the ingest call and the writer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from azure.core import MatchConditions
from azure.cosmos import DatabaseProxy
from azure.cosmos import exceptions as cosmos_errors

from core import schema
from core.adapters.cosmos_privacy import UserPartitionDocKind
from core.domain.errors import Conflict
from core.domain.private_zones import DOC_TYPE, SECRET_FIELDS, PrivateZones


def zones_doc_id(account_id: str) -> str:
    return f"{DOC_TYPE}-{account_id}"


class CosmosPrivateZoneStore:
    def __init__(self, database: DatabaseProxy) -> None:
        self._c = database.get_container_client(schema.USERS.name)

    def get_zones(self, *, account_id: str, user_id: str) -> PrivateZones:
        try:
            doc: dict[str, Any] = self._c.read_item(item=zones_doc_id(account_id), partition_key=user_id)
        except cosmos_errors.CosmosResourceNotFoundError:
            return PrivateZones(account_id=account_id, user_id=user_id)
        etag = doc.get("_etag")
        return PrivateZones(account_id=account_id, user_id=user_id, zones=doc.get("zones") or [],
                            version=str(etag) if etag else None)

    def save_zones(self, zones: PrivateZones) -> None:
        """Write what was read and changed; Conflict when someone else changed it since (the caller reads again)."""
        doc_id = zones_doc_id(zones.account_id)
        body: dict[str, Any] = {"id": doc_id, "docType": DOC_TYPE, "userId": zones.user_id,
                "account_id": zones.account_id,
                "zones": [z.model_dump(mode="json") for z in zones.zones]}
        try:
            if zones.version is None:
                self._c.create_item(body)
            else:
                self._c.replace_item(item=doc_id, body=body, etag=zones.version,
                                     match_condition=MatchConditions.IfNotModified)
        except cosmos_errors.CosmosResourceExistsError as exc:
            raise Conflict("The private zones changed meanwhile.") from exc
        except cosmos_errors.CosmosAccessConditionFailedError as exc:
            raise Conflict("The private zones changed meanwhile.") from exc
        except cosmos_errors.CosmosResourceNotFoundError as exc:
            raise Conflict("The private zones changed meanwhile.") from exc


class PrivateZoneKind(UserPartitionDocKind):
    """The privacy registry's view (core/adapters/cosmos_privacy.py): exported without the secrets (margins and
    shifted centres never leave the server), deleted on erasure and with a closed account."""

    def __init__(self, database: DatabaseProxy) -> None:
        super().__init__(database, name="private-zones", doc_type=DOC_TYPE, export_file="private-zones.json",
                         description="Your private zones (centre, radius, when each was added and removed): places"
                                     " where no position of yours is stored.")

    def export(self, *, account_id: str, user_id: str) -> Iterator[dict[str, Any]]:
        for doc in super().export(account_id=account_id, user_id=user_id):
            zones = doc.get("zones") or []
            yield {**doc, "zones": [{k: v for k, v in z.items() if k not in SECRET_FIELDS} for z in zones]}
