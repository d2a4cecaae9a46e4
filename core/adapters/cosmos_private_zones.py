"""Private zones (docs/private-zones.md): one document per member and account in the member's partition of `users`
(id private-zones-{accountId}, docType private-zones), read with one point read by the ingest call and the writer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from azure.cosmos import DatabaseProxy
from azure.cosmos import exceptions as cosmos_errors

from core import schema
from core.adapters.cosmos import compare_and_swap
from core.adapters.cosmos_expiry import Stamp
from core.adapters.privacy_kinds import KeysetKind
from core.domain.errors import Conflict
from core.domain.private_zones import DOC_TYPE, SECRET_FIELDS, WITHHELD_DOC_TYPE, PrivateZones, WithheldPing


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
        return PrivateZones(
            account_id=account_id, user_id=user_id, zones=doc.get("zones") or [], version=str(etag) if etag else None
        )

    def save_zones(self, zones: PrivateZones) -> None:
        """Write what was read and changed; Conflict when someone else changed it since (the caller reads again)."""
        doc_id = zones_doc_id(zones.account_id)
        body: dict[str, Any] = {
            "id": doc_id,
            "docType": DOC_TYPE,
            "userId": zones.user_id,
            "account_id": zones.account_id,
            "zones": [z.model_dump(mode="json") for z in zones.zones],
        }
        if not compare_and_swap(self._c, body, etag=zones.version):
            raise Conflict("The private zones changed meanwhile.")


class PrivateZoneKind(KeysetKind):
    """The privacy registry's view (core/adapters/privacy_registry.py): exported without the secrets (margins and
    shifted centres never leave the server), deleted on erasure and with a closed account."""

    def __init__(self, database: DatabaseProxy) -> None:
        super().__init__(
            database,
            name="private-zones",
            doc_type=DOC_TYPE,
            export_file="private-zones.json",
            container=schema.USERS.name,
            partition="userId",
            description="Your private zones (centre, radius, when each was added and removed): places"
            " where no position of yours is stored.",
        )

    def export(self, *, account_id: str, user_id: str) -> Iterator[dict[str, Any]]:
        for doc in super().export(account_id=account_id, user_id=user_id):
            zones = doc.get("zones") or []
            yield {**doc, "zones": [{k: v for k, v in z.items() if k not in SECRET_FIELDS} for z in zones]}


def _iso_ms(t: datetime) -> str:
    """Fixed width (milliseconds, Z) so that the text order is the time order."""
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class CosmosWithheldPingStore:
    """Pings withheld inside private zones: one small document per ping in the member's partition of `users`
    (id withheld-{accountId}-{pingId}, docType withheld-ping, `t`; never a position). Aged with location data."""

    def __init__(self, database: DatabaseProxy, stamp: Stamp | None = None) -> None:
        self._c = database.get_container_client(schema.USERS.name)
        self._stamp = stamp

    def record(self, *, account_id: str, user_id: str, withheld: list[WithheldPing]) -> None:
        plan = self._stamp.plan(account_id) if self._stamp is not None and withheld else None
        for w in withheld:
            body: dict[str, Any] = {
                "id": f"withheld-{account_id}-{w.ping_id}",
                "docType": WITHHELD_DOC_TYPE,
                "userId": user_id,
                "account_id": account_id,
                "ping_id": w.ping_id,
                "t": _iso_ms(w.t),
            }
            if w.applied_zone:
                body["applied_zone"] = w.applied_zone
            if plan is not None and self._stamp is not None:
                body["ttl"] = plan.location_ttl(user_id=user_id, start=w.t, now=self._stamp.now())
            try:
                self._c.create_item(body)
            except cosmos_errors.CosmosResourceExistsError:
                pass  # a replay, or withheld before: the first record stays

    def times_between(self, *, account_id: str, user_id: str, start: datetime, end: datetime) -> list[datetime]:
        docs = self._c.query_items(
            "SELECT VALUE c.t FROM c WHERE c.userId = @u AND c.docType = @d AND c.account_id = @a"
            " AND c.t >= @s AND c.t < @e ORDER BY c.t",
            parameters=[
                {"name": "@u", "value": user_id},
                {"name": "@d", "value": WITHHELD_DOC_TYPE},
                {"name": "@a", "value": account_id},
                {"name": "@s", "value": _iso_ms(start)},
                {"name": "@e", "value": _iso_ms(end)},
            ],
            partition_key=user_id,
        )
        return [datetime.fromisoformat(str(t).replace("Z", "+00:00")) for t in docs]

    def count_applied(self, *, account_id: str, user_id: str, zone_id: str) -> int:
        docs: list[Any] = list(
            self._c.query_items(
                "SELECT VALUE COUNT(1) FROM c WHERE c.userId = @u AND c.docType = @d AND c.account_id = @a"
                " AND c.applied_zone = @z",
                parameters=[
                    {"name": "@u", "value": user_id},
                    {"name": "@d", "value": WITHHELD_DOC_TYPE},
                    {"name": "@a", "value": account_id},
                    {"name": "@z", "value": zone_id},
                ],
                partition_key=user_id,
            )
        )
        return int(docs[0]) if docs else 0


class WithheldPingKind(KeysetKind):
    """The privacy registry's view of withheld pings: location data (aged with the account's location retention),
    exported, deleted on erasure and with a closed account."""

    def __init__(self, database: DatabaseProxy) -> None:
        super().__init__(
            database,
            name="withheld-pings",
            doc_type=WITHHELD_DOC_TYPE,
            time_field="t",
            container=schema.USERS.name,
            partition="userId",
            retention="location",
            export_file="withheld-pings.json",
            description="When pings of yours were withheld inside a private zone (time and ping id;"
            " no position is stored).",
        )
