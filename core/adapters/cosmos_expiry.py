"""Expiry by the store, the SDK side (docs/privacy-and-retention.md, "Which kinds expire how"):

* `Stamp`: what a writer adapter needs to stamp `ttl` on the items it writes (the account's plan and the clock);
* `CosmosTtlRestamper`: rewrites the `ttl` of the items already stored of an account or a member, a page at a time
  (the re-stamp job, core/services/expiry.py): pings, withheld pings, site days (both parts), coarse days,
  access-log entries;
* `EmulatorStoreClock`: local only, moves the local Cosmos DB server's clock (`/_emulator/clock` of
  tools/cosmos-emulator.js) with the app's test clock, so items expire under a moved test clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, ClassVar

import httpx
from azure.cosmos import DatabaseProxy
from azure.cosmos import exceptions as cosmos_errors

from core import schema
from core.adapters.cosmos_live_map import LiveMapBump
from core.domain.expiry import DAY, ExpiryPlan
from core.ports import ExpiryPlans

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stamp:
    """Handed to the writer adapters by the composition root: the plans and the app's clock."""

    plans: ExpiryPlans
    now: Callable[[], datetime]

    def plan(self, account_id: str) -> ExpiryPlan:
        return self.plans.for_account(account_id)


def _iso_time(value: Any) -> datetime:
    text = str(value)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def ping_day_end(pk: str) -> datetime:
    """A ping partition `accountId|userId|yyyy-mm-dd` ends at the next UTC midnight: the day expires as a whole."""
    day = date.fromisoformat(pk.rsplit("|", 1)[1])
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + DAY


def _ping_ttl(doc: dict[str, Any], plan: ExpiryPlan, now: datetime) -> int:
    user_id = str(doc["pk"]).split("|")[1]
    return plan.location_ttl(user_id=user_id, start=ping_day_end(str(doc["pk"])), now=now)


def _position_ttl(doc: dict[str, Any], plan: ExpiryPlan, now: datetime) -> int:
    t = datetime.fromtimestamp(int(doc["t"]) / 1000, tz=UTC)
    end = datetime(t.year, t.month, t.day, tzinfo=UTC) + DAY
    return plan.location_ttl(user_id=str(doc["user_id"]), start=end, now=now)


def _withheld_ttl(doc: dict[str, Any], plan: ExpiryPlan, now: datetime) -> int:
    return plan.location_ttl(user_id=str(doc["userId"]), start=_iso_time(doc["t"]), now=now)


def _day_start_ttl(doc: dict[str, Any], plan: ExpiryPlan, now: datetime) -> int:
    start = doc.get("day_start_utc")
    moment = _iso_time(start) if start else datetime.fromisoformat(str(doc["day"])).replace(tzinfo=UTC)
    return plan.location_ttl(user_id=str(doc["user_id"]), start=moment, now=now)


def _access_ttl(doc: dict[str, Any], plan: ExpiryPlan, now: datetime) -> int:
    subjects = [str(u) for u in doc.get("subject_user_ids") or []]
    return plan.access_log_ttl(subject_user_ids=subjects, at=_iso_time(doc["at"]), now=now)


@dataclass(frozen=True)
class _Kind:
    container: str
    ttl: Callable[[dict[str, Any], ExpiryPlan, datetime], int]


