"""What a worker costs per month, itemised, from what the code does per call and Azure's documented charges
(issue 31).

    .venv/bin/python -m bench.cost [--workers 1000 100000] [--capacity .local/bench/capacity.json]
    make bench                     (bench/summary.py prints the same model)

The crew (`Crew`): a ping every 30 s for 8 hours a day, 22 days a month, in calls of 10 pings (every 5 minutes), in
accounts of 25 workers whose owner keeps the live map open through the shift; location and access-log retention
at the platform defaults (365 days). Each design below is a list of operations per worker-day taken from the code
(`ledger`): every Cosmos DB request with its container, kind, document size and indexed terms, priced in request
units by Cosmos DB's documented charges (`create_ru`, `replace_ru`, ...); function executions and their time, by
Flex scale group (billed while an instance runs an execution, a second at least: `flex_instance_seconds`); queue
operations and the host's polling; telemetry records; blobs; e-mail. Storage is priced at steady state: what
the retention keeps (a year of pings), not one month's growth. Cosmos DB throughput is priced two ways: serverless
(every RU, expiry deletes included) and the production parameters (infra/params/prod.bicepparam, read by `prod_parameter`: autoscale with the
maximum it sets, zone redundant, continuous backup in the tier it sets; billed per hour at the highest RU/s, never below
a tenth of the maximum; expiry deletes use the throughput left over).

Designs: `today` (main before issue 31), `issue31` (the writer carrying its day state, the live map's positions
version and coalesced access log, telemetry sampled (the host's invocation spans included, `RISKS` prices the case where the host ignores the setting), prod's autoscale maximum sized to the crew, the ingest
rate limit leased ten calls at a time: each modelled from the
code as issue 31 describes it), and
`next` (issue31 plus every change in `LEVERS`, the ones this model points to: pings coarsened after 30 days, pings
packed one document per call, the live map's
member list cached under a membership version, 512 MB instances; none of them
is built). The
target is at most 0.05 USD per worker-month, the goal 0.03. The crew is the whole platform's: its fixed floors (two
Flex instances through the shift, the autoscale minimum) weigh per worker on a small platform.

Prices: each a constant with its source and the date read; a price that could not be read from the sources
reachable here says so, with the figure assumed. Free grants are not deducted.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
READ_ON = "2026-12-07"

# ---------------------------------------------------------------- Cosmos DB request charges (documented)
# https://learn.microsoft.com/azure/cosmos-db/understand-request-unit-consumption (read 2026-12-07): RU of a read
# and of a write by document size; a create adds 0.2 RU per indexed term; a replace deletes the old document and
# inserts the new (2 x the size charge) plus 0.2 per modified indexed term removed and 0.2 per term inserted; a
# patch adds 0.4 per operation; a delete is the size charge plus 0.2 per indexed term; feed reads cost about what
# reading each document would; TTL deletion is a background task on the throughput left over (provisioned), and on a
# serverless account it is charged like a delete (https://learn.microsoft.com/azure/cosmos-db/time-to-live).
SIZE_KB = (1, 2, 4, 8, 16, 32, 64, 128)
READ_RU = (1.00, 1.04, 1.14, 1.33, 1.67, 2.19, 4.76, 9.95)
WRITE_RU = (4.95, 6.29, 6.67, 7.04, 9.52, 11.23, 22.67, 48.19)
RU_PER_INDEXED_TERM = 0.2
RU_PER_PATCH_OPERATION = 0.4
# A query's fixed part: NOT documented as a figure. Assumption: 2.3 RU, the smallest charge Cosmos DB reports for a
# single-partition query served by the index; plus the documents it loads at 1 RU per KB (the feed rule above).
QUERY_BASE_RU = 2.3

# ---------------------------------------------------------------- list prices (USD, pay as you go, one region)
# Cosmos DB. Official pages (https://azure.microsoft.com/pricing/details/cosmos-db/) NOT reachable from here;
# figures as last published there, to check before relying on them:
COSMOS_SERVERLESS_PER_MILLION_RU = 0.25  # serverless, per million RU (assumption: official page not read)
COSMOS_AUTOSCALE_PER_100_RU_S_HOUR = 0.012  # autoscale, per 100 RU/s of the hour's highest (cloud-horizons.com,
#   2026-05-08, quoting the official page)
COSMOS_ZONE_REDUNDANT_FACTOR = 1.25  # availability zones on a single-region provisioned account (assumption:
#   official page not read)
COSMOS_STORAGE_PER_GB_MONTH = 0.25  # transactional storage, data and index (assumption: official page not read)
COSMOS_CONTINUOUS_30D_PER_GB_MONTH = 0.20  # continuous backup, 30 days (assumption: official page not read)
# Continuous backup, 7 days: no charge. learn.microsoft.com/training/modules/implement-backup-restore-for-azure-
# cosmos-db-sql-api/3-configure-continuous-backup-recovery (read 2026-12-08): Continuous (30 days) "will incur
# additional cost", Continuous (7 days) "is free".
COSMOS_BACKUP_PER_GB_MONTH = {"Continuous7Days": 0.0, "Continuous30Days": COSMOS_CONTINUOUS_30D_PER_GB_MONTH}
COSMOS_INDEX_OVERHEAD = {"narrow": 0.10, "all paths": 0.30}  # index storage over data (assumption)
# Functions Flex Consumption, on demand: https://azure.microsoft.com/pricing/details/functions/ NOT reachable from
# here; as quoted by https://modal.com/blog/azure-function-pricing-guide (2025-05-22).
FLEX_PRICE_PER_GB_S = 0.000026
FLEX_PRICE_PER_MILLION_EXECUTIONS = 0.40
FLEX_FREE_GB_S, FLEX_FREE_EXECUTIONS = 100_000, 250_000  # monthly grants (same source), not deducted
# Queue Storage: NOT found in the sources reachable here. Assumption: USD 0.004 per 10,000 operations of any kind
# (the order of the published class-2 price for LRS; prod's GZRS costs more: check
# https://azure.microsoft.com/pricing/details/storage/queues/).
QUEUE_PRICE_PER_10K_OPS = 0.004
# Log Analytics (Application Insights is workspace-based): NOT found here. Assumption: USD 2.30 per GB ingested
# (Analytics logs, pay as you go; https://azure.microsoft.com/pricing/details/monitor/); 5 GB a month free per
# billing account, not deducted. Billed size per record: assumption 0.7 KB (the billed size is the stored columns,
# https://learn.microsoft.com/azure/azure-monitor/logs/cost-logs, read 2026-12-07).
LOG_ANALYTICS_PER_GB = 2.30
TELEMETRY_RECORD_BYTES = 700
# Blob Storage, hot tier, GZRS as prod (storageSkuName Standard_GZRS): NOT found here. Assumptions: USD 0.045 per
# GB-month and USD 0.13 per 10,000 writes; Defender for Storage malware scanning on upload USD 0.15 per GB scanned.
BLOB_GZRS_HOT_PER_GB_MONTH = 0.045
BLOB_WRITE_PER_10K = 0.13
MALWARE_SCAN_PER_GB = 0.15
# E-mail (Azure Communication Services): https://learn.microsoft.com/azure/communication-services/concepts/pricing
# read 2026-12-07 has no e-mail figure. Assumption: USD 0.00025 per e-mail and USD 0.00012 per MB sent.
EMAIL_PER_MESSAGE, EMAIL_PER_MB = 0.00025, 0.00012

# ---------------------------------------------------------------- production parameters (infra/params/prod.bicepparam)
PROD_PARAMS = ROOT / "infra" / "params" / "prod.bicepparam"


def prod_parameter(name: str, path: Path = PROD_PARAMS) -> int:
    """A whole-number parameter as infra/params/prod.bicepparam sets it: the model prices what is deployed."""
    found = re.search(rf"^param {name} = (\d+)\s*$", path.read_text(), re.MULTILINE)
    if found is None:
        raise ValueError(f"{path.name} sets no whole number for {name}")
    return int(found.group(1))


def prod_string_parameter(name: str, path: Path = PROD_PARAMS) -> str:
    """A quoted string parameter as infra/params/prod.bicepparam sets it."""
    found = re.search(rf"^param {name} = '([^']*)'\s*$", path.read_text(), re.MULTILINE)
    if found is None:
        raise ValueError(f"{path.name} sets no string for {name}")
    return found.group(1)


PROD_AUTOSCALE_MAX_RU_S = prod_parameter("cosmosAutoscaleMaxThroughput")
PROD_BACKUP_TIER = prod_string_parameter("cosmosBackupTier")
AUTOSCALE_MIN_MAX_RU_S = (
    1_000  # the smallest autoscale maximum (learn.microsoft.com/azure/cosmos-db/provision-throughput-autoscale)
)
PROD_FLEX_MAX_INSTANCES = prod_parameter("functionMaximumInstanceCount")
PROD_INSTANCE_MB = prod_parameter("functionInstanceMemoryMB")
# learn.microsoft.com/azure/azure-functions/flex-consumption-plan (MicrosoftDocs/azure-docs, read 2026-12-07): instance
# memory 512 MB with 0.25 cores, 2,048 MB with 1 core, 4,096 MB with 2 cores ("typical allocations"). One execution
# of this Python app runs on one core at most.
CORES_BY_INSTANCE_MB = {512: 0.25, 2048: 1.0, 4096: 2.0}
PROD_ALWAYS_READY = 0  # no alwaysReady in functionapp.bicep: on demand only
# functionZoneRedundant true in prod: no separate Flex charge for it is modelled (NOT found in the sources here)
# https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan (read 2026-12-07): an instance is billed
# while it executes at least one function, "the minimum billable execution period ... is 1,000 ms", then rounded up
# to 100 ms; all HTTP functions scale together, each other function on its own instances (per-function scaling);
# instance memory: CORES_BY_INSTANCE_MB above. Executions per instance: HTTP concurrency "depends on the instance memory size"
# (figure not read here; assumption 16 at 2,048 MB); the writer takes host.json's batch of 16.
FLEX_MIN_BILLED_S = 1.0
FLEX_CONCURRENCY = {"http": 16, "writer": 16, "photos": 4}
HOURS_PER_MONTH = 730
AZURE_ROUND_TRIP_S = 0.010  # per backend request inside a function (Cosmos DB point operations, p99 in region)
QUEUE_TRIGGERS = 7  # queue-triggered functions in functions/ (each polls its queue)
MAX_POLLING_INTERVAL_S = 2.0  # host.json extensions.queues.maxPollingInterval: an idle queue is polled this often
SCALE_CONTROLLER_CHECK_S = 10.0  # the platform's queue-length checks per queue: NOT documented; assumption


# ---------------------------------------------------------------- request units by operation


def _per_kb(table: tuple[float, ...], size_bytes: float) -> float:
    """The documented charge at `size_bytes`, linear between the table's sizes (1 KB and less: the 1 KB figure)."""
    kb = max(1.0, size_bytes / 1024)
    for i in range(1, len(SIZE_KB)):
        k0, k1, v0, v1 = SIZE_KB[i - 1], SIZE_KB[i], table[i - 1], table[i]
        if kb <= k1:
            return v0 + (v1 - v0) * (kb - k0) / (k1 - k0)
    return table[-1] * kb / SIZE_KB[-1]


