"""One summary of `make bench`: the figures bench/ingest.py, bench/saturation.py and bench/hot_partition.py saved
under .local/bench/, the cost model of bench/cost.py on them, and the issue's targets met or not.

    .venv/bin/python -m bench.summary
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench import cost
from bench.lib.cli import whole_numbers
from bench.saturation import peak

ROOT = Path(__file__).resolve().parents[1]
DIR = ROOT / ".local" / "bench"


def _load(name: str) -> dict[str, Any] | None:
    path = DIR / name
    return json.loads(path.read_text()) if path.exists() else None


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def ingest_lines(d: dict[str, Any]) -> list[str]:
    calls, cosmos = d["callsPerThousand"], d["cosmosPerThousand"]
    share = d["sustainedPerS"][0] / d["ceilingPerS"] if d["ceilingPerS"] else 0.0
    return [
        f"  ingest, batches of {d['batch']} (bench/ingest.py, {d['measuredAt']}), pipeline vs naive:",
        f"    backend calls per 1,000 pings {calls[0]:,.0f} vs {calls[1]:,.0f} (1/{calls[1] / calls[0]:.0f};"
        f" target at most 1/50: {_met(calls[0] * 50 <= calls[1])}); Cosmos DB requests {cosmos[0]:,.0f} vs {cosmos[1]:,.0f}",
        f"    modelled RU per ping {d['ruPerPing'][0]:.1f} vs {d['ruPerPing'][1]:.1f}; stored bytes per ping"
        f" {d['bytesPerPing'][0]:.0f} vs {d['bytesPerPing'][1]:.0f}",
        f"    sustained {d['sustainedPerS'][0]:,.0f} vs {d['sustainedPerS'][1]:,.0f} pings/s ({100 * share:.0f} % of the"
        f" store's {d['ceilingPerS']:,.0f} pings/s measured in the same run)",
        f"    ingest p50/p99 {d['ingestP50Ms'][0]:.0f}/{d['ingestP99Ms'][0]:.0f} ms vs {d['ingestP50Ms'][1]:.0f}/"
        f"{d['ingestP99Ms'][1]:.0f} ms; pipeline p99 = {d['ingestP99Ms'][0] / d['noopP99Ms']:.1f}x the no-op"
        f" endpoint's; freshness p50/p99 {d['freshnessP50Ms'][0]:.0f}/{d['freshnessP99Ms'][0]:.0f} ms vs"
        f" {d['freshnessP50Ms'][1]:.0f}/{d['freshnessP99Ms'][1]:.0f} ms",
        "    cost growth 1x..100x history (Cosmos requests and items per call should stay flat):",
        *[f"    {line.strip()}" for line in d.get("growth", []) if "Cosmos requests" in line or "history" in line],
    ]


def capacity_lines(c: dict[str, Any]) -> list[str]:
    out = [
        f"  saturation (bench/saturation.py, {c['startedAt']}..{c['finishedAt']}, {c['stepSeconds']:.0f} s steps):",
        "    store ceiling (bare client, mean of before/after): "
        + ", ".join(
            f"batches of {b}: {v['mean']:,.0f} pings/s"
            for b, v in sorted(c["ceilings"].items(), key=lambda kv: int(kv[0]))
        ),
    ]
    for f in c.get("failedSteps", []):  # issue 31: a failed step ends its batch size; the run went on
        out.append(f"    step {f['workers']}x{f['batch']} ({f['kind']}) FAILED: {f['reason']}")
    charged = [v["chargedRuPerPing"] for v in c["ceilings"].values() if v.get("chargedRuPerPing")]
    out.append(
        "    request charge returned by the store: "
        + (
            f"{min(charged):.2f}-{max(charged):.2f} RU per ping (the emulator charges per request, not per work:"
            " request units below are modelled)"
            if charged
            else "none (request units below are modelled)"
        )
    )
    for b in sorted({s["batch"] for s in c["pipeline"]}):
        p = peak(c["pipeline"], b)
        assert p is not None
        share = p["shareOfCeiling"] or 0.0
        fresh = p["freshnessP99Ms"] or float("nan")
        out.append(
            f"    pipeline peak, batches of {b}: {p['storedPerS']:,.0f} pings/s stored = {100 * share:.0f} % of the"
            f" ceiling (target 30 %: {_met(share >= 0.3)}); freshness p50/p99 {p['freshnessP50Ms'] or 0:.0f}/"
            f"{fresh:.0f} ms (under 3 s: {_met(fresh < 3000)}); lost {p['lost']}; {p['workers']} workers"
            f" offered {p['offeredPerS']:,.0f}/s"
        )
        cpu = p["cpuMsPerThousand"]
        out.append(
            f"      host CPU per 1,000 pings: ingest call {cpu['ingest']:,.0f} ms, writer {cpu['writer']:,.0f} ms,"
            f" rest of the host {cpu['host']:,.0f} ms (process total {cpu['process']:,.0f} ms)"
        )
    if c["naive"]:
        n = peak(c["naive"])
        assert n is not None
        cpu = n["cpuMsPerThousand"]
        out.append(
            f"    naive peak: {n['storedPerS']:,.0f} pings/s stored ({100 * (n['shareOfCeiling'] or 0):.0f} % of the"
            f" 30-batch ceiling); freshness p99 {n['freshnessP99Ms'] or 0:.0f} ms; lost {n['lost']}; CPU per 1,000"
            f" pings {cpu['ingest']:,.0f} + {cpu['writer']:,.0f} + {cpu['host']:,.0f} ms"
        )
    lost = sum(s["lost"] for s in c["pipeline"] + c["naive"])
    out.append(f"    loss over every step (accepted ids vs stored ids): {lost} ({_met(lost == 0)})")
    for name, lines in c.get("profiles", {}).items():
        out.append(f"    profile of {name} (.local/bench/profiles/{name}.pstats), biggest CPU costs:")
        out.extend(f"      {line}" for line in lines)
    return out


def hot_lines(h: dict[str, Any]) -> list[str]:
    out = ["  hot latest-positions partition (bench/hot_partition.py): one account's latest view"]
    for r in h["rows"]:
        out.append(
            f"    {r['members']:>6,} members: {r['itemsRead']:,.0f} items read, {r['answerBytes'] / 1024:,.0f} KB,"
            f" {r['p50Ms']:,.0f} ms, access-log entry {r['accessLogEntryBytes'] / 1024:,.0f} KB;"
            f" ~{r['viewRu']:,.0f} RU per view"
        )
    return out


def main() -> int:
    whole_numbers(__doc__)  # no arguments; --help describes it
    ingest, capacity, hot = _load("ingest.json"), _load("capacity.json"), _load("hot_partition.json")
    lines = ["", "=" * 100, "make bench: summary (figures from this machine's emulators are relative)"]
    if ingest:
        lines += ingest_lines(ingest)
    if capacity:
        lines += capacity_lines(capacity)
        lines += cost.report(capacity, cost.Crew()) + cost.scaling(capacity, cost.Crew())
    if hot:
        lines += hot_lines(hot)
    missing = [n for n, d in (("ingest", ingest), ("saturation", capacity), ("hot_partition", hot)) if d is None]
    if missing:
        lines.append(f"  missing: {', '.join(missing)} (run python -m bench.<name>)")
    sys.stdout.write("\n".join(lines) + "\n")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
