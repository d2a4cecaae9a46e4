"""Optional analytics' page views in the `page-views` container (one partition per UTC day), and their entries in
the privacy registry (docs/privacy-signals.md).

- `CosmosPageViewStore`: writes an event, reads one day's minimal summaries for the admin's counts.
- `PageViewKind` (account registry): a signed-in person's own events, in their export and deleted on erasure and
  with a closed account. Found across day partitions by `account_id`/`user_id` (keyset pages on the id).
- `AgedPageViewKind` (platform registry): every event older than RETENTION_PAGE_VIEWS_DAYS, signed in or not,
  swept day partition by day partition.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from azure.cosmos import ContainerProxy, DatabaseProxy

from core import schema
from core.adapters.cosmos import strip_system, to_doc
from core.adapters.privacy_kinds import delete_doc
from core.domain.expiry import platform_ttl
from core.domain.page_views import DOC_TYPE, PageView
from core.domain.privacy import ItemRef, Page

_EXPORTED = ("at", "path", "browser", "os", "network")


class CosmosPageViewStore:
    def __init__(
        self, database: DatabaseProxy, *, keep_days: int | None = None, now: Callable[[], datetime] | None = None
    ) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.PAGE_VIEWS.name)
        self._keep_days = keep_days  # RETENTION_PAGE_VIEWS_DAYS whole UTC days: a view's ttl ends with its day's
        self._now = now

    def add(self, view: PageView) -> None:
        doc = to_doc(view, doc_id=view.view_id, doc_type=DOC_TYPE)
        if self._keep_days is not None and self._now is not None:
            day_end = datetime.combine(date.fromisoformat(view.day), time(0), tzinfo=UTC) + timedelta(days=1)
            doc["ttl"] = platform_ttl(start=day_end, days=self._keep_days, now=self._now())
        self._c.create_item(doc)

    def day_summaries(self, day: date, *, limit: int) -> list[tuple[str, str, str, bool]]:
        rows = self._c.query_items(
            "SELECT c.path, c.browser, c.os, c.user_id FROM c WHERE c.day = @d AND c.docType = @t",
            parameters=[{"name": "@d", "value": day.isoformat()}, {"name": "@t", "value": DOC_TYPE}],
            partition_key=day.isoformat(),
            max_item_count=min(limit, 1000),
        )
        out: list[tuple[str, str, str, bool]] = []
        for row in rows:
            out.append((str(row.get("path")), str(row.get("browser")), str(row.get("os")), bool(row.get("user_id"))))
            if len(out) >= limit:
                break
        return out


def _query(c: ContainerProxy, where: str, params: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    docs = c.query_items(  # nosemgrep: cosmos-query-without-partition-key - one person's events span day partitions
        "SELECT * FROM c WHERE c.docType = @t AND " + where + " ORDER BY c.id",  # noqa: S608  # nosec B608 - fixed
        parameters=[{"name": "@t", "value": DOC_TYPE}, *params],
        enable_cross_partition_query=True,
        max_item_count=limit,
    )
    out: list[dict[str, Any]] = []
    for doc in docs:
        out.append(doc)
        if len(out) >= limit:
            break
    return out


class PageViewKind:
    """A signed-in person's page views (they carry account and user ids)."""

    name = "page-views"
    retention = "account"  # aged platform-wide by AgedPageViewKind; here: erasure, export and a closed account
    kept_for: str | None = None
    on_erasure = "delete"
    kept_reason = ""
    export_file: str | None = "page-views.json"
    description = (
        "Pages of the portal you viewed while signed in, after you allowed optional analytics: when,"
        " the page path, browser and operating-system family and your network (address truncated)."
    )

    def __init__(self, database: DatabaseProxy) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.PAGE_VIEWS.name)

    def _page(self, where: str, params: list[dict[str, Any]], after: str | None, limit: int) -> Page:
        docs = _query(self._c, where + " AND c.id > @after", [*params, {"name": "@after", "value": after or ""}], limit)
        refs = [
            ItemRef(
                kind=self.name,
                partition_key=str(d["day"]),
                doc_id=str(d["id"]),
                user_id=str(d["user_id"]) if d.get("user_id") else None,
            )
            for d in docs
        ]
        return Page(items=refs, continuation=refs[-1].doc_id if len(refs) >= limit else None)

    def expired(self, *, account_id: str, before: datetime | None, continuation: str | None, limit: int) -> Page:
        if before is not None:
            return Page(items=[])  # aged by AgedPageViewKind
        return self._page("c.account_id = @a", [{"name": "@a", "value": account_id}], continuation, limit)

    def of_user(self, *, account_id: str, user_id: str, continuation: str | None, limit: int) -> Page:
        return self._page(
            "c.account_id = @a AND c.user_id = @u",
            [{"name": "@a", "value": account_id}, {"name": "@u", "value": user_id}],
            continuation,
            limit,
        )

    def delete(self, ref: ItemRef) -> bool:
        return delete_doc(self._c, ref.doc_id, ref.partition_key)

    def anonymize(self, ref: ItemRef) -> bool:
        return self.delete(ref)

    def export(self, *, account_id: str, user_id: str) -> Iterator[dict[str, Any]]:
        after: str | None = None
        while True:
            docs = _query(
                self._c,
                "c.account_id = @a AND c.user_id = @u AND c.id > @after",
                [
                    {"name": "@a", "value": account_id},
                    {"name": "@u", "value": user_id},
                    {"name": "@after", "value": after or ""},
                ],
                200,
            )
            for doc in docs:
                kept = strip_system(doc)
                yield {key: kept.get(key) for key in _EXPORTED}
            if len(docs) < 200:
                return
            after = str(docs[-1]["id"])

    def count(self, *, account_id: str) -> int:
        rows = self._c.query_items(  # nosemgrep: cosmos-query-without-partition-key - spans day partitions
            "SELECT VALUE COUNT(1) FROM c WHERE c.docType = @t AND c.account_id = @a",
            parameters=[{"name": "@t", "value": DOC_TYPE}, {"name": "@a", "value": account_id}],
            enable_cross_partition_query=True,
        )
        counts: list[Any] = list(rows)  # one partial count per partition
        return sum(int(n) for n in counts)


class AgedPageViewKind:
    """Every page view older than the retention, signed in or not: a platform-wide sweep, oldest day first."""

    name = "page-views-aged"

    def __init__(self, database: DatabaseProxy, retention_days: int) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.PAGE_VIEWS.name)
        self.retention_days = retention_days

    def expired_page(self, *, before: datetime, limit: int) -> list[ItemRef]:
        docs = self._c.query_items(  # nosemgrep: cosmos-query-without-partition-key - daily sweep, bounded by limit
            "SELECT c.id, c.day FROM c WHERE c.docType = @t AND c.day < @before",
            parameters=[{"name": "@t", "value": DOC_TYPE}, {"name": "@before", "value": before.date().isoformat()}],
            enable_cross_partition_query=True,
            max_item_count=limit,
        )
        refs: list[ItemRef] = []
        for doc in docs:
            refs.append(ItemRef(kind=self.name, partition_key=str(doc["day"]), doc_id=str(doc["id"])))
            if len(refs) >= limit:
                break
        return refs

    def delete(self, ref: ItemRef) -> bool:
        return delete_doc(self._c, ref.doc_id, ref.partition_key)