def read_ru(size_bytes: float) -> float:
    return _per_kb(READ_RU, size_bytes)


def create_ru(size_bytes: float, indexed_terms: int) -> float:
    return _per_kb(WRITE_RU, size_bytes) + RU_PER_INDEXED_TERM * indexed_terms


def replace_ru(size_bytes: float, modified_terms: int) -> float:
    return 2 * _per_kb(WRITE_RU, size_bytes) + 2 * RU_PER_INDEXED_TERM * modified_terms


def patch_ru(size_bytes: float, operations: int, modified_terms: int = 0) -> float:
    return replace_ru(size_bytes, modified_terms) + RU_PER_PATCH_OPERATION * operations


def delete_ru(size_bytes: float, indexed_terms: int) -> float:
    return _per_kb(WRITE_RU, size_bytes) + RU_PER_INDEXED_TERM * indexed_terms


def query_ru(items: float, item_bytes: float) -> float:
    return QUERY_BASE_RU + items * item_bytes / 1024


# ---------------------------------------------------------------- the crew and the designs


@dataclass(frozen=True)
class Crew:
    workers: int = 1_000
    ping_every_s: float = 30
    hours_per_day: float = 8
    days_per_month: float = 22
    pings_per_call: int = 10  # a call every 5 minutes
    account_size: int = 25  # workers per account (the owner's live map shows them all)
    map_open_hours: float = 8  # the owner (or a dispatcher) keeps the live map open through the shift
    map_poll_s: float = 15  # the portal's live-map refresh
    location_days: int = 365  # RETENTION_LOCATION_DAYS
    access_log_days: int = 365  # RETENTION_ACCESS_LOG_DAYS
    photos_per_day: float = 0.25  # a photo every fourth working day (assumption)
    emails_per_month: float = 5  # site-visit notices and digests about the worker (assumption)

    @property
    def pings_per_day(self) -> float:
        return self.hours_per_day * 3600 / self.ping_every_s

    @property
    def calls_per_day(self) -> float:
        return self.pings_per_day / self.pings_per_call

    @property
    def pings_per_month(self) -> float:
        return self.workers * self.pings_per_day * self.days_per_month

    @property
    def active_hours(self) -> float:
        return self.hours_per_day * self.days_per_month

    @property
    def pings_per_s(self) -> float:
        return self.workers / self.ping_every_s

    @property
    def working_days_kept(self) -> float:
        """Working days a retention of `location_days` keeps (22 of every 30.4 days)."""
        return self.location_days * self.days_per_month * 12 / 365


