"""Job-site evaluation cost on the writer path, with 10, 1,000 and 10,000 sites in the account.

    .venv/bin/python -m bench.job_sites [PINGS_PER_DAY] [PINGS_PER_MESSAGE]

On the local emulators, in a scratch database: for each site count, an account whose sites are spread over the
continental United States, with the same 10 sites along the worker's route; a worker's day of pings (every 30 s)
is stored, then evaluated message by message as the writer does. Printed per site count: Cosmos DB requests and
items returned per message and per ping (counted at the HTTP transport), CPU and wall time per ping, and the
pure evaluation's CPU per ping with the geohash buckets versus comparing each fix with every site. Then the
writer's throughput (store + evaluate vs store only). docs/job-sites.md records a run.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from azure.core.pipeline.transport import RequestsTransport

from bench.lib.cli import whole_numbers
from bench.lib.people import bare_account
from bench.lib.stack import create_scratch_database, sample_settings_into_env
from core.adapters.cosmos import CosmosAccountStore, build_cosmos_client
from core.adapters.cosmos_billing import CosmosBillingStore
from core.adapters.cosmos_ingest_gate import CosmosIngestGateStore
from core.adapters.cosmos_job_sites import CosmosJobSiteStore, CosmosSiteDayStore, site_docs
from core.adapters.cosmos_privacy import CosmosPrivacyStore
from core.adapters.cosmos_private_zones import CosmosPrivateZoneStore, CosmosWithheldPingStore
from core.adapters.cosmos_tracking import (
    CosmosConsentLedger,
    CosmosLatestPositionStore,
    CosmosPingStore,
    CosmosTrackingScheduleStore,
)
from core.bootstrap import root_with
from core.clock import SystemClock
from core.domain.accounts import Member
from core.domain.events import PingsStored
from core.domain.identity import Role
from core.domain.job_sites import CircleArea, JobSite, cells_covering
from core.domain.site_visits import SiteIndex, evaluate_day, local_day
from core.domain.tracking import Ping, PingSource
from core.domain.tracking_formats import PingMessage, decode_ping_message, encode_ping_messages
from core.ports import Reactions
from core.services.expiry import RetentionExpiry
from core.services.ingest_gate import IngestGateKeeper
from core.services.ping_writer import store_ping_message
from core.services.reactions import Dispatcher
from core.services.retention import RetentionPolicy
from core.services.site_visits import evaluate_message
from core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
HOME = (44.9778, -93.2650)
COUNTS: Counter[str] = Counter()
_send = RequestsTransport.send


def _counting(self: Any, request: Any, **kwargs: Any) -> Any:
    response = _send(self, request, **kwargs)
    if ":8081" in request.url and "/docs" in request.url:
        COUNTS["requests"] += 1
        if str(request.headers.get("x-ms-documentdb-isquery", "")).lower() == "true":
            try:
                COUNTS["returned"] += int(json.loads(response.body()).get("_count", 0))
            except (ValueError, AttributeError):
                pass
    return response


RequestsTransport.send = _counting


def offset(dx: float, dy: float) -> tuple[float, float]:
    lat = HOME[0] + dy / 111_195.0
    return lat, HOME[1] + dx / (111_195.0 * math.cos(math.radians(HOME[0])))


def make_site(account_id: str, lat: float, lon: float, now: datetime) -> JobSite:
    area = CircleArea.model_validate({"kind": "circle", "centre": {"latitude": lat, "longitude": lon}, "radius": 150})
    return JobSite(
        site_id=str(uuid.uuid4()), account_id=account_id, name="s", area=area, created_at=now, updated_at=now
    )


def seed_sites(database: Any, account_id: str, count: int, now: datetime, rnd: random.Random) -> list[JobSite]:
    """10 sites along the route (every 2 km east of home), the others anywhere in the continental US except
    within 30 km of home; written in transactional batches."""
    sites = [make_site(account_id, *offset(2000.0 * (i + 1), 0), now) for i in range(min(10, count))]
    while len(sites) < count:
        lat, lon = rnd.uniform(25.0, 49.0), rnd.uniform(-124.0, -67.0)
        if abs(lat - HOME[0]) < 0.3 and abs(lon - HOME[1]) < 0.45:
            continue
        sites.append(make_site(account_id, lat, lon, now))
    docs = [d for s in sites for d in site_docs(s, cells_covering(s.geometry()))]
    container = database.get_container_client("accounts")
    chunks = [docs[i : i + 100] for i in range(0, len(docs), 100)]

    def write(chunk: list[dict[str, Any]]) -> None:
        container.execute_item_batch([("create", (d,)) for d in chunk], partition_key=account_id)

    with ThreadPoolExecutor(2) as pool:  # the emulator is shared: stay gentle
        list(pool.map(write, chunks))
    return sites


def day_of_pings(start: datetime, count: int) -> list[Ping]:
    """Drive 2 km, stay 10 minutes at each route site in turn (30 s fixes)."""
    out: list[Ping] = []
    x = 0.0
    for i in range(count):
        phase = i % 30  # 10 fixes driving 200 m each, then 20 fixes standing
        if phase < 10:
            x += 200.0
        lat, lon = offset(x % 22_000.0, 0)
        out.append(
            Ping(
                ping_id=str(uuid.uuid4()),
                t=start + timedelta(seconds=30 * i),
                lat=lat,
                lon=lon,
                acc=8.0,
                src=PingSource.GPS,
            )
        )
    return out


def messages(account_id: str, user_id: str, pings: list[Ping], per_message: int) -> list[PingMessage]:
    out: list[PingMessage] = []
    for i in range(0, len(pings), per_message):
        out += [
            decode_ping_message(text.encode())
            for text in encode_ping_messages(account_id, user_id, pings[i : i + per_message])
        ]
    return out


def naive_cpu_per_ping(pings: list[Ping], sites: list[JobSite]) -> float:
    geometries = [s.geometry() for s in sites]
    started = time.process_time()
    for p in pings:
        for g in geometries:
            g.signed_distance(p.lat, p.lon)
    return (time.process_time() - started) / len(pings)


def store_only(root: Any) -> Reactions:
    """The reactions with nothing done on PingsStored: the writer's store step without the job-site step."""
    return Dispatcher(root, table={PingsStored: ()})


