"""Cosmos DB side of the coarsened history (docs/coarsened-history.md).

* a member's day of pings: the `pings` container, partition accountId|userId|yyyy-mm-dd (the tracking area's
  stored form, `core.adapters.cosmos_tracking.ping_doc`); coarse points are stored there too, ids `coarse-HHMM`;
* day markers (`coarse-day-{userId}-{day}`, docType `coarse-day`) and per-member watermarks
  (`coarse-watermark-{userId}`, docType `coarse-watermark`): the `privacy` container, the account's partition;
* the member's latest position (`latest-positions`, id = userId) when it is older than N days: snapped in place;
* the run's cursor and receipts: the `privacy` container's platform partition (`coarsening-cursor`,
  `coarsening-run-{runId}`; counts per account and day, no member ids).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime

from azure.cosmos import ContainerProxy, DatabaseProxy
from azure.cosmos import exceptions as cosmos_errors

from core import schema
from core.adapters.cosmos import compare_and_swap, strip_system, to_doc
from core.adapters.cosmos_expiry import Stamp
from core.adapters.cosmos_live_map import LiveMapBump
from core.adapters.cosmos_tracking import ping_doc, ping_from_doc, ping_partition, ping_ttl
from core.adapters.privacy_kinds import delete_doc, first_page, iso
from core.domain.coarse_history import CoarseDay, CoarseningCursor, CoarseningRun, day_start
from core.domain.geohash import coarse_cell
from core.domain.privacy import PLATFORM_PARTITION
from core.domain.tracking import Ping

MARKER_DOC_TYPE = "coarse-day"
WATERMARK_DOC_TYPE = "coarse-watermark"
DELETE_THREADS = 8
DAY_PAGE = 5_000  # a day's pings in few pages (each page is a round trip; the emulator scans per page)


def marker_id(user_id: str, day: date) -> str:
    return f"coarse-day-{user_id}-{day.isoformat()}"


class CosmosCoarseHistoryStore:
    def __init__(self, database: DatabaseProxy, stamp: Stamp | None = None) -> None:
        self._stamp = stamp  # the coarse points and day markers carry the location ttl, as the pings they replace
        self._pings: ContainerProxy = database.get_container_client(schema.PINGS.name)
        self._privacy: ContainerProxy = database.get_container_client(schema.PRIVACY.name)
        self._latest: ContainerProxy = database.get_container_client(schema.LATEST_POSITIONS.name)
        self._live_map = LiveMapBump(database)

    # ---- the day's pings
    def day_pings(self, *, account_id: str, user_id: str, day: date) -> list[Ping]:
        pk = ping_partition(account_id, user_id, day)
        docs = self._pings.query_items(
            "SELECT * FROM c WHERE c.pk = @pk",
            parameters=[{"name": "@pk", "value": pk}],
            partition_key=pk,
            max_item_count=DAY_PAGE,
        )
        return [ping_from_doc(d) for d in docs]

    def put_points(self, *, account_id: str, user_id: str, day: date, points: list[Ping]) -> None:
        pk = ping_partition(account_id, user_id, day)
        ttl = ping_ttl(self._stamp, account_id, user_id, day)
        for p in points:
            self._pings.upsert_item(ping_doc(pk, p, ttl))

    def delete_pings(self, *, account_id: str, user_id: str, day: date, ping_ids: list[str]) -> int:
        """Point deletes, DELETE_THREADS at a time (transactional batches would take 100 per request on Azure, but
        the emulator cannot parse a batch delete's partition key). An error in any delete propagates after the
        others finished: the run stops and the next one completes the day."""
        pk = ping_partition(account_id, user_id, day)

        def one(ping_id: str) -> bool:
            return delete_doc(self._pings, ping_id, pk)

        if len(ping_ids) <= 1:
            return sum(one(i) for i in ping_ids)
        with ThreadPoolExecutor(DELETE_THREADS) as pool:
            return sum(pool.map(one, ping_ids))

    def coarsen_latest(self, *, account_id: str, user_id: str, before: datetime) -> bool:
        try:
            doc = self._latest.read_item(item=user_id, partition_key=account_id)
        except cosmos_errors.CosmosResourceNotFoundError:
            return False
        if doc.get("coarse") or doc["t"] >= int(before.timestamp() * 1000):
            return False
        cell = coarse_cell(doc["lat"], doc["lon"])
        lat, lon = cell.centre
        changed = {
            **{k: v for k, v in doc.items() if not k.startswith("_")},
            "lat": round(lat, 7),
            "lon": round(lon, 7),
            "acc": round(cell.half_diagonal_m),
            "coarse": True,
        }
        # False: the writer moved it meanwhile, to a newer ping, coarsened when it is old enough
        if not compare_and_swap(self._latest, changed, etag=doc["_etag"]):
            return False
        self._live_map.bump(account_id)
        return True

    # ---- markers and watermarks (the account's partition of `privacy`)
    def get_marker(self, *, account_id: str, user_id: str, day: date) -> CoarseDay | None:
        try:
            doc = self._privacy.read_item(item=marker_id(user_id, day), partition_key=account_id)
        except cosmos_errors.CosmosResourceNotFoundError:
            return None
        return CoarseDay.model_validate(strip_system(doc))

    def put_marker(self, marker: CoarseDay) -> None:
        doc = to_doc(
            marker,
            doc_id=marker_id(marker.user_id, marker.day),
            doc_type=MARKER_DOC_TYPE,
            accountId=marker.account_id,
        )
        if self._stamp is not None:
            doc["ttl"] = self._stamp.plan(marker.account_id).location_ttl(
                user_id=marker.user_id, start=day_start(marker.day), now=self._stamp.now()
            )
        self._privacy.upsert_item(doc)

    def coarse_days(self, *, account_id: str, user_id: str, first: date, last: date) -> list[date]:
        docs = self._privacy.query_items(
            "SELECT VALUE c.day FROM c WHERE c.accountId = @a AND c.docType = @t AND c.user_id = @u"
            " AND c.day >= @first AND c.day <= @last",
            parameters=[
                {"name": "@a", "value": account_id},
                {"name": "@t", "value": MARKER_DOC_TYPE},
                {"name": "@u", "value": user_id},
                {"name": "@first", "value": first.isoformat()},
                {"name": "@last", "value": last.isoformat()},
            ],
            partition_key=account_id,
        )
        return sorted(date.fromisoformat(str(d)) for d in docs)

    def get_watermark(self, *, account_id: str, user_id: str) -> date | None:
        try:
            doc = self._privacy.read_item(item=f"coarse-watermark-{user_id}", partition_key=account_id)
        except cosmos_errors.CosmosResourceNotFoundError:
            return None
        return date.fromisoformat(str(doc["next_day"]))

    def put_watermark(self, *, account_id: str, user_id: str, day: date) -> None:
        self._privacy.upsert_item(
            {
                "id": f"coarse-watermark-{user_id}",
                "docType": WATERMARK_DOC_TYPE,
                "accountId": account_id,
                "user_id": user_id,
                "next_day": day.isoformat(),
            }
        )

    # ---- the run (platform partition)
    def get_cursor(self) -> CoarseningCursor | None:
        try:
            doc = self._privacy.read_item(item="coarsening-cursor", partition_key=PLATFORM_PARTITION)
        except cosmos_errors.CosmosResourceNotFoundError:
            return None
        return CoarseningCursor.model_validate(strip_system(doc))

    def put_cursor(self, cursor: CoarseningCursor) -> None:
        self._privacy.upsert_item(
            to_doc(cursor, doc_id="coarsening-cursor", doc_type="coarsening-cursor", accountId=PLATFORM_PARTITION)
        )

    def put_run(self, run: CoarseningRun) -> None:
        self._privacy.upsert_item(
            to_doc(run, doc_id=f"coarsening-run-{run.run_id}", doc_type="coarsening-run", accountId=PLATFORM_PARTITION)
        )

    def prune_runs(self, before: datetime, limit: int) -> int:
        docs, _ = first_page(
            self._privacy,
            "SELECT c.id FROM c WHERE c.accountId = @a AND c.docType = 'coarsening-run' AND c.started_at < @before",
            [{"name": "@a", "value": PLATFORM_PARTITION}, {"name": "@before", "value": iso(before)}],
            PLATFORM_PARTITION,
            limit,
        )
        return sum(1 for d in docs if delete_doc(self._privacy, d["id"], PLATFORM_PARTITION))

    def list_runs(self, limit: int) -> list[CoarseningRun]:
        docs = self._privacy.query_items(
            "SELECT * FROM c WHERE c.accountId = @a AND c.docType = 'coarsening-run'",
            parameters=[{"name": "@a", "value": PLATFORM_PARTITION}],
            partition_key=PLATFORM_PARTITION,
        )
        runs = [CoarseningRun.model_validate(strip_system(d)) for d in docs]
        return sorted(runs, key=lambda r: r.started_at, reverse=True)[:limit]