@dataclass(frozen=True)
class Design:
    name: str
    incremental_writer: bool  # writer31: the day's open state carried under an ETag, only new pings evaluated
    positions_version: bool  # live31: an unchanged live-map poll is one point read, answered 304
    coalesced_access_log: bool  # live31: one entry per viewer, subject and kind per 10-minute window
    records_per_ingest_call: float  # worker records (spans + logs) exported per ingest call
    records_per_writer_message: float
    host_records_per_invocation: float  # the host's own records per invocation (its invocation span / logs)
    sampling_ratio: float = 1.0  # TELEMETRY_SAMPLING_RATIO (today: every trace, log lines sent twice)
    # levers this model points to (not built): each one's effect is printed on its own
    coarsen_after_days: int | None = None  # docs/coarsened-history.md (an account setting, off by default)
    members_cached: bool = False  # the live map's member list kept under a membership version
    autoscale_max_ru_s: int | None = None  # cosmosAutoscaleMaxThroughput; None: as prod.bicepparam sets it
    host_sampled: bool = False  # the host's invocation span sampled at the app's ratio
    packed_pings: bool = False  # one document per member and call holding its pings, not one per ping
    counter_in_memory: bool = False  # the ingest rate limit counted per instance, one shared write per 10 calls
    # cpu31: the member record with the member's ingest gate in one query (the gate's copy of the private zones), the
    # retention settings and legal holds in one query, the latest position and the live map's version in one batch
    joined_writer_reads: bool = False
    instance_mb: int = PROD_INSTANCE_MB  # functionInstanceMemoryMB
    backup_tier: str = PROD_BACKUP_TIER  # cosmosBackupTier

    @property
    def instance_gb(self) -> float:
        return self.instance_mb / 1000

    @property
    def cores(self) -> float:
        """The share of a core one execution gets: its CPU time stretches by 1 / cores on smaller instances."""
        return min(1.0, CORES_BY_INSTANCE_MB[self.instance_mb])


