"""Cosmos DB adapters for job sites and the evaluated days of visits (docs/job-sites.md).

All in the `accounts` container (partition /accountId), docTypes:
* `job-site` (id job-site-{siteId}): the site;
* `job-site-cell` (id job-site-cell-{siteId}-{cell}): one per geohash cell the site reaches, with a copy of the
  site, so the pings writer finds the sites near a member's fixes with one query on `cell`, whatever the number
  of sites in the account;
* `site-day` (id site-day-{userId}-{yyyy-mm-dd}): one member's local day, its settled part: events, closed
  visits, final stops and trips;
* `site-day-open` (id open-day-{userId}-{yyyy-mm-dd}): the same day's open part: open visits, the stops and trips
  still open, the end state and the open day a flush continues from.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from itertools import islice
from typing import Any

from azure.cosmos import ContainerProxy, DatabaseProxy
from azure.cosmos import exceptions as cosmos_errors

from core import schema
from core.adapters.cosmos import compare_and_swap, strip_system, to_doc
from core.adapters.cosmos_expiry import Stamp
from core.domain.job_sites import JobSite
from core.domain.site_visits import SettledDay, SiteDay, joined, open_part, settled_part

SITE, CELL, DAY, OPEN = "job-site", "job-site-cell", "site-day", "site-day-open"


def _site_id(site_id: str) -> str:
    return f"job-site-{site_id}"


def _cell_id(site_id: str, cell: str) -> str:
    return f"job-site-cell-{site_id}-{cell}"


def _site(doc: dict[str, Any]) -> JobSite:
    body = strip_system(doc)
    return JobSite.model_validate(
        {k: v for k, v in body.items() if k not in ("id", "docType", "accountId", "cells", "cell", "version")}
    )


def site_docs(site: JobSite, cells: list[str]) -> list[dict[str, Any]]:
    """The cell entries, then the site document (the order put_site writes them in)."""
    version = site.updated_at.isoformat()
    docs = [
        to_doc(
            site,
            doc_id=_cell_id(site.site_id, cell),
            doc_type=CELL,
            accountId=site.account_id,
            cell=cell,
            version=version,
        )
        for cell in cells
    ]
    return [
        *docs,
        to_doc(
            site, doc_id=_site_id(site.site_id), doc_type=SITE, accountId=site.account_id, cells=cells, version=version
        ),
    ]


class CosmosJobSiteStore:
    def __init__(self, database: DatabaseProxy) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.ACCOUNTS.name)

    def _read(self, account_id: str, site_id: str) -> dict[str, Any] | None:
        try:
            doc: dict[str, Any] = self._c.read_item(item=_site_id(site_id), partition_key=account_id)
        except cosmos_errors.CosmosResourceNotFoundError:
            return None
        return doc if doc.get("docType") == SITE else None

    def get_site(self, account_id: str, site_id: str) -> JobSite | None:
        doc = self._read(account_id, site_id)
        return None if doc is None else _site(doc)

    def put_site(self, site: JobSite, cells: list[str]) -> None:
        """Cell entries first, then the site, then the stale entries: a crash in between leaves entries that the
        reader resolves by `version` (the newest copy of a site wins; older entries are ignored)."""
        previous = self._read(site.account_id, site.site_id)
        for doc in site_docs(site, cells):
            self._c.upsert_item(doc)
        for cell in set(previous.get("cells", []) if previous else []) - set(cells):
            self._delete(_cell_id(site.site_id, cell), site.account_id)

    def _delete(self, doc_id: str, account_id: str) -> bool:
        try:
            self._c.delete_item(item=doc_id, partition_key=account_id)
            return True
        except cosmos_errors.CosmosResourceNotFoundError:
            return False

    def delete_site(self, account_id: str, site_id: str) -> bool:
        doc = self._read(account_id, site_id)
        if doc is None:
            return False
        for cell in doc.get("cells", []):
            self._delete(_cell_id(site_id, cell), account_id)
        return self._delete(_site_id(site_id), account_id)

    def list_sites(self, account_id: str, *, after: str | None, limit: int) -> tuple[list[JobSite], str | None]:
        docs = list(
            islice(
                self._c.query_items(
                    "SELECT * FROM c WHERE c.accountId = @a AND c.docType = @t AND c.site_id > @after ORDER BY c.site_id",
                    parameters=[
                        {"name": "@a", "value": account_id},
                        {"name": "@t", "value": SITE},
                        {"name": "@after", "value": after or ""},
                    ],
                    partition_key=account_id,
                    max_item_count=limit + 1,
                ),
                limit + 1,
            )
        )
        sites = [_site(d) for d in docs[:limit]]
        return sites, (sites[-1].site_id if len(docs) > limit else None)

    # Which sites apply to a member (assigned to them, or to everyone) is decided by JobSite.applies_to on the
    # account's sites read in site-id order: one single-partition query, and the local emulator answers array
    # functions (ARRAY_CONTAINS, ARRAY_LENGTH, IS_DEFINED) about 30 times slower than a plain docType filter.

    def _sites_in_order(self, account_id: str, after: str | None, page: int) -> Iterator[JobSite]:
        docs = self._c.query_items(
            "SELECT * FROM c WHERE c.accountId = @a AND c.docType = @t AND c.site_id > @after ORDER BY c.site_id",
            parameters=[
                {"name": "@a", "value": account_id},
                {"name": "@t", "value": SITE},
                {"name": "@after", "value": after or ""},
            ],
            partition_key=account_id,
            max_item_count=page,
        )
        return (_site(d) for d in docs)

    def sites_for_member(self, account_id: str, user_id: str) -> list[JobSite]:
        mine = (s for s in self._sites_in_order(account_id, None, 1000) if s.applies_to(user_id))
        return sorted(mine, key=lambda s: (s.name.lower(), s.site_id))

    def list_sites_for_member(
        self, account_id: str, user_id: str, *, after: str | None, limit: int
    ) -> tuple[list[JobSite], str | None]:
        mine = (s for s in self._sites_in_order(account_id, after, limit + 1) if s.applies_to(user_id))
        found = list(islice(mine, limit + 1))
        sites = found[:limit]
        return sites, (sites[-1].site_id if len(found) > limit else None)

    def sites_by_id(self, account_id: str, site_ids: list[str]) -> list[JobSite]:
        docs = self._c.query_items(
            "SELECT * FROM c WHERE c.accountId = @a AND c.docType = @t AND ARRAY_CONTAINS(@ids, c.site_id)",
            parameters=[
                {"name": "@a", "value": account_id},
                {"name": "@t", "value": SITE},
                {"name": "@ids", "value": site_ids},
            ],
            partition_key=account_id,
        )
        return [_site(d) for d in docs]

    def sites_in_cells(self, account_id: str, cells: list[str]) -> tuple[list[JobSite], dict[str, list[str]]]:
        if not cells:
            return [], {}
        docs = self._c.query_items(
            "SELECT * FROM c WHERE c.accountId = @a AND c.docType = @t AND ARRAY_CONTAINS(@cells, c.cell)",
            parameters=[
                {"name": "@a", "value": account_id},
                {"name": "@t", "value": CELL},
                {"name": "@cells", "value": sorted(set(cells))},
            ],
            partition_key=account_id,
        )
        newest: dict[str, dict[str, Any]] = {}
        found: dict[str, list[tuple[str, str]]] = {}
        for d in docs:
            found.setdefault(d["site_id"], []).append((d["version"], d["cell"]))
            if d["site_id"] not in newest or d["version"] > newest[d["site_id"]]["version"]:
                newest[d["site_id"]] = d
        sites = [_site(d) for _, d in sorted(newest.items())]
        in_cells = {s: sorted(c for v, c in entries if v == newest[s]["version"]) for s, entries in found.items()}
        return sites, in_cells


def _open_id(user_id: str, day: date) -> str:
    return f"open-day-{user_id}-{day.isoformat()}"


def _settled_id(user_id: str, day: date) -> str:
    return f"site-day-{user_id}-{day.isoformat()}"


def _site_day(doc: dict[str, Any]) -> SiteDay:
    return SiteDay.model_validate({k: v for k, v in strip_system(doc).items() if k in SiteDay.model_fields})


def _is_whole(doc: dict[str, Any]) -> bool:
    """A `site-day` document written before the day was stored in two parts: the whole day in one."""
    return "ping_count" in doc


def _settled(doc: dict[str, Any] | None) -> SettledDay:
    if doc is None:
        return SettledDay()
    if _is_whole(doc):
        return settled_part(_site_day(doc))
    return SettledDay.model_validate({k: doc[k] for k in SettledDay.model_fields if k in doc})


class CosmosSiteDayStore:
    """A member's local day in two documents of the account's partition (docs/job-sites.md, "The day in two
    documents"): `site-day` (id site-day-{userId}-{day}) holds the settled part (events, closed visits, final
    stops and trips), written only when it changes; `site-day-open` (id open-day-{userId}-{day}) holds the open
    part (open visits, the stops and trips still open, the end state, the open day), read and replaced by every
    flush. The open part's ETag is the day's version; both parts are written in one transactional batch when the
    settled part changes. A `site-day` document holding a whole day (stored before the two parts) is read as
    that day until its day is written again."""

    def __init__(self, database: DatabaseProxy, stamp: Stamp | None = None) -> None:
        self._c: ContainerProxy = database.get_container_client(schema.ACCOUNTS.name)
        self._stamp = stamp

    def _read(self, doc_id: str, account_id: str) -> dict[str, Any] | None:
        try:
            doc: dict[str, Any] = self._c.read_item(item=doc_id, partition_key=account_id)
        except cosmos_errors.CosmosResourceNotFoundError:
            return None
        return doc

    def get_day(self, account_id: str, user_id: str, day: date) -> SiteDay | None:
        return self.read_day(account_id, user_id, day)[0]

    def read_day(self, account_id: str, user_id: str, day: date) -> tuple[SiteDay | None, str | None]:
        opened = self._read(_open_id(user_id, day), account_id)
        settled = self._read(_settled_id(user_id, day), account_id)
        return _joined(opened, settled), (str(opened["_etag"]) if opened else None)

    def read_open(self, account_id: str, user_id: str, day: date) -> tuple[SiteDay | None, str | None]:
        opened = self._read(_open_id(user_id, day), account_id)
        if opened is not None:
            return _site_day(opened), str(opened["_etag"])
        # a new day, or one stored whole before the two parts (its open part, written as new next time)
        settled = self._read(_settled_id(user_id, day), account_id)
        whole = _site_day(settled) if settled is not None and _is_whole(settled) else None
        return (open_part(whole) if whole is not None and whole.open is not None else whole), None

    def _extra(self, site_day: SiteDay) -> dict[str, Any]:
        extra: dict[str, Any] = {
            "accountId": site_day.account_id,
            "day_start_utc": site_day.day_start.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),  # retention's time field
        }
        if self._stamp is not None:
            extra["ttl"] = self._stamp.plan(site_day.account_id).location_ttl(
                user_id=site_day.user_id, start=site_day.day_start, now=self._stamp.now()
            )
        return extra

    def _docs(self, site_day: SiteDay) -> tuple[dict[str, Any], dict[str, Any]]:
        extra = self._extra(site_day)
        opened = to_doc(open_part(site_day), doc_id=_open_id(site_day.user_id, site_day.day), doc_type=OPEN, **extra)
        head = site_day.model_dump(mode="json", include=set(_SETTLED_HEAD))
        settled = {
            **settled_part(site_day).model_dump(mode="json"),
            **head,
            "id": _settled_id(site_day.user_id, site_day.day),
            "docType": DAY,
            **extra,
        }
        return opened, settled

    def put_day(self, site_day: SiteDay, *, version: str | None, settled: bool) -> bool:
        """Optimistic concurrency on the open part: two writers evaluating the same day from different sets of
        pings never leave the older result last (the loser evaluates again). With `settled`, the settled part is
        written in the same transactional batch, after the open part's condition: all or nothing."""
        if site_day.open is None:  # a day without an open state (nothing continues it): one document, whole
            whole = to_doc(site_day, doc_id=_settled_id(site_day.user_id, site_day.day), doc_type=DAY)
            return compare_and_swap(self._c, {**whole, **self._extra(site_day)}, etag=version)
        opened, settled_doc = self._docs(site_day)
        if not settled:
            return compare_and_swap(self._c, opened, etag=version)
        first: tuple[Any, ...] = (
            ("create", (opened,))
            if version is None
            else ("replace", (opened["id"], opened), {"if_match_etag": version})
        )
        try:
            self._c.execute_item_batch(
                batch_operations=[first, ("upsert", (settled_doc,))], partition_key=site_day.account_id
            )
        except cosmos_errors.CosmosBatchOperationError as exc:
            if exc.error_index == 0 and exc.status_code in (404, 409, 412):
                return False  # another writer wrote (or removed) the day since it was read
            raise
        return True

    def list_days(self, account_id: str, *, user_id: str | None, first: date, last: date) -> list[SiteDay]:
        docs = self._c.query_items(
            "SELECT * FROM c WHERE c.accountId = @a AND (c.docType = @t OR c.docType = @o) AND c.day >= @f"
            " AND c.day <= @l AND (IS_NULL(@u) OR c.user_id = @u)",
            parameters=[
                {"name": "@a", "value": account_id},
                {"name": "@t", "value": DAY},
                {"name": "@o", "value": OPEN},
                {"name": "@f", "value": first.isoformat()},
                {"name": "@l", "value": last.isoformat()},
                {"name": "@u", "value": user_id},
            ],
            partition_key=account_id,
        )
        parts: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        for d in docs:
            parts.setdefault((str(d["user_id"]), str(d["day"])), {})[str(d["docType"])] = d
        days = [day for p in parts.values() if (day := _joined(p.get(OPEN), p.get(DAY))) is not None]
        return sorted(days, key=lambda d: (d.day, d.user_id))


_SETTLED_HEAD = ("account_id", "user_id", "day", "time_zone", "day_start", "day_end", "evaluated_at")


def _joined(opened: dict[str, Any] | None, settled: dict[str, Any] | None) -> SiteDay | None:
    """The whole day from its two documents: a settled part alone is a day only when it holds a whole day (stored
    before the two parts); alone otherwise, it is what a removal in progress left: no day."""
    if opened is None:
        return _site_day(settled) if settled is not None and _is_whole(settled) else None
    return joined(_settled(settled), _site_day(opened))
