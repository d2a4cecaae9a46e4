"""A scale model of one day of expiry and purge work (issue 27), no emulator: requests, request units (RU) and
timer time of the daily purge at 1,000 / 10,000 / 100,000 accounts, today's design (`main`: a walk over every
account, 20,000 items a day, one delete request per item) beside the new one (expiry by Cosmos DB time-to-live,
the purge a backstop over its work index, batched deletes, fair turns).

    python -m bench.retention_scale [ACCOUNTS ...]

The world: each account has 10 members, each member stores 960 pings a day (one every 30 s for 8 h) in one day
partition, retention is 30 days, and the day measured is the first on which a day of pings passes 30 days. A few
accounts are special at every size: HELD accounts under a legal hold (nothing of theirs may go), SHORTENED
accounts that lowered their retention from 60 to 30 days today (30 more days of pings to delete at once), CLOSED
accounts whose 90-day window ended today (their 120 days of pings and about 60 other documents per member go).

Counts are aggregates per kind of request (no ping is materialised). The cost model is Cosmos DB's documented
request-unit charges (learn.microsoft.com, "Request Units in Azure Cosmos DB" and "Optimize request cost"): a
point read of a 1 KB item 1 RU; a write (create/upsert/replace) of a 1 KB item about 5.7 RU (here 6); a delete
about 5.7 RU (here 5.5: no indexed content to add); a query 2.9 RU at least, plus about 0.03 RU per id returned by
a single-partition id query (here 2.9 + 0.03 x items); a transactional batch the sum of its operations, in one
request, at most 100 operations on one partition key. Time-to-live deletions are done by the service in the
background out of throughput left over (documented: "TTL deletion uses leftover RU") and cost no request of ours:
they are counted apart. Timer time: 10 ms per request, one request at a time.

Today's design (git show main:core/services/purge.py): every run walks accounts in id order, about 22 requests per
quiet active account (measured by bench/purge_pass), and spends at most 20,000 items a day, one delete request per
item, listing day partitions in pages of 500; an account's backlog must finish before the next account is touched.
The new design: pings expire by TTL; the purge visits only the index's due accounts (one query per 100 entries),
deletes in batches of 100, gives each account one turn of at most 500 items before moving on, and stops each run
after 240 s of timer time; the model counts how many such runs the day's backstop work needs and assumes an hourly
timer (RUNS_PER_DAY = 24; the schedule in functions/privacy.py is still daily): work beyond 24 runs is left expired.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field

MEMBERS = 10
PINGS_PER_DAY = 960
RETENTION_DAYS = 30
SHORTENED_FROM_DAYS = 60
CLOSED_DAYS_OF_PINGS = 120
OTHER_DOCS_PER_MEMBER = 60  # profile, consents, schedules, access log, photos, notes... of a closed account
HELD, SHORTENED, CLOSED = 3, 3, 3
MS_PER_REQUEST = 10
QUIET_ACCOUNT_REQUESTS = 22  # today's walk: requests per active account with nothing expired (bench/purge_pass)
OLD_BUDGET = 20_000
OLD_PAGE = 500
NEW_TURN = 500
NEW_RUN_SECONDS = 240
BATCH = 100
RUNS_PER_DAY = 24

RU = {"read": 1.0, "write": 6.0, "delete": 5.5, "query": 2.9}
RU_PER_ID = 0.03


@dataclass
class Meter:
    """Requests and RU by operation; `ttl` counts items removed by the service's time-to-live (no request)."""

    requests: Counter[str] = field(default_factory=Counter)
    ru: dict[str, float] = field(default_factory=dict)
    ttl: int = 0

    def op(self, kind: str, n: int = 1, items: int = 0) -> None:
        self.requests[kind] += n
        self.ru[kind] = self.ru.get(kind, 0.0) + RU[kind] * n + (RU_PER_ID * items if kind == "query" else 0.0)

    def batch_deletes(self, items: int) -> None:
        batches = -(-items // BATCH)
        self.requests["batch"] += batches
        self.ru["batch"] = self.ru.get("batch", 0.0) + RU["delete"] * items

    def total_requests(self) -> int:
        return sum(self.requests.values())

    def total_ru(self) -> float:
        return sum(self.ru.values())


@dataclass
class Figures:
    requests: int
    ru: float
    longest_run_s: float
    runs: int
    left_expired: int
    ttl_deletes: int


def _expired_today(accounts: int) -> tuple[int, int, int]:
    """Items past their retention today: (plain expiry of active accounts, shortened accounts, closed accounts)."""
    day = MEMBERS * PINGS_PER_DAY
    plain = (accounts - HELD - SHORTENED - CLOSED) * day
    shortened = SHORTENED * (SHORTENED_FROM_DAYS - RETENTION_DAYS + 1) * day
    closed = CLOSED * (CLOSED_DAYS_OF_PINGS * day + MEMBERS * OTHER_DOCS_PER_MEMBER)
    return plain, shortened, closed


def old_design(accounts: int) -> Figures:
    """One daily run of today's purge: the walk stops when 20,000 items are spent. The first accounts' expired day
    (9,600 pings each) fills the budget, so the walk never reaches most accounts."""
    meter = Meter()
    plain, shortened, closed = _expired_today(accounts)
    expired = plain + shortened + closed
    budget = OLD_BUDGET
    per_account = MEMBERS * PINGS_PER_DAY
    deleted = 0
    visited = 0
    while budget > 0 and visited < accounts:
        visited += 1
        meter.op("query", QUIET_ACCOUNT_REQUESTS)  # the account's own reads and one empty page per kind
        take = min(budget, per_account)
        meter.op("query", -(-take // OLD_PAGE), items=take)
        meter.op("delete", take)
        deleted += take
        budget -= take
    meter.op("write", 2 * visited)  # run record and cursor after every page that found items
    seconds = meter.total_requests() * MS_PER_REQUEST / 1000
    return Figures(meter.total_requests(), meter.total_ru(), seconds, 1, expired - deleted, 0)


def new_design(accounts: int) -> Figures:
    """The day's backstop work over the index, cut into runs of at most 240 s of timer time."""
    meter = Meter()
    plain, shortened, closed = _expired_today(accounts)
    meter.ttl = plain  # the service removes them; HELD accounts' pings carry no TTL while the hold stands
    due = SHORTENED + CLOSED + HELD  # held accounts are visited once, reported and leave the index
    meter.op("query", -(-due // 100) + 1, items=due)  # the index: one query per 100 due entries, one empty answer
    meter.op("read", 4 * due)  # plan: holds, account, closure, retention settings
    for items in [(SHORTENED_FROM_DAYS - RETENTION_DAYS + 1) * MEMBERS * PINGS_PER_DAY] * SHORTENED + [
        CLOSED_DAYS_OF_PINGS * MEMBERS * PINGS_PER_DAY + MEMBERS * OTHER_DOCS_PER_MEMBER
    ] * CLOSED:
        pages = -(-items // NEW_TURN)
        meter.op("query", pages, items=items)  # one single-partition id query per turn's page
        meter.batch_deletes(items)
        meter.op("write", pages)  # the entry's progress after each turn
    meter.op("write", due + 2)  # each account's reschedule or removal, the run record, the cursor
    total_s = meter.total_requests() * MS_PER_REQUEST / 1000
    runs = max(1, -(-int(total_s) // NEW_RUN_SECONDS))
    done = min(1.0, RUNS_PER_DAY * NEW_RUN_SECONDS / total_s) if total_s else 1.0
    left = round((shortened + closed) * (1 - done))
    return Figures(meter.total_requests(), meter.total_ru(), min(total_s, NEW_RUN_SECONDS), runs, left, meter.ttl)


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [1_000, 10_000, 100_000]
    head = (
        f"{'accounts':>9} {'design':>6} {'requests/day':>13} {'RU/day':>13} {'longest run s':>14} {'runs':>5}"
        f" {'left expired':>13} {'TTL deletes':>12}"
    )
    sys.stdout.write(head + "\n")
    for n in sizes:
        for name, fig in (("today", old_design(n)), ("new", new_design(n))):
            sys.stdout.write(
                f"{n:>9,} {name:>6} {fig.requests:>13,} {fig.ru:>13,.0f} {fig.longest_run_s:>14,.1f} {fig.runs:>5}"
                f" {fig.left_expired:>13,} {fig.ttl_deletes:>12,}\n"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