TODAY = Design(
    "today",
    incremental_writer=False,
    positions_version=False,
    coalesced_access_log=False,
    # issue 31's estimate from the code: every span exported, every log line twice (host and distro)
    records_per_ingest_call=11,
    records_per_writer_message=17,
    host_records_per_invocation=0,  # counted in the figures above (the host's copies)
    autoscale_max_ru_s=4_000,  # prod.bicepparam before it was sized to the crew
    backup_tier="Continuous30Days",  # prod.bicepparam before the 7-day tier (no charge)
)
ISSUE31 = Design(
    "issue31",
    incremental_writer=True,
    positions_version=True,
    coalesced_access_log=True,
    # tests/unit/test_telemetry_volume.py: 10 and 21 records per traced call and message, kept at the default
    # TELEMETRY_SAMPLING_RATIO of 0.05 (runs of 100 measured 0.30-0.70 and 1.26-1.89)
    records_per_ingest_call=0.05 * 10,
    records_per_writer_message=0.05 * 21,
    # the host's invocation span, sampled at the app's ratio by OTEL_TRACES_SAMPLER(_ARG) in infra (host 4.1048.100
    # and later; not verifiable here: docs/observability.md says how to check it after a deployment)
    host_records_per_invocation=0.05,
    host_sampled=True,
    sampling_ratio=0.05,
    counter_in_memory=True,  # core/services/rate_limits.py LeasedRateLimiter: the counter's patch once in ten calls
    joined_writer_reads=True,  # 7 requests per flush (python -m bench.writer_day, 2026-12-08), 10 before
)
LEVERS: dict[str, dict[str, Any]] = {
    "pings coarsened after 30 days": {"coarsen_after_days": 30},
    "live map: members cached": {"members_cached": True},
    "pings packed per call": {"packed_pings": True},
    # 512 MB instances get 0.25 cores (CPU time x4). The location load fits (bench.load: the app's process peaks
    # at 168 MB with 100 members posting; the worker cold 104), but photo verification at the pixel limit does not
    # (bench.photo_checks, each case in a fresh process: a 50 MP RGBA PNG +442 MB, a 35.5 MP HEIC +267): not built;
    # it needs photo verification in an app of its own (docs/scaling.md, "Instance memory")
    "512 MB instances": {"instance_mb": 512},
}
NEXT = replace(ISSUE31, name="next", **{k: v for lever in LEVERS.values() for k, v in lever.items()})
# What issue31 assumes of the platform and cannot be checked here: each one's cost if it does not hold.
RISKS: dict[str, dict[str, Any]] = {
    "host ignores OTEL_TRACES_SAMPLER": {"host_sampled": False, "host_records_per_invocation": 1},
}
DESIGNS = (TODAY, ISSUE31, NEXT)

# Stored sizes (bytes, system properties included) and indexed terms, from the code and the local runs:
PING_BYTES = 432  # docs/coarsened-history.md: 10,272,900 B / 23,760 pings as stored
PING_TERMS = 2  # pings: /pk and /t only (core/schema.py)
COARSE_FACTOR = 37.2  # the same page: bytes as stored before / after coarsening
LATEST_BYTES, LATEST_MODIFIED_TERMS = 310, 1  # latest-positions: /accountId and /t indexed; t changes
MEMBER_BYTES = 1_200  # a member document (accounts container)
GATE_BYTES = 1_500  # a member's ingest gate: location consents, schedule versions, private zones (assumption)
SITE_DAY_BYTES, SITE_DAY_MODIFIED_TERMS = 10_000, 12  # 5-22 KB; the accounts container indexes every path
# The day in two documents (docs/job-sites.md, `python -m bench.writer_day 960 0`, 2026-12-07): the open part is read
# and replaced every flush (about 1.1 KB, arrays excluded from the index), the settled part (about 2.5 KB at the
# day's end) written 15-17 times in a 16-hour day: 8 in the model's 8-hour day.
DAY_STATE_BYTES, DAY_STATE_MODIFIED_TERMS = 1_100, 6
SETTLED_DAY_BYTES, SETTLED_DAY_REWRITES_PER_DAY = 2_500, 8
VERSION_BYTES = 300  # live-map-version: one small document per account, replaced when a latest position moves
ACCESS_ENTRY_BYTES, ACCESS_BYTES_PER_SUBJECT = 250, 22  # bench/hot_partition.py: ~22 bytes per worker named
PACKED_BYTES_PER_PING = 150  # packed: ~110 bytes of fields per ping plus the document's share (assumption)
RATE_COUNTER_BYTES = 150  # rate-limits: nothing indexed, one `incr` patch per ingest call
PHOTO_BYTES = 3_000_000 + 300_000 + 30_000  # original (metadata removed), display copy, thumbnail (assumption)
CPU_INGEST_S = 0.005  # per 10-ping call (README, issue 21 run: 498 ms per 1,000 pings ingest, with sign-in)
CPU_WRITER_BASE_S = 0.010  # per flush, without the day's re-evaluation (assumption from the same run)
CPU_WRITER_PER_STORED_PING_S = 25e-6  # issue 31: the whole-day re-evaluation, per ping already stored that day
CPU_MAP_POLL_S = 0.015  # per live-map answer (assumption)


