"""Expiry by the store (docs/privacy-and-retention.md, "Which kinds expire how"): the per-item time-to-live that
each writer stamps, from the account's retention settings and legal holds.

Cosmos DB counts an item's `ttl` (seconds) from its last write (`_ts`), so a ttl is always "the item's end minus
the time of this write". An item of a held account or member gets `NEVER` (-1). Every account-aged item's end is
its retention end plus `margin_days`: the purge backstop deletes at the exact cutoff, and the margin is the time a
newly placed hold has to reach the items already stored (the re-stamp job) before the store would delete them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

NEVER = -1  # Cosmos DB: an item ttl of -1 never expires (the container's defaultTtl must be set, -1 here)
SOON = 1  # the smallest ttl: an item whose end has passed goes at once (a lifted hold, a shortened retention)
DAY = timedelta(days=1)


def ttl_until(end: datetime, now: datetime) -> int:
    """Seconds from this write (`now`) to `end`, at least SOON."""
    return max(SOON, math.ceil((end - now).total_seconds()))


@dataclass(frozen=True)
class ExpiryPlan:
    """One account's expiry: its location and access-log retention in days, the margin, and its active holds.
    `account_held` holds everything of the account; `held_users` the members under a hold of their own."""

    account_id: str
    location_days: int
    access_log_days: int
    margin_days: int
    account_held: bool = False
    held_users: frozenset[str] = frozenset()

    def held(self, user_ids: Iterable[str | None] = ()) -> bool:
        return self.account_held or any(u in self.held_users for u in user_ids if u is not None)

    def _ttl(self, *, user_ids: Iterable[str | None], start: datetime, days: int, now: datetime) -> int:
        if self.held(user_ids):
            return NEVER
        return ttl_until(start + timedelta(days=days + self.margin_days), now)

    def location_ttl(self, *, user_id: str, start: datetime, now: datetime) -> int:
        """A location item aged from `start` (a ping day's END, a withheld ping's time, a site or coarse day's
        start: the same moment the purge ages it from)."""
        return self._ttl(user_ids=(user_id,), start=start, days=self.location_days, now=now)

    def access_log_ttl(self, *, subject_user_ids: Iterable[str], at: datetime, now: datetime) -> int:
        """An access-log entry: held when any worker it names is held."""
        return self._ttl(user_ids=subject_user_ids, start=at, days=self.access_log_days, now=now)


def platform_ttl(*, start: datetime, days: int, now: datetime) -> int:
    """Platform-wide kinds without holds (page views, finished outbox entries): `days` after `start`, exactly."""
    return ttl_until(start + timedelta(days=days), now)


class TtlRestampMessage(BaseModel):
    """One step of a re-stamp job: the scope (an account, or one member of it), the kind and where it stopped."""

    restamp: str = Field(default="ttl", description="marks the message as a re-stamp step on the shared queue")
    account_id: str = Field(alias="accountId")
    user_id: str | None = Field(default=None, alias="userId")
    kind: int = 0
    continuation: str | None = None
    reason: str = ""

    model_config = {"populate_by_name": True}