def writer_ports(database: Any, reactions: Reactions) -> dict[str, Any]:
    """The writer's stores beyond the pings, on the scratch database: every step production runs."""
    return {
        "latest_positions": CosmosLatestPositionStore(database),
        "ingest_gate": IngestGateKeeper(  # the writer's member read (member record and gate in one request)
            store=CosmosIngestGateStore(database),
            billing=CosmosBillingStore(database),
            privacy=CosmosPrivacyStore(database),
            consents=CosmosConsentLedger(database),
            schedules=CosmosTrackingScheduleStore(database, clock=SystemClock(), keep=timedelta(days=400)),
            zones=CosmosPrivateZoneStore(database),
            clock=SystemClock(),
        ),
        "reactions": reactions,
        "private_zones": CosmosPrivateZoneStore(database),
        "withheld_pings": CosmosWithheldPingStore(database),
        "expiry_plans": RetentionExpiry(privacy=CosmosPrivacyStore(database), policy=RetentionPolicy(), margin_days=1),
    }


def run(database: Any, count: int, per_day: int, per_message: int, now: datetime) -> dict[str, Any]:
    rnd = random.Random(count)
    account_id, user_id = str(uuid.uuid4()), f"worker-{count}"
    accounts = CosmosAccountStore(database)
    accounts.put_account(bare_account(account_id, now, time_zone="America/Chicago"))
    accounts.put_member(
        Member(
            account_id=account_id,
            user_id=user_id,
            role=Role.MEMBER,
            full_name="W",
            email="w@example.com",
            time_zone="America/Chicago",
            joined_at=now,
            updated_at=now,
        )
    )
    seeded = time.perf_counter()
    sites = seed_sites(database, account_id, count, now, rnd)
    seed_s = time.perf_counter() - seeded
    pings, clock = CosmosPingStore(database), SystemClock()
    job_sites, days = CosmosJobSiteStore(database), CosmosSiteDayStore(database)
    ports = writer_ports(database, store_only(root_with(Settings(), accounts=accounts)))
    start = datetime.combine(now.date() - timedelta(days=2), datetime.min.time(), tzinfo=UTC) + timedelta(hours=14)
    day = day_of_pings(start, per_day)
    msgs = messages(account_id, user_id, day, per_message)
    for m in msgs:  # the store step, not measured here
        store_ping_message(message=m, pings=pings, clock=clock, **ports)
    COUNTS.clear()
    cpu, wall = time.process_time(), time.perf_counter()
    for m in msgs:
        evaluate_message(message=m, accounts=accounts, pings=pings, sites=job_sites, days=days, clock=clock)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    requests, returned = COUNTS["requests"], COUNTS["returned"]
    found, cells = job_sites.sites_in_cells(
        account_id, sorted({c for s in sites[:10] for c in cells_covering(s.geometry())})
    )
    index = SiteIndex(found, cells)
    pure = time.process_time()
    result = evaluate_day(
        pings=day, index=index, user_id=user_id, day=local_day(day[0].t, "America/Chicago"), time_zone="America/Chicago"
    )
    pure = (time.process_time() - pure) / len(day)
    stored = days.get_day(account_id, user_id, result.day)
    assert stored is not None and len(stored.visits) == len(result.visits) > 0, "the evaluation found no visits"
    return {
        "sites": count,
        "seed_s": seed_s,
        "messages": len(msgs),
        "pings": len(day),
        "requests_per_message": requests / len(msgs),
        "requests_per_ping": requests / len(day),
        "returned_per_message": returned / len(msgs),
        "cpu_ms_per_ping": 1000 * cpu / len(day),
        "wall_ms_per_ping": 1000 * wall / len(day),
        "pure_us_per_ping": 1e6 * pure,
        "naive_us_per_ping": 1e6 * naive_cpu_per_ping(day[:100], sites),
        "visits": len(result.visits),
    }