@dataclass
class Ledger:
    """Per worker-day: RU by line, executions and their seconds, queue operations, telemetry records; per worker:
    bytes kept at steady state."""

    ru: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    expiry_ru: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    executions: float = 0.0
    execution_s: float = 0.0
    by_group: dict[str, list[float]] = field(default_factory=lambda: defaultdict(lambda: [0.0, 0.0]))
    queue_ops: float = 0.0
    records: float = 0.0
    stored: dict[str, tuple[float, str]] = field(default_factory=dict)  # bytes, index kind
    cores: float = 1.0  # the share of a core one execution gets (Design.cores)

    def run(self, group: str, count: float, *, cpu_s: float, requests: float = 0.0) -> None:
        """`count` executions in a Flex scale group (all HTTP functions share one; each queue function has its own),
        each `cpu_s` of CPU at one core (stretched on an instance with less) and `requests` backend round trips."""
        seconds_each = cpu_s / self.cores + requests * AZURE_ROUND_TRIP_S
        self.executions += count
        self.execution_s += count * seconds_each
        self.by_group[group][0] += count
        self.by_group[group][1] += count * seconds_each


def ledger(crew: Crew, d: Design) -> Ledger:
    """Operations per worker-day (one worker of an account of `crew.account_size`)."""
    out = Ledger(cores=d.cores)
    calls, pings, n = crew.calls_per_day, crew.pings_per_day, crew.account_size
    ping_bytes_each = PACKED_BYTES_PER_PING if d.packed_pings else PING_BYTES

    # ---- ingest call (functions/tracking.py ingest_locations), per 10-ping call
    out.ru["ingest: sign-in record read"] += calls * read_ru(500)
    out.ru["ingest: gate query"] += calls * query_ru(1, 1_000)
    counter_share = 0.1 if d.counter_in_memory else 1.0
    out.ru["ingest: rate-limit counter (patch)"] += calls * counter_share * patch_ru(RATE_COUNTER_BYTES, 1)
    ingest_requests = 3 + counter_share  # sign-in read, gate query, queue send; the counter
    out.run("http", calls, cpu_s=CPU_INGEST_S, requests=ingest_requests)
    out.queue_ops += calls * 3  # send; the writer's receive and delete
    out.records += calls * (d.records_per_ingest_call + d.host_records_per_invocation)

    # ---- writer flush (core/services/ping_writer.py), one member's message per flush at this pace
    writer_requests = 7  # member, zones, two privacy reads, the pings' batch, the position, the sites query
    if d.joined_writer_reads:  # one query each: the member record and gate; the retention and holds
        out.ru["writer: member record and gate (one query)"] += calls * query_ru(1, MEMBER_BYTES + GATE_BYTES)
        out.ru["writer: expiry plan (retention and holds, one query)"] += calls * query_ru(1, 500)
        writer_requests -= 2
    else:
        out.ru["writer: member record read"] += calls * read_ru(MEMBER_BYTES)
        out.ru["writer: private zones read"] += calls * read_ru(500)
        if d.incremental_writer:  # the expiry plan once per member and flush: retention read + legal-hold query
            out.ru["writer: expiry plan (retention read, holds query)"] += calls * (read_ru(500) + query_ru(0, 0))
        else:
            out.ru["writer: ttl stamping, 2 privacy reads"] += calls * 2 * read_ru(500)
    if d.packed_pings:
        packed = crew.pings_per_call * PACKED_BYTES_PER_PING
        out.ru["writer: ping documents (one per call)"] += calls * create_ru(packed, PING_TERMS + 1)
    else:
        out.ru["writer: ping documents (batch creates)"] += pings * create_ru(PING_BYTES, PING_TERMS)
    out.ru["writer: latest position (compare-and-swap)"] += calls * replace_ru(LATEST_BYTES, LATEST_MODIFIED_TERMS)
    out.ru["writer: job sites query"] += calls * query_ru(2, 600)
    stored_before = pings / 2  # pings already stored that day, on average over the day's flushes
    cpu = CPU_WRITER_BASE_S
    if d.incremental_writer:
        out.ru["writer: day state read + write"] += calls * (
            read_ru(DAY_STATE_BYTES) + replace_ru(DAY_STATE_BYTES, DAY_STATE_MODIFIED_TERMS)
        )
        out.ru["writer: settled day written when it changes"] += SETTLED_DAY_REWRITES_PER_DAY * replace_ru(
            SETTLED_DAY_BYTES, SITE_DAY_MODIFIED_TERMS
        )
        writer_requests += 2
    if d.positions_version:
        out.ru["writer: live-map version (replace)"] += calls * replace_ru(VERSION_BYTES, 1)
        writer_requests += 0 if d.joined_writer_reads else 1  # in the position's batch, or a request of its own
    else:
        # the whole local day read back (two UTC partitions for a member not on UTC), stored and previous site day
        # read, the site day rewritten every flush (ping_count always changes)
        out.ru["writer: the day's pings read back"] += calls * (
            2 * QUERY_BASE_RU + (stored_before + crew.pings_per_call) * ping_bytes_each / 1024
        )
        out.ru["writer: site days read (stored, previous)"] += calls * 2 * read_ru(SITE_DAY_BYTES)
        out.ru["writer: site day rewritten every flush"] += calls * replace_ru(SITE_DAY_BYTES, SITE_DAY_MODIFIED_TERMS)
        writer_requests += 5
        cpu += CPU_WRITER_PER_STORED_PING_S * stored_before
    out.run("writer", calls, cpu_s=cpu, requests=writer_requests)
    out.records += calls * (d.records_per_writer_message + d.host_records_per_invocation)

    # ---- the owner's live map, shared by the account's n workers
    polls = crew.map_open_hours * 3600 / crew.map_poll_s / n  # per worker
    members_q = query_ru(n, MEMBER_BYTES)
    positions_q = query_ru(n, LATEST_BYTES)
    unchanged = math.exp(-n * crew.map_poll_s / (crew.ping_every_s * crew.pings_per_call))
    map_requests = 3.0
    if d.positions_version:
        changed = 1 - unchanged
        reads = read_ru(300) + changed * (positions_q + (0 if d.members_cached else members_q))
        map_requests = 1 + changed * (1 if d.members_cached else 2)
    else:
        reads = members_q + positions_q
    out.ru["live map: reads"] += polls * reads
    if d.coalesced_access_log:
        windows = crew.map_open_hours * 6  # 10-minute windows; an entry per subject: created, then its last time
        out.ru["access log: coalesced entries"] += windows * 2 * create_ru(ACCESS_ENTRY_BYTES, 3)
        access_bytes_per_day = windows * ACCESS_ENTRY_BYTES
        access_terms = 3
    else:
        entry = ACCESS_ENTRY_BYTES + n * ACCESS_BYTES_PER_SUBJECT
        out.ru["access log: an entry per poll"] += polls * create_ru(entry, 2 + n)
        map_requests += 1
        access_bytes_per_day = polls * entry
        access_terms = 2 + n
    out.run("http", polls, cpu_s=CPU_MAP_POLL_S, requests=map_requests)
    # a traced answer: its SERVER span, 2 spans per request, the request log line (sent twice today)
    traced = 2 + 2 * map_requests + (1 if d.sampling_ratio == 1.0 else 0)
    out.records += polls * (d.host_records_per_invocation + d.sampling_ratio * traced)
    out.run("http", crew.photos_per_day, cpu_s=0.04, requests=1)  # the upload's URL
    out.run("photos", crew.photos_per_day, cpu_s=2.0)  # verification: decode, strip, thumbnails (assumption)

    # ---- expiry by ttl of what the day wrote (serverless: charged as deletes; provisioned: leftover throughput)
    if d.packed_pings:
        out.expiry_ru["pings"] += calls * delete_ru(crew.pings_per_call * PACKED_BYTES_PER_PING, PING_TERMS + 1)
    else:
        out.expiry_ru["pings"] += pings * delete_ru(PING_BYTES, PING_TERMS)
    if d.incremental_writer:  # the two parts of the day
        out.expiry_ru["site day"] += delete_ru(SETTLED_DAY_BYTES, 80) + delete_ru(DAY_STATE_BYTES, 6)
    else:
        out.expiry_ru["site day"] += delete_ru(SITE_DAY_BYTES, 300)
    entries = crew.map_open_hours * 6 if d.coalesced_access_log else polls
    out.expiry_ru["access log"] += entries * delete_ru(access_bytes_per_day / max(entries, 1), access_terms)

    # ---- storage kept at steady state (per worker)
    days = crew.working_days_kept
    ping_bytes = days * pings * ping_bytes_each
    if d.coarsen_after_days is not None:
        precise_days = min(days, d.coarsen_after_days * crew.days_per_month * 12 / 365)
        ping_bytes = (precise_days + (days - precise_days) / COARSE_FACTOR) * pings * ping_bytes_each
    out.stored["pings"] = (ping_bytes, "narrow")
    day_bytes = SETTLED_DAY_BYTES + DAY_STATE_BYTES if d.incremental_writer else SITE_DAY_BYTES
    out.stored["site days"] = (days * day_bytes, "all paths")
    out.stored["access log"] = (crew.access_log_days * crew.days_per_month * 12 / 365 * access_bytes_per_day, "narrow")
    out.stored["member, latest position, consents"] = (MEMBER_BYTES + LATEST_BYTES + 3_000, "all paths")
    return out


