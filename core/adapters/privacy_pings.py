"""Location pings in the privacy registry (docs/tracking.md, docs/privacy-and-retention.md): the `pings` container
that `core/adapters/cosmos_tracking.py` writes (partition `ping_partition`, one per worker per UTC day), and the
pings purge's per-worker watermarks in the `privacy` container.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zipfile import ZipFile

from azure.cosmos import ContainerProxy, DatabaseProxy
from azure.cosmos import exceptions as cosmos_errors

from core import schema
from core.adapters.cosmos import strip_system
from core.adapters.cosmos_tracking import ping_from_doc, ping_partition
from core.adapters.privacy_kinds import KeysetKind, batch_delete, delete_doc, first_page, member_ids
from core.domain.privacy import ItemRef, Page
from core.domain.tracking import Track
from core.domain.tracking_formats import to_geojson, to_gpx


class PingsKind:
    """The `pings` container: one partition per worker per UTC day (pk = accountId|userId|yyyy-mm-dd).

    A day is purged once it lies wholly before the cutoff (pings are kept N full days), so every query is a
    single-partition read of ids with no ordering. A watermark per worker (privacy container, docType
    `pings-watermark`) remembers the first day not yet purged, so a daily run reads only the newly expired day;
    a worker under a legal hold is skipped and their watermark does not move. Continuation: JSON {"u", "d"}.
    """

    name = "pings"
    retention = "location"
    kept_for: str | None = None
    description = "Your location pings (time, position, accuracy), one record per ping."
    export_file: str | None = "pings.json"
    on_erasure = "delete"
    kept_reason = ""
    partitions_per_call = 200

    def __init__(self, database: DatabaseProxy, *, today: Callable[[], date] | None = None) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.PINGS.name)
        self._accounts: ContainerProxy = database.get_container_client(schema.ACCOUNTS.name)
        self._privacy: ContainerProxy = database.get_container_client(schema.PRIVACY.name)
        self._today = today or (lambda: datetime.now(UTC).date())

    def _start(self, account_id: str) -> date:
        try:
            doc = self._accounts.read_item(item=f"account-{account_id}", partition_key=account_id)
            return datetime.fromisoformat(str(doc["created_at"]).replace("Z", "+00:00")).date()
        except (cosmos_errors.CosmosResourceNotFoundError, KeyError, ValueError):
            return self._today() - timedelta(days=3650)

    def _watermark(self, account_id: str, user_id: str) -> date | None:
        try:
            doc = self._privacy.read_item(item=f"pings-watermark-{user_id}", partition_key=account_id)
        except cosmos_errors.CosmosResourceNotFoundError:
            return None
        return date.fromisoformat(str(doc["first_unpurged_day"]))

    def _set_watermark(self, account_id: str, user_id: str, day: date) -> None:
        self._privacy.upsert_item(
            {
                "id": f"pings-watermark-{user_id}",
                "docType": "pings-watermark",
                "accountId": account_id,
                "user_id": user_id,
                "first_unpurged_day": day.isoformat(),
            }
        )

    def _held(self, account_id: str) -> set[str]:
        docs = self._privacy.query_items(
            "SELECT c.user_id FROM c WHERE c.accountId = @a AND c.docType = 'hold' AND IS_NULL(c.lifted_at)",
            parameters=[{"name": "@a", "value": account_id}],
            partition_key=account_id,
        )
        return {str(d["user_id"]) for d in docs if d.get("user_id")}

    def _ids(self, pk: str, limit: int) -> tuple[list[str], bool]:
        docs, more = first_page(
            self._c, "SELECT c.id FROM c WHERE c.pk = @pk", [{"name": "@pk", "value": pk}], pk, limit
        )
        return [str(d["id"]) for d in docs], more

    def expired(self, *, account_id: str, before: datetime | None, continuation: str | None, limit: int) -> Page:
        state = json.loads(continuation) if continuation else {}
        held = self._held(account_id) if before is not None else set()
        end = before.date() if before is not None else self._today() + timedelta(days=1)  # exclusive
        start = self._start(account_id)
        users = [u for u in member_ids(self._accounts, account_id) if u >= state.get("u", "") and u not in held]
        refs: list[ItemRef] = []
        visited = 0
        for user in users:
            mark: date | None = None
            if user == state.get("u") and state.get("d"):
                day = date.fromisoformat(state["d"])
            else:
                mark = self._watermark(account_id, user) if before is not None else None
                day = max(start, mark) if mark else start
            found = len(refs)
            first_listed: date | None = None  # the first day of this worker listed in this call
            while day < end:
                pk = ping_partition(account_id, user, day)
                ids, more = self._ids(pk, limit - len(refs))
                refs += [ItemRef(kind=self.name, partition_key=pk, doc_id=i, user_id=user) for i in ids]
                if ids and first_listed is None:
                    first_listed = day
                visited += 1
                if more or len(refs) >= limit:
                    self._advance(account_id, user, mark, first_listed or day, before)
                    return Page(items=refs, continuation=json.dumps({"u": user, "d": day.isoformat()}))
                day += timedelta(days=1)
                if visited >= self.partitions_per_call:
                    self._advance(account_id, user, mark, first_listed or day, before)
                    return Page(items=refs, continuation=json.dumps({"u": user, "d": day.isoformat()}))
            # The watermark moves up to the first day listed in this call (every day before it was found empty, or
            # was deleted after an earlier call listed it); a day listed now is deleted by the caller after this
            # returns, so a crash before that finds it again. A worker who pings every day therefore costs two
            # partition reads a day (yesterday's day, deleted, and the newly expired one), not one more each day.
            self._advance(account_id, user, mark, first_listed if len(refs) > found else max(end, start), before)
        return Page(items=refs)

    def purged(self, *, account_id: str, before: datetime) -> None:
        """Called by the purge once every page of this pass is listed and deleted: each worker who is not held has
        nothing left before the cutoff, so the watermark moves up to it (a read per worker, a write where it moves)."""
        held = self._held(account_id)
        end = max(before.date(), self._start(account_id))
        for user in member_ids(self._accounts, account_id):
            if user not in held:
                self._advance(account_id, user, self._watermark(account_id, user), end, before)

    def _advance(
        self, account_id: str, user: str, mark: date | None, day: date | None, before: datetime | None
    ) -> None:
        """Move the worker's watermark to `day` when the run ages data (`before`) and it moves forward; a pass that
        found nothing new leaves an unchanged watermark alone (one write saved per worker and pass)."""
        if before is not None and day is not None and (mark is None or day > mark):
            self._set_watermark(account_id, user, day)

    def of_user(self, *, account_id: str, user_id: str, continuation: str | None, limit: int) -> Page:
        day = date.fromisoformat(continuation) if continuation else self._start(account_id)
        refs: list[ItemRef] = []
        while day <= self._today():
            pk = ping_partition(account_id, user_id, day)
            ids, more = self._ids(pk, limit - len(refs))
            refs += [ItemRef(kind=self.name, partition_key=pk, doc_id=i, user_id=user_id) for i in ids]
            if more or len(refs) >= limit:
                return Page(items=refs, continuation=day.isoformat())
            day += timedelta(days=1)
        return Page(items=refs)

    def delete(self, ref: ItemRef) -> bool:
        return delete_doc(self._c, ref.doc_id, ref.partition_key)

    def delete_many(self, refs: Sequence[ItemRef]) -> int:
        """A page of pings in transactional batches, one per day partition (BatchDeletes)."""
        return batch_delete(self._c, refs)

    def count_of_user(self, *, account_id: str, user_id: str) -> int | None:
        """The member's pings in every day partition: one query over the range of their partition keys."""
        prefix = ping_partition(account_id, user_id, date(2000, 1, 1))[: -len("2000-01-01")]
        rows: list[Any] = list(
            self._c.query_items(  # nosemgrep: cosmos-query-without-partition-key - one member's day partitions, a range of keys
                "SELECT VALUE COUNT(1) FROM c WHERE c.pk >= @lo AND c.pk < @hi",
                parameters=[{"name": "@lo", "value": prefix}, {"name": "@hi", "value": prefix + "~"}],
                enable_cross_partition_query=True,
            )
        )
        return int(sum(rows)) if rows else 0

    def anonymize(self, ref: ItemRef) -> bool:
        return self.delete(ref)

    def export(self, *, account_id: str, user_id: str) -> Iterator[dict[str, Any]]:
        day = self._start(account_id)
        while day <= self._today():
            pk = ping_partition(account_id, user_id, day)
            for doc in self._c.query_items(
                "SELECT * FROM c WHERE c.pk = @pk", parameters=[{"name": "@pk", "value": pk}], partition_key=pk
            ):
                yield strip_system(doc)
            day += timedelta(days=1)

    def count(self, *, account_id: str) -> int:
        return -1  # not counted: it would read every day partition of every worker

    def _day_docs(self, account_id: str, user_id: str, day: date) -> list[dict[str, Any]]:
        pk = ping_partition(account_id, user_id, day)
        return list(
            self._c.query_items(
                "SELECT * FROM c WHERE c.pk = @pk ORDER BY c.t",
                parameters=[{"name": "@pk", "value": pk}],
                partition_key=pk,
            )
        )

    def write_export(self, zf: ZipFile, *, account_id: str, user_id: str) -> list[tuple[str, str]]:
        """pings.geojson (one FeatureCollection, written a day at a time) and one GPX file per day, through the
        tracking area's serializers. Memory holds one day."""

        def tracks() -> Iterator[Track]:
            day = self._start(account_id)
            while day <= self._today():
                docs = self._day_docs(account_id, user_id, day)
                if docs:
                    points = [ping_from_doc(d) for d in docs]
                    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
                    yield Track(
                        user_id=user_id,
                        range_from=start,
                        range_to=start + timedelta(days=1),
                        points=points,
                        raw_count=len(points),
                    )
                day += timedelta(days=1)

        with zf.open("pings.geojson", "w", force_zip64=True) as out:
            out.write(b'{"type": "FeatureCollection", "features": [')
            first = True
            for track in tracks():
                for feature in to_geojson(track)["features"]:
                    out.write((b"" if first else b",\n") + json.dumps(feature).encode())
                    first = False
            out.write(b"]}\n")
        days = 0
        for track in tracks():  # a second pass: a ZIP takes one open entry at a time
            zf.writestr(f"pings-gpx/{track.range_from.date().isoformat()}.gpx", to_gpx(track))
            days += 1
        return [
            (
                "pings.geojson",
                "Your location pings as GeoJSON (RFC 7946), coordinates [longitude, latitude]: for each"
                " day a line of the track and one point per ping with its time and readings.",
            ),
            ("pings-gpx/<day>.gpx", f"Your location pings as GPX 1.1, one file per day ({days} days)."),
        ]


def pings_watermark_kind(database: DatabaseProxy) -> KeysetKind:
    """Where the pings purge of a worker stopped (user ids, in `privacy`): not aged (kept while the account exists),
    deleted on erasure and with a closed account's personal data after its window."""
    return KeysetKind(
        database,
        name="pings-watermarks",
        doc_type="pings-watermark",
        user_field="user_id",
        export_file=None,
        container=schema.PRIVACY.name,
        description="Where the purge of your location pings stopped (a day).",
    )