def throughput(database: Any, per_day: int, per_message: int, now: datetime) -> tuple[float, float]:
    """Pings per second through the writer (store + evaluate) vs store only, same account of 1,000 sites."""
    rates = []
    for evaluate in (True, False):
        account_id, user_id = str(uuid.uuid4()), "worker-throughput"
        accounts = CosmosAccountStore(database)
        accounts.put_member(
            Member(
                account_id=account_id,
                user_id=user_id,
                role=Role.MEMBER,
                full_name="W",
                email="w@example.com",
                time_zone="UTC",
                joined_at=now,
                updated_at=now,
            )
        )
        seed_sites(database, account_id, 1000, now, random.Random(1))
        start = now - timedelta(days=1)
        msgs = messages(account_id, user_id, day_of_pings(start, per_day), per_message)
        pings, clock = CosmosPingStore(database), SystemClock()
        # The job-site step is the reaction to PingsStored (core/services/reactions.py), its ports from this root;
        # the owner's visit e-mails are not reached (the scratch account has no account record).
        root = root_with(
            Settings(),
            accounts=accounts,
            pings=pings,
            job_sites=CosmosJobSiteStore(database),
            site_days=CosmosSiteDayStore(database),
            clock=clock,
        )
        ports = writer_ports(database, root.reactions if evaluate else store_only(root))
        started = time.perf_counter()
        for m in msgs:
            store_ping_message(message=m, pings=pings, clock=clock, **ports)
        rates.append(per_day / (time.perf_counter() - started))
    return rates[0], rates[1]


def scratch(client: Any, label: str) -> tuple[Any, str]:
    name = f"bench-sites-{label}-{uuid.uuid4().hex[:6]}"
    return create_scratch_database(client, name), name


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    args = whole_numbers(__doc__, pings_per_day=600, pings_per_message=100)
    per_day, per_message = args.pings_per_day, args.pings_per_message
    sample_settings_into_env()
    os.environ["COSMOS_READ_TIMEOUT_SECONDS"] = "60"  # the emulator scans every document of a container per query
    client = build_cosmos_client(Settings())
    now = datetime.now(UTC)
    print(f"{per_day} pings per day (30 s apart), {per_message} per message; 10 sites on the route")
    database, name = scratch(client, "throughput")  # its own database: emulator queries scan whole containers
    try:
        on, off = throughput(database, per_day, per_message, now)
        print(f"writer throughput, 1,000 sites: {on:.0f} pings/s with evaluation, {off:.0f} pings/s store only")
    finally:
        client.delete_database(name)
    print(
        "| Sites | Cosmos requests / message | / ping | items returned / message | CPU ms / ping |"
        " wall ms / ping | pure evaluation us / ping (buckets) | naive scan us / ping | seed s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for count in (10, 1000, 10_000):
        database, name = scratch(client, str(count))
        try:
            r = run(database, count, per_day, per_message, now)
        finally:
            client.delete_database(name)
        print(
            f"| {r['sites']:,} | {r['requests_per_message']:.1f} | {r['requests_per_ping']:.3f} |"
            f" {r['returned_per_message']:.0f} | {r['cpu_ms_per_ping']:.2f} | {r['wall_ms_per_ping']:.2f} |"
            f" {r['pure_us_per_ping']:.0f} | {r['naive_us_per_ping']:.0f} | {r['seed_s']:.1f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