# ---------------------------------------------------------------- pricing


@dataclass(frozen=True)
class Bill:
    items: dict[str, float]  # USD per worker-month by item
    ru_per_worker_day: float
    expiry_ru_per_worker_day: float
    autoscale_max_ru_s: float
    stored_mb_per_worker: float
    records_per_worker_day: float

    @property
    def total(self) -> float:
        return sum(self.items.values())


def autoscale_month(
    peak_ru_s: float, off_shift_ru_s: float, crew: Crew, *, maximum_ru_s: int = PROD_AUTOSCALE_MAX_RU_S
) -> tuple[float, float]:
    """(USD a month for the whole crew, the maximum needed): `maximum_ru_s` (prod's parameter) unless the peak needs
    more, then the smallest maximum that holds it (the operator raises it when infra/modules/alerts.bicep fires); each hour billed at its highest RU/s,
    never below a tenth of the maximum; zone redundant."""
    least = max(AUTOSCALE_MIN_MAX_RU_S, maximum_ru_s)
    maximum = max(least, math.ceil(peak_ru_s / 1000) * 1000)
    floor = maximum / 10
    on = crew.active_hours * max(floor, peak_ru_s)
    off = (HOURS_PER_MONTH - crew.active_hours) * max(floor, off_shift_ru_s)
    usd = (on + off) / 100 * COSMOS_AUTOSCALE_PER_100_RU_S_HOUR * COSMOS_ZONE_REDUNDANT_FACTOR
    return usd, maximum


