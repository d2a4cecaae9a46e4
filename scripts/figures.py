"""Figures of the proof suite (issue 9): every fault, load and hostile-input row records what it measured.

Tests record through the `figure` fixture (tests/conftest.py), `make static` and `make bench` call `record`
directly. Each record replaces the previous one of the same row and source in `.local/figures/latest.json`;
`python -m scripts.figures` prints them and `python -m scripts.figures --readme` rewrites the table in
README.md between its two markers, so the README shows the latest figures of this checkout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIGURES_PATH = ROOT / ".local" / "figures" / "latest.json"
README = ROOT / "README.md"
START = "<!-- figures:start -->"
END = "<!-- figures:end -->"

ROWS: dict[int, str] = {
    1: "queue worker killed mid-batch, restarted",
    2: "one message processed by two workers at once",
    3: "a message that always fails",
    4: "Cosmos DB emulator or Azurite stopped for 30 s during ingest",
    5: "account A's owner and members against B's ids",
    6: "forged, stale and foreign tokens",
    7: "mass assignment",
    8: "oversized and hostile bodies",
    9: "property-based fuzzing from the OpenAPI document",
    10: "hostile uploads",
    11: "Luhn scan of logs, Cosmos documents and blobs",
    12: "retention and closure, then a scan of every store",
    13: "static checks",
    14: "load: ingest with owners reading (make bench)",
}


def _load() -> list[dict[str, Any]]:
    try:
        data = json.loads(FIGURES_PATH.read_text())
    except (OSError, ValueError):
        return []
    return [f for f in data.get("figures", []) if isinstance(f, dict)]


def record(row: int, source: str, text: str, **values: Any) -> dict[str, Any]:
    """Store one figure (replacing the one of the same row and source) and return it."""
    if row not in ROWS:
        raise ValueError(f"unknown proof row {row}")
    entry = {
        "row": row,
        "source": source,
        "text": text,
        "values": values,
        "measuredAt": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    }
    figures = [f for f in _load() if (f.get("row"), f.get("source")) != (row, source)]
    figures.append(entry)
    figures.sort(key=lambda f: (f["row"], f["source"]))
    FIGURES_PATH.parent.mkdir(parents=True, exist_ok=True)
    tmp = FIGURES_PATH.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"figures": figures}, indent=2) + "\n")
    tmp.replace(FIGURES_PATH)
    return entry


def lines(figures: list[dict[str, Any]]) -> list[str]:
    return [f"row {f['row']:>2} | {f['text']}  ({f['source']})" for f in figures]


def table(figures: list[dict[str, Any]]) -> str:
    out = ["| # | attack or fault | figure | measured by | when (UTC) |", "|---|---|---|---|---|"]
    by_row: dict[int, list[dict[str, Any]]] = {}
    for f in figures:
        by_row.setdefault(int(f["row"]), []).append(f)
    for row, title in ROWS.items():
        found = by_row.get(row, [])
        if not found:
            out.append(f"| {row} | {title} | not measured yet | | |")
        for f in found:
            out.append(f"| {row} | {title} | {f['text']} | `{f['source']}` | {f['measuredAt'].replace('+00:00', '')} |")
    return "\n".join(out)


def write_readme(figures: list[dict[str, Any]]) -> None:
    text = README.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"README.md has no {START} ... {END} markers")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{START}\n{table(figures)}\n{END}{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--readme", action="store_true", help="rewrite the figures table in README.md")
    args = parser.parse_args(argv)
    figures = _load()
    for line in lines(figures):
        print(line)
    missing = sorted(set(ROWS) - {int(f["row"]) for f in figures})
    if missing:
        print(f"rows not measured yet: {', '.join(map(str, missing))}")
    if args.readme:
        write_readme(figures)
        print("README.md figures table rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
