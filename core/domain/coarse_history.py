"""Coarsened history (docs/coarsened-history.md): old pings reduced to one point per member per 15 minutes, placed
at the centre of a cell of at least 1 km^2. Pure: the rule, the day's marker, the run's cursor and receipts.

A coarse point is stored like a ping, in the same day partition, with a deterministic id `coarse-HHMM` (the UTC
start of its bucket). Its time is the bucket's start, its position the centre of the coarse cell (core/domain/
geohash.py) that holds most of the bucket's pings (ties: the cell of the earliest of them), its accuracy the
distance from that centre to the cell's farthest corner, its source the source of the earliest ping in that
cell. Altitude, speed, heading, battery and device are not kept.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

from pydantic import BaseModel, Field

from core.domain.geohash import coarse_cell
from core.domain.tracking import Ping

BUCKET_MINUTES = 15
COARSE_PREFIX = "coarse-"


def is_coarse(ping: Ping) -> bool:
    return ping.ping_id.startswith(COARSE_PREFIX)


def bucket_start(t: datetime) -> datetime:
    t = t.astimezone(UTC)
    return t.replace(minute=t.minute - t.minute % BUCKET_MINUTES, second=0, microsecond=0)


def coarse_id(start: datetime) -> str:
    return f"{COARSE_PREFIX}{start:%H%M}"


def coarse_point(start: datetime, pings: list[Ping]) -> Ping:
    """The one point that stands for a bucket's precise pings (at least one)."""
    ordered = sorted(pings, key=lambda p: (p.t, p.ping_id))
    cells = [coarse_cell(p.lat, p.lon) for p in ordered]
    counts = Counter(c.geohash for c in cells)
    best = max(counts.values())
    index = next(i for i, c in enumerate(cells) if counts[c.geohash] == best)
    cell = cells[index]
    lat, lon = cell.centre
    return Ping(
        ping_id=coarse_id(start),
        t=start,
        lat=round(lat, 7),
        lon=round(lon, 7),
        acc=round(cell.half_diagonal_m),
        src=ordered[index].src,
    )


def coarsen(pings: list[Ping]) -> tuple[list[Ping], list[str]]:
    """What a day's stored pings become: the coarse points to write (buckets that have none yet) and the ids of
    the precise pings to delete afterwards. A bucket that already has its coarse point keeps it unchanged, so a
    run resumed after a crash never recomputes a bucket from part of its pings."""
    done = {p.ping_id for p in pings if is_coarse(p)}
    buckets: dict[datetime, list[Ping]] = {}
    for p in pings:
        if not is_coarse(p):
            buckets.setdefault(bucket_start(p.t), []).append(p)
    new = [coarse_point(start, group) for start, group in sorted(buckets.items()) if coarse_id(start) not in done]
    return new, sorted(p.ping_id for p in pings if not is_coarse(p))


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def last_day_to_coarsen(now: datetime, after_days: int) -> date:
    """The last UTC day wholly older than `after_days` days."""
    return (now - timedelta(days=after_days)).date() - timedelta(days=1)


class CoarseDay(BaseModel):
    """Stored per member and UTC day once the day holds only coarse points (privacy container, the account's
    partition): the day's marker and receipt. It names the member, so it is personal data (kind `coarse-days`)."""

    account_id: str
    user_id: str
    day: date
    day_start_utc: str  # ISO text, for the location-retention purge of the marker with its day
    coarsened_at: datetime
    bucket_minutes: int = BUCKET_MINUTES
    precise_removed: int = Field(description="Precise pings deleted by the run that finished the day.")
    coarse_points: int = Field(description="Coarse points the day holds.")


class CoarseningCursor(BaseModel):
    """Where the coarsening stopped (platform record): the account and the last member finished in it."""

    accounts_after: str | None = None
    current_account: str | None = None
    users_after: str | None = None
    updated_at: datetime | None = None


class DayReceipt(BaseModel):
    account_id: str
    day: date
    members: int = 0
    precise_removed: int = 0
    coarse_points: int = 0


class CoarseningRun(BaseModel):
    """One run's receipts, counts per account and day (no member ids)."""

    run_id: str
    started_at: datetime
    finished_at: datetime | None = None
    receipts: list[DayReceipt] = Field(default_factory=list)
    days_checked: int = 0
    pings_read: int = 0
    held_accounts: list[str] = Field(default_factory=list)
    kept: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Per account, why pings stayed precise: `legal-hold <hold id>`, one per active hold (no ids of"
        " members; the privacy audit log names the member a hold covers).",
    )
    complete_pass: bool = False

    def record(self, account_id: str, day: date, precise_removed: int, coarse_points: int) -> None:
        receipt = next((r for r in self.receipts if r.account_id == account_id and r.day == day), None)
        if receipt is None:
            receipt = DayReceipt(account_id=account_id, day=day)
            self.receipts.append(receipt)
        receipt.members += 1
        receipt.precise_removed += precise_removed
        receipt.coarse_points += coarse_points