def flex_instance_seconds(rate_per_s: float, duration_s: float, concurrency: float, shift_s: float) -> float:
    """Billed instance-seconds of one Flex scale group through the shift: enough instances for the concurrent
    executions (at `concurrency` each, at most the prod maximum), each billed while it runs at least one execution,
    an activity period lasting at least FLEX_MIN_BILLED_S (so executions closer than that keep it billed)."""
    if rate_per_s <= 0:
        return 0.0
    instances = min(PROD_FLEX_MAX_INSTANCES, max(1, math.ceil(rate_per_s * duration_s / concurrency)))
    active = 1 - math.exp(-rate_per_s / instances * (FLEX_MIN_BILLED_S + duration_s))
    return instances * shift_s * active


def polling_ops_per_month(crew: Crew, concurrency: float) -> float:
    """The host's polling of idle queues while instances run (the shift; Flex scales to zero after it) and the
    platform's queue-length checks all month. Instances: one per concurrent execution (Python, assumption)."""
    instances = min(PROD_FLEX_MAX_INSTANCES, max(1, math.ceil(concurrency)))
    host = instances * (QUEUE_TRIGGERS - 1) / MAX_POLLING_INTERVAL_S * crew.active_hours * 3600
    controller = QUEUE_TRIGGERS / SCALE_CONTROLLER_CHECK_S * HOURS_PER_MONTH * 3600
    return host + controller


def bill(crew: Crew, d: Design, *, serverless: bool = False) -> Bill:
    led = ledger(crew, d)
    w, days = crew.workers, crew.days_per_month
    ru_day, expiry_day = sum(led.ru.values()), sum(led.expiry_ru.values())
    items: dict[str, float] = {}
    shift_s = crew.hours_per_day * 3600
    if serverless:
        items["Cosmos DB RU (serverless)"] = (ru_day + expiry_day) * days / 1e6 * COSMOS_SERVERLESS_PER_MILLION_RU
        maximum = 0.0
    else:
        peak = ru_day * w / shift_s
        off_shift = expiry_day * w * days / 30.4 / (24 * 3600 - shift_s)  # expiry spreads over the whole calendar
        usd, maximum = autoscale_month(
            peak, off_shift, crew, maximum_ru_s=d.autoscale_max_ru_s or PROD_AUTOSCALE_MAX_RU_S
        )
        items["Cosmos DB RU (autoscale, prod)"] = usd / w
    stored = sum(b * (1 + COSMOS_INDEX_OVERHEAD[kind]) for b, kind in led.stored.values())
    items["Cosmos DB storage at retention"] = stored / 1e9 * COSMOS_STORAGE_PER_GB_MONTH
    if not serverless:
        items["Cosmos DB continuous backup"] = stored / 1e9 * COSMOS_BACKUP_PER_GB_MONTH[d.backup_tier]
    gb_s = (
        sum(
            flex_instance_seconds(n * w / shift_s, secs / n, FLEX_CONCURRENCY.get(group, 16), shift_s)
            for group, (n, secs) in led.by_group.items()
            if n
        )
        * days
        * d.instance_gb
        / w
    )
    items["Functions executions"] = led.executions * days / 1e6 * FLEX_PRICE_PER_MILLION_EXECUTIONS
    items["Functions GB-s"] = gb_s * FLEX_PRICE_PER_GB_S
    concurrency = led.execution_s * w / shift_s
    polling = polling_ops_per_month(crew, concurrency) / w
    items["Queue operations"] = led.queue_ops * days / 10_000 * QUEUE_PRICE_PER_10K_OPS
    items["Queue polling"] = polling / 10_000 * QUEUE_PRICE_PER_10K_OPS
    items["Telemetry ingestion"] = led.records * days * TELEMETRY_RECORD_BYTES / 1e9 * LOG_ANALYTICS_PER_GB
    photos_kept = crew.photos_per_day * crew.working_days_kept
    items["Blob: photos kept"] = photos_kept * PHOTO_BYTES / 1e9 * BLOB_GZRS_HOT_PER_GB_MONTH
    items["Blob: photo writes and scan"] = (
        crew.photos_per_day * days * (3 / 10_000 * BLOB_WRITE_PER_10K + PHOTO_BYTES / 1e9 * MALWARE_SCAN_PER_GB)
    )
    items["E-mail"] = crew.emails_per_month * (EMAIL_PER_MESSAGE + 0.05 * EMAIL_PER_MB)
    return Bill(
        items=items,
        ru_per_worker_day=ru_day,
        expiry_ru_per_worker_day=expiry_day,
        autoscale_max_ru_s=maximum,
        stored_mb_per_worker=stored / 1e6,
        records_per_worker_day=led.records,
    )


# ---------------------------------------------------------------- report

TARGET, GOAL = 0.05, 0.03


