"""The pings writer's cost per flush through one member's day (docs/job-sites.md, "The open day").

    .venv/bin/python -m bench.writer_day [FLUSHES] [PINGS] [PROFILE]

Against the running emulators, in a scratch database: one member (time zone America/Chicago, so the local day
spans two UTC ping partitions) and three job sites; a day from 06:00 to 22:00 local (home, drives, two sites, a
lunch stop) cut into FLUSHES flushes of PINGS pings each, handed to the writer one after the other as the queue
trigger does (`store_ping_messages` with the composition root's stores: pings, latest position, private zones,
PingsStored and its job-site step). With PINGS = 0 (the default) it runs both variants: 1 ping per flush (every
minute) and 30 pings per flush (every 2 s).

Measured per flush: the writer process's CPU time (time.process_time: every thread of this process; the emulator
runs in its own), the Cosmos DB requests it sends (by kind) and their request units. The emulator charges nothing,
so request units are modelled from each request's kind and the sizes sent and answered (`charge` below: the
project's RuModel of bench/lib/measure.py for writes, 1 RU per KB read, a query's base charge plus 1 RU per KB it
returns). Printed: the 1st, 100th and last flush, the medians of the 9 flushes around each, last/first, and
the whole day's writer CPU, requests and RU per 1,000 pings. Runs with any build of the writer (the same script measured the build before the open day). PROFILE = 1 also
profiles the flushes after the 100th (cProfile) and prints where the writer's CPU goes, by own time and cumulative.
"""

from __future__ import annotations

import cProfile
import io
import json
import math
import pstats
import statistics
import threading
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import requests

from bench.lib.cli import whole_numbers
from bench.lib.measure import RuModel, leaf_count
from bench.lib.people import put_store_members

M_PER_DEG = 111_195.0
HOME = (44.9000, -93.2000)
MODEL = RuModel()


@dataclass
class Flush:
    cpu_ms: float = 0.0
    requests: Counter[str] = field(default_factory=Counter)
    ru: float = 0.0
    bytes_in: int = 0


_lock = threading.Lock()
_current: Flush | None = None
_send: Callable[..., Any] = requests.Session.send


def _indexed_terms(doc: object) -> int:
    """The document's values the build's indexing policy indexes (top-level paths `/name/*` it excludes skipped:
    the accounts container's site-day arrays since the open day, in both parts of a day since they exist)."""
    from core.schema import ACCOUNTS

    unindexed = {p.split("/")[1] for p in ACCOUNTS.excluded_paths if p.endswith("/*") and p.count("/") == 2}
    if isinstance(doc, dict) and doc.get("docType") in ("site-day", "site-day-open"):
        return leaf_count({k: v for k, v in doc.items() if k not in unindexed})
    return leaf_count(doc)


def _batch_terms(doc: dict[str, Any]) -> int:
    """Indexed values of a batched document: a site day's parts as written alone; 10 for others (pings)."""
    return _indexed_terms(doc) if doc.get("docType") in ("site-day", "site-day-open") else 10


def charge(method: str, path: str, headers: dict[str, str], body: bytes, answered: int) -> tuple[str, float]:
    """(kind, modelled RU) of one Cosmos DB request."""
    kb_out = max(1.0, answered / 1024)
    if headers.get("x-ms-cosmos-is-batch-request", "").lower() == "true":
        ops = json.loads(body or b"[]")
        bodies = [o.get("resourceBody", {}) for o in ops]
        return "batch", sum(MODEL.write(len(json.dumps(b)), _batch_terms(b)) for b in bodies)
    if method == "POST" and (
        headers.get("x-ms-documentdb-isquery", "").lower() == "true"
        or "query" in headers.get("Content-Type", "").lower()
    ):
        return "query", MODEL.query + (answered / 1024)
    if method == "PUT" or (method == "POST" and path.rstrip("/").endswith("/docs")):  # replace, create, upsert
        doc = json.loads(body or b"{}")
        return "write", MODEL.write(len(body), _indexed_terms(doc))
    if method == "PATCH":
        return "patch", MODEL.write(1024, 10)
    if method == "GET" and "/docs/" in path:
        return "point read", MODEL.point_read * math.ceil(kb_out)
    if method == "DELETE":
        return "delete", MODEL.write(1024, 10)
    return f"{method} other", 0.0


