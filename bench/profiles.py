"""Reading the CPU profiles that bench/saturation.py saves (cProfile on the thread CPU clock, devhost/cpu.py)."""

from __future__ import annotations

import pstats
from pathlib import Path
from typing import Any


def _where(func: tuple[str, int, str]) -> str:
    filename, line, name = func
    if filename == "~":  # a built-in
        return name
    parts = Path(filename).parts
    for anchor in ("site-packages", "core", "functions", "devhost", "bench"):
        if anchor in parts:
            rest = parts[parts.index(anchor) + (1 if anchor == "site-packages" else 0):]
            return f"{'/'.join(rest)}:{line} {name}"
    return f"{Path(filename).name}:{line} {name}"


def top_costs(path: Path, n: int = 3) -> list[str]:
    """The `n` functions with the most own CPU time, as 'where: x % own (y % with callees)'."""
    stats: Any = pstats.Stats(str(path))
    entries = stats.stats  # func -> (primitive calls, calls, own time, cumulative time, callers)
    total = sum(v[2] for v in entries.values()) or 1.0
    ranked = sorted(entries.items(), key=lambda kv: kv[1][2], reverse=True)[:n]
    return [f"{_where(func)}: {100 * v[2] / total:.0f} % own CPU ({100 * v[3] / total:.0f} % with callees,"
            f" {v[1]} calls)" for func, v in ranked]