def report(capacity: dict[str, Any] | None = None, crew: Crew | None = None, sizes: tuple[int, ...] = ()) -> list[str]:
    """The itemised table per worker-month for each design, at `crew.workers` and each of `sizes`."""
    base = crew or Crew()
    out = [
        f"  cost per worker-month (USD), itemised: a ping every {base.ping_every_s:.0f} s, {base.hours_per_day:.0f}"
        f" h/day, {base.days_per_month:.0f} days/month, {base.pings_per_call}-ping calls, accounts of"
        f" {base.account_size}, live map open {base.map_open_hours:.0f} h/day, retention {base.location_days} days;"
        f" prices read {READ_ON} (bench/cost.py names each source)"
    ]
    if capacity:
        out.append(f"  (capacity.json of {capacity.get('startedAt', '?')} present: the model does not depend on it)")
    for workers in (base.workers, *sizes):
        c = replace(base, workers=workers)
        bills = [bill(c, d) for d in DESIGNS]
        out.append(f"\n  {workers:,} workers" + "".join(f"{d.name:>14}" for d in DESIGNS))
        for item in bills[0].items:
            out.append(f"    {item:<38}" + "".join(f"{b.items[item]:>14.4f}" for b in bills))
        out.append(f"    {'total':<38}" + "".join(f"{b.total:>14.4f}" for b in bills))
        verdict = ["met" if b.total <= TARGET else "NOT met" for b in bills]
        out.append(f"    {'target <= 0.05 (goal 0.03)':<38}" + "".join(f"{v:>14}" for v in verdict))
        out.append(
            f"    {'RU per worker-day (+ expiry)':<38}"
            + "".join(f"{b.ru_per_worker_day:>8,.0f}+{b.expiry_ru_per_worker_day:<5,.0f}" for b in bills)
        )
        out.append(
            f"    {'autoscale maximum needed, RU/s':<38}" + "".join(f"{b.autoscale_max_ru_s:>14,.0f}" for b in bills)
        )
        out.append(f"    {'MB kept per worker':<38}" + "".join(f"{b.stored_mb_per_worker:>14.1f}" for b in bills))
        out.append(
            f"    {'telemetry records per worker-day':<38}"
            + "".join(f"{b.records_per_worker_day:>14.1f}" for b in bills)
        )
        serverless = [bill(c, d, serverless=True) for d in DESIGNS]
        out.append(f"    {'total with serverless Cosmos DB':<38}" + "".join(f"{b.total:>14.4f}" for b in serverless))
    return out


def levers(crew: Crew) -> list[str]:
    """Each lever on its own, applied to issue31: USD per worker-month saved."""
    base = bill(crew, ISSUE31).total
    out = [f"  levers, each alone on issue31 ({base:.4f} at {crew.workers:,} workers): USD per worker-month saved"]
    for name, change in LEVERS.items():
        saved = base - bill(crew, replace(ISSUE31, **change)).total
        out.append(f"    {name:<40}{saved:>10.4f}")
    for name, change in RISKS.items():
        added = bill(crew, replace(ISSUE31, **change)).total - base
        out.append(f"    {'(risk) ' + name:<40}{-added:>10.4f}")
    return out


def drivers(crew: Crew, d: Design, top: int = 5) -> list[str]:
    """The biggest items and RU lines of a design."""
    b, led = bill(crew, d), ledger(crew, d)
    items = sorted(b.items.items(), key=lambda kv: -kv[1])[:top]
    ru = sorted(led.ru.items(), key=lambda kv: -kv[1])[:top]
    return [
        f"  {d.name} at {crew.workers:,}: biggest items "
        + "; ".join(f"{k} {v:.4f}" for k, v in items)
        + "\n    biggest RU per worker-day: "
        + "; ".join(f"{k} {v:,.0f}" for k, v in ru)
    ]


def scaling(capacity: dict[str, Any] | None = None, crew: Crew | None = None) -> list[str]:
    """Where the production parameters run out (docs/scaling.md)."""
    c = crew or Crew()
    out = ["", "  limits at the production parameters (docs/scaling.md)"]
    for d in (ISSUE31,):
        led = ledger(c, d)
        ru_s_per_worker = sum(led.ru.values()) / (c.hours_per_day * 3600)
        conc_per_worker = led.execution_s / (c.hours_per_day * 3600)
        out.append(
            f"  {d.name}: {ru_s_per_worker:.3f} RU/s per worker on shift -> the prod autoscale maximum"
            f" ({PROD_AUTOSCALE_MAX_RU_S:,} RU/s) at {PROD_AUTOSCALE_MAX_RU_S / ru_s_per_worker:,.0f} workers;"
            f" {conc_per_worker:.5f} concurrent executions per worker -> {PROD_FLEX_MAX_INSTANCES} instances at"
            f" {PROD_FLEX_MAX_INSTANCES * FLEX_CONCURRENCY['http'] / conc_per_worker:,.0f} workers"
            f" ({FLEX_CONCURRENCY['http']} executions per instance), {PROD_FLEX_MAX_INSTANCES / conc_per_worker:,.0f}"
            f" at one per instance"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument("--capacity", type=Path, default=ROOT / ".local" / "bench" / "capacity.json")
    args = parser.parse_args(argv)
    capacity = json.loads(args.capacity.read_text()) if args.capacity.exists() else None
    first, *rest = args.workers
    crew = Crew(workers=first)
    lines = report(capacity, crew, tuple(rest))
    lines += ["", *drivers(crew, TODAY), *drivers(crew, ISSUE31), *drivers(crew, NEXT)]
    for workers in args.workers:
        lines += ["", *levers(replace(crew, workers=workers))]
    lines += scaling(capacity, crew)
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