def _counting_send(self: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> Any:
    response = _send(self, request, **kwargs)
    flush = _current
    if flush is not None and request.url and ":8081/" in request.url:
        raw = request.body
        body = raw if isinstance(raw, bytes) else raw.encode() if isinstance(raw, str) else b""
        answered = int(response.headers.get("content-length") or len(response.content))
        path = request.path_url.split("?")[0]
        headers = {str(k): str(v) for k, v in request.headers.items()}
        kind, ru = charge(request.method or "", path, headers, body, answered)
        with _lock:
            flush.requests[kind] += 1
            flush.ru += ru
            flush.bytes_in += answered
    return response


def _at(lat: float, lon: float, dx: float, dy: float) -> tuple[float, float]:
    return lat + dy / M_PER_DEG, lon + dx / (M_PER_DEG * math.cos(math.radians(lat)))


def day_plan() -> list[tuple[float, tuple[float, float], tuple[float, float]]]:
    """(hours, from, to) legs of the day: a stay when from == to (with a few metres of GPS noise)."""
    site_a = _at(*HOME, 6000, 2000)
    lunch = _at(*HOME, 6500, 2600)
    site_b = _at(*HOME, -4000, 5000)
    return [
        (1.0, HOME, HOME),
        (0.4, HOME, site_a),
        (4.0, site_a, site_a),
        (0.1, site_a, lunch),
        (0.6, lunch, lunch),
        (0.1, lunch, site_a),
        (1.5, site_a, site_a),
        (0.5, site_a, site_b),
        (4.0, site_b, site_b),
        (0.8, site_b, HOME),
        (3.0, HOME, HOME),
    ]


def position(hours: float, noise: float) -> tuple[float, float]:
    for length, start, end in day_plan():
        if hours <= length:
            f = hours / length
            lat, lon = start[0] + (end[0] - start[0]) * f, start[1] + (end[1] - start[1]) * f
            return _at(lat, lon, noise * 7.0, noise * -5.0)
        hours -= length
    return HOME


def run(
    flushes: int, per_flush: int, checkpoints: list[int], profile: cProfile.Profile | None = None
) -> tuple[dict[int, Flush], Flush]:
    """The flushes around each checkpoint, and the sum over all of the day's flushes."""
    global _current
    from bench.lib.stack import scratch_settings

    settings, _ = scratch_settings("writer-day")
    from core.bootstrap import Container
    from core.domain.job_sites import CircleArea, JobSite, cells_covering
    from core.domain.tracking import Ping, PingSource
    from core.domain.tracking_formats import decode_ping_message, encode_ping_messages
    from core.services.ping_writer import store_ping_messages
    from core.services.use_cases.tracking import TrackingUseCases

    c = Container(settings)
    account = f"a-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC).replace(microsecond=0)
    for n, (lat, lon, radius) in enumerate([(*_at(*HOME, 6000, 2000), 150.0), (*_at(*HOME, -4000, 5000), 250.0)]):
        area = CircleArea.model_validate(
            {"kind": "circle", "centre": {"latitude": lat, "longitude": lon}, "radius": radius}
        )
        site = JobSite(site_id=f"s{n}", account_id=account, name=f"Site {n}", area=area, created_at=now, updated_at=now)
        c.job_sites.put_site(site, cells_covering(site.geometry()))
    users = [f"u-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    put_store_members(c, account, users, time_zone="America/Chicago", now=now)
    stores = c.use_case(TrackingUseCases).writer.stores
    local = ZoneInfo("America/Chicago")
    day_start = (now.astimezone(local) - timedelta(days=1)).replace(hour=6, minute=0, second=0).astimezone(UTC)
    step = 16 * 3600 / (flushes * per_flush)

    def message(user: str, k: int) -> Any:
        pings = []
        for i in range(k * per_flush, (k + 1) * per_flush):
            lat, lon = position(i * step / 3600, math.sin(i * 1.7))
            t = day_start + timedelta(seconds=i * step)
            pings.append(Ping(ping_id=f"{user}-{i:06d}", t=t, lat=lat, lon=lon, acc=8.0, src=PingSource.GPS))
        [text] = encode_ping_messages(account, user, pings)
        return decode_ping_message(text)

    store_ping_messages(messages=[message(users[1], 0)], stores=stores)  # warm clients and caches (not counted)
    measured: dict[int, Flush] = {}
    total = Flush()
    requests.Session.send = _counting_send  # type: ignore[method-assign]  # counting only, in this process
    try:
        for k in range(flushes):
            m = message(users[0], k)
            flush = Flush()
            _current = flush
            profiling = profile is not None and k >= 100
            if profiling:
                assert profile is not None
                profile.enable()
            cpu = time.process_time()
            store_ping_messages(messages=[m], stores=stores)
            flush.cpu_ms = (time.process_time() - cpu) * 1000
            if profiling:
                assert profile is not None
                profile.disable()
            _current = None
            total.cpu_ms += flush.cpu_ms
            total.requests.update(flush.requests)
            total.ru += flush.ru
            if any(abs(k + 1 - cp) <= 4 for cp in checkpoints):
                measured[k + 1] = flush
    finally:
        requests.Session.send = _send  # type: ignore[method-assign]  # the real method again
        from scripts.provision import drop

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the emulator's self-signed certificate
            drop(settings)
    return measured, total


def report(flushes: int, per_flush: int, profiled: bool) -> None:
    checkpoints = sorted({1, min(100, flushes), flushes})
    started = time.perf_counter()
    profile = cProfile.Profile(time.process_time) if profiled else None  # CPU, not waiting on the emulator
    measured, day = run(flushes, per_flush, checkpoints, profile)
    print(
        f"writer day: {flushes} flushes of {per_flush} ping(s), one member (America/Chicago); "
        f"{time.perf_counter() - started:.0f} s"
    )
    print(f"  {'flush':>6} {'CPU ms':>8} {'requests':>9} {'RU':>7} {'KB in':>7}  requests by kind")
    for cp in checkpoints:
        f = measured[cp]
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(f.requests.items()))
        total = sum(f.requests.values())
        print(f"  {cp:>6} {f.cpu_ms:>8.1f} {total:>9} {f.ru:>7.1f} {f.bytes_in / 1024:>7.1f}  {kinds}")
    medians: dict[int, tuple[float, float, float]] = {}
    for cp in checkpoints:
        window = [measured[k] for k in measured if abs(k - cp) <= 4]
        medians[cp] = (
            statistics.median(w.cpu_ms for w in window),
            statistics.median(sum(w.requests.values()) for w in window),
            statistics.median(w.ru for w in window),
        )
        print(
            f"  median of {len(window)} flushes around {cp}: CPU {medians[cp][0]:.1f} ms, "
            f"{medians[cp][1]:.0f} requests, {medians[cp][2]:.1f} RU"
        )
    first, last = medians[checkpoints[0]], medians[checkpoints[-1]]
    print(
        f"  last/first (medians): CPU {last[0] / first[0]:.2f}, requests {last[1] / first[1]:.2f}, "
        f"RU {last[2] / first[2]:.2f} (target at most 1.2)"
        + ("; the flushes after the 100th ran under the profiler: their CPU includes its overhead" if profiled else "")
    )
    pings = flushes * per_flush
    print(
        f"  the whole day: {pings} pings, writer CPU {day.cpu_ms / 1000:.2f} s = "
        f"{day.cpu_ms / pings:.2f} s per 1,000 pings, {sum(day.requests.values()) * 1000 / pings:.0f} requests "
        f"and {day.ru * 1000 / pings:.0f} RU per 1,000 pings"
        + (" (the profiler's overhead included)" if profiled else "")
    )
    if profile is not None:
        views = [("tottime", (15,)), ("cumulative", (15,)), ("cumulative", (r"core[/\\](services|domain)", 15))]
        for order, restrictions in views:
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(order).print_stats(*restrictions)
            what = "the project's services and domain" if len(restrictions) > 1 else "all"
            print(f"  CPU profile of flushes 101-{flushes}, {what}, by {order}:")
            print("\n".join("    " + line for line in out.getvalue().splitlines() if line.strip()))


def main() -> None:
    args = whole_numbers(__doc__, FLUSHES=960, PINGS=0, PROFILE=0)
    for per_flush in [args.PINGS] if args.PINGS else [1, 30]:
        report(args.FLUSHES, per_flush, bool(args.PROFILE))


if __name__ == "__main__":
    main()
