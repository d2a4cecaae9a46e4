"""Memory of a member's data export with a year of pings: the pings part of the ZIP (pings.geojson and a GPX file per
day), written by the privacy registry's real `PingsKind.write_export` (core/adapters/privacy_pings.py).

    .venv/bin/python -m bench.export_memory [DAYS] [PINGS_PER_DAY]

The Cosmos DB emulator cannot hold a year of one member's pings in reasonable time on this machine (it scans the
whole container for each day's query, docs/coarsened-history.md), so the day's query is replaced by DAYS days
(default 365) of PINGS_PER_DAY pings (default 960: every 30 s for 8 hours; 254,000 a year is the cost model's
figure) generated as the writer stores them (`ping_doc`, every field the app sends), one day at a time as the
query would answer them. The ZIP goes to a sink that counts the bytes (the real one streams 64 KiB blocks to Blob
Storage). Printed: the resident memory after imports, the peak during the export and its growth, the bytes written
and the export's CPU time (and at 0.25 cores), without the time spent making the pings (printed apart). The Cosmos DB SDK's own buffers for one day's answer (one page, at most
4 MB) are not in the figure.
"""

from __future__ import annotations

import io
import random
import sys
import time
import zipfile
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.coarsening import day_of_pings
from bench.lib.measure import reset_peak, status_kb
from core.adapters.cosmos_tracking import ping_doc, ping_partition
from core.adapters.privacy_pings import PingsKind


class CountingSink(io.RawIOBase):
    def __init__(self) -> None:
        self.written = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        size = len(memoryview(data).cast("B"))
        self.written += size
        return size


class GeneratedPings(PingsKind):
    """The real kind, with each day's query answered by generated documents."""

    def __init__(self, days: int, per_day: int) -> None:  # no database: the two methods below replace its reads
        self.days, self.per_day = days, per_day
        self.first = date(2026, 1, 1)
        self._today = lambda: self.first + timedelta(days=days - 1)
        self.rng = random.Random(31)
        self.generating = 0.0  # CPU seconds spent making the days (the bench's, not the export's)

    def _start(self, account_id: str) -> date:
        return self.first

    def _day_docs(self, account_id: str, user_id: str, day: date) -> list[dict[str, Any]]:
        started = time.process_time()
        pk = ping_partition(account_id, user_id, day)
        docs = [ping_doc(pk, p) for p in day_of_pings(day, self.per_day, self.rng)]
        self.generating += time.process_time() - started
        return docs


def main() -> None:
    days = int(sys.argv[1]) if len(sys.argv) > 1 else 365
    per_day = int(sys.argv[2]) if len(sys.argv) > 2 else 960
    kind = GeneratedPings(days, per_day)
    sink = CountingSink()
    baseline_kb = status_kb("VmRSS")
    reset_peak()
    cpu, started = time.process_time(), time.perf_counter()
    with (
        io.BufferedWriter(sink, buffer_size=64 * 1024) as raw,
        zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as zf,
    ):
        kind.write_export(zf, account_id="acc-bench", user_id="user-bench")
    cpu, wall = time.process_time() - cpu - kind.generating, time.perf_counter() - started
    peak_kb = status_kb("VmHWM")
    print(
        f"{days} days x {per_day} pings ({days * per_day:,} pings, {datetime.now(UTC):%Y-%m-%d}): ZIP {sink.written:,}"
        f" bytes; RSS after imports {baseline_kb / 1024:.0f} MB, peak {peak_kb / 1024:.0f} MB"
        f" (+{(peak_kb - baseline_kb) / 1024:.0f} MB); export CPU {cpu:.1f} s ({cpu * 4:.0f} s at 0.25 cores; making the"
        f" pings {kind.generating:.1f} s more), wall {wall:.1f} s"
    )


if __name__ == "__main__":
    main()