class CosmosTtlRestamper:
    """Re-stamps with a read of one page and one upsert per item whose ttl changes (an upsert restarts the expiry
    clock, so the new ttl counts from now, as the plan computes it). Pings are found by a query on the partition
    key's prefix (`accountId|` or `accountId|userId|`): the one cross-partition query here, paged; a member's other
    kinds live in one partition."""

    KINDS: ClassVar[dict[str, _Kind]] = {
        "pings": _Kind(schema.PINGS.name, _ping_ttl),
        "withheld-pings": _Kind(schema.USERS.name, _withheld_ttl),
        "site-visits": _Kind(schema.ACCOUNTS.name, _day_start_ttl),
        "site-visits-open": _Kind(schema.ACCOUNTS.name, _day_start_ttl),
        "coarse-days": _Kind(schema.PRIVACY.name, _day_start_ttl),
        "access-log": _Kind(schema.ACCESS_LOG.name, _access_ttl),
        "latest-positions": _Kind(schema.LATEST_POSITIONS.name, _position_ttl),
    }
    kinds = tuple(KINDS)

    def __init__(self, database: DatabaseProxy, members: Callable[[str], list[str]]) -> None:
        self._db = database
        self._members = members  # the account's member ids (withheld pings live in each member's partition)

    def _query(self, kind: str, account_id: str, user_id: str | None, continuation: str | None, limit: int) -> Any:
        container = self._db.get_container_client(self.KINDS[kind].container)
        if kind == "pings":
            prefix = f"{account_id}|{user_id}|" if user_id else f"{account_id}|"
            query = container.query_items(  # nosemgrep: cosmos-query-without-partition-key - a member's days, paged
                "SELECT * FROM c WHERE STARTSWITH(c.pk, @p)",
                parameters=[{"name": "@p", "value": prefix}],
                enable_cross_partition_query=True,
                max_item_count=limit,
            )
            return query.by_page(continuation)
        if kind == "withheld-pings":
            # continuation: "<member index>:<sdk continuation>" over the scope's members
            members = [user_id] if user_id else sorted(self._members(account_id))
            index, _, token = (continuation or "0:").partition(":")
            return members, int(index), token or None
        doc_type = {
            "site-visits": "site-day",
            "site-visits-open": "site-day-open",
            "coarse-days": "coarse-day",
            "access-log": "access",
            "latest-positions": "latest-position",
        }[kind]
        user_clause = ""
        parameters: list[dict[str, Any]] = [{"name": "@a", "value": account_id}, {"name": "@d", "value": doc_type}]
        if user_id is not None:
            user_clause = (
                " AND ARRAY_CONTAINS(c.subject_user_ids, @u)" if kind == "access-log" else " AND c.user_id = @u"
            )
            parameters.append({"name": "@u", "value": user_id})
        query = container.query_items(
            f"SELECT * FROM c WHERE c.accountId = @a AND c.docType = @d{user_clause}",  # noqa: S608  # nosec B608 - fixed clauses, values as parameters
            parameters=parameters,
            partition_key=account_id,
            max_item_count=limit,
        )
        return query.by_page(continuation)

    def _rewrite(self, kind: str, docs: list[dict[str, Any]], plan: ExpiryPlan, now: datetime) -> int:
        container = self._db.get_container_client(self.KINDS[kind].container)
        done = 0
        for doc in docs:
            ttl = self.KINDS[kind].ttl(doc, plan, now)
            if doc.get("ttl") == ttl and ttl == -1:
                continue  # held already: nothing to move
            body = {k: v for k, v in doc.items() if not k.startswith("_")}
            body["ttl"] = ttl
            try:
                container.upsert_item(body)
            except cosmos_errors.CosmosResourceNotFoundError:
                continue
            done += 1
        if done and kind == "latest-positions":
            # a position's expiry is part of what the live map's answer promises (its ETag's validity)
            LiveMapBump(self._db).bump(str(docs[0]["accountId"]))
        return done

    def restamp_page(
        self,
        *,
        kind: str,
        plan: ExpiryPlan,
        user_id: str | None,
        continuation: str | None,
        limit: int,
        now: datetime,
    ) -> tuple[int, str | None]:
        found = self._query(kind, plan.account_id, user_id, continuation, limit)
        if kind == "withheld-pings":
            members, index, token = found
            if index >= len(members):
                return 0, None
            container = self._db.get_container_client(schema.USERS.name)
            pager: Any = container.query_items(
                "SELECT * FROM c WHERE c.userId = @u AND c.docType = 'withheld-ping' AND c.account_id = @a",
                parameters=[{"name": "@u", "value": members[index]}, {"name": "@a", "value": plan.account_id}],
                partition_key=members[index],
                max_item_count=limit,
            ).by_page(token)
            docs = list(next(pager, []))
            done = self._rewrite(kind, docs, plan, now)
            following = pager.continuation_token
            if following:
                return done, f"{index}:{following}"
            return done, (f"{index + 1}:" if index + 1 < len(members) else None)
        docs = list(next(found, []))
        done = self._rewrite(kind, docs, plan, now)
        return done, found.continuation_token or None


class EmulatorStoreClock:
    """Local only (the root builds it only with the test clock, APP_ENVIRONMENT=local): the local Cosmos DB server's
    clock follows the app's test clock. A server without the control endpoint (an older launcher) is logged and
    left alone: items then expire by the real time only."""

    def __init__(self, endpoint: str) -> None:
        self._url = endpoint.rstrip("/") + "/_emulator/clock"

    def move(self, *, offset_seconds: float) -> None:
        try:  # nosec B501 - the local server's self-signed certificate, local only
            response = httpx.put(
                self._url,
                json={"offsetSeconds": offset_seconds},
                verify=False,  # noqa: S501  # nosec B501 - the local server's self-signed certificate, local only
                timeout=5,
            )
        except httpx.HTTPError as exc:
            log.warning("the local Cosmos DB server's clock was not moved (%s)", type(exc).__name__)
            return
        if response.status_code >= 400:
            log.warning("the local Cosmos DB server has no clock control (HTTP %d)", response.status_code)
