"""Reading the CPU profiles that bench/saturation.py saves (cProfile on the thread CPU clock, devhost/cpu.py).

Two views of one profile: the biggest *subtrees* (a function with everything it calls, below half of the total so
that the call chain's wrappers are skipped, and not inside a subtree already named; a later one may contain an
earlier one, so shares can overlap) say what the time goes to; the
biggest *own* times say where in the code it is spent. cProfile adds a fixed cost to every Python call, so the
shares lean towards code that makes many small calls; the CPU totals of bench/saturation.py are unprofiled.
"""

from __future__ import annotations

import pstats
from pathlib import Path
from typing import Any

Func = tuple[str, int, str]


def where(func: Func) -> str:
    filename, line, name = func
    if filename == "~":  # a built-in
        return name
    parts = Path(filename).parts
    for anchor in ("site-packages", "core", "functions", "devhost", "bench"):
        if anchor in parts:
            rest = parts[parts.index(anchor) + (1 if anchor == "site-packages" else 0) :]
            return f"{'/'.join(rest)}:{line} {name}"
    return f"{Path(filename).name}:{line} {name}"


def _under(func: Func, picked: set[Func], entries: dict[Func, Any]) -> bool:
    """Whether `func` is called (directly or not) from one of `picked`."""
    seen: set[Func] = set()
    todo = list(entries[func][4])
    while todo:
        caller = todo.pop()
        if caller in picked:
            return True
        if caller in seen or caller not in entries:
            continue
        seen.add(caller)
        todo.extend(entries[caller][4])
    return False


def biggest_subtrees(path: Path, n: int = 3, cut: float = 0.5) -> list[str]:
    stats: Any = pstats.Stats(str(path))
    entries: dict[Func, Any] = stats.stats  # func -> (primitive calls, calls, own, cumulative, callers)
    total = sum(v[2] for v in entries.values()) or 1.0
    picked: set[Func] = set()
    out = []
    for func, v in sorted(entries.items(), key=lambda kv: kv[1][3], reverse=True):
        if v[3] >= cut * total or _under(func, picked, entries):
            continue  # a wrapper of the whole call, or inside a cost already named
        picked.add(func)
        out.append(f"{where(func)}: {100 * v[3] / total:.0f} % of CPU with its callees ({v[1]} calls)")
        if len(out) == n:
            break
    return out


def biggest_own(path: Path, n: int = 3) -> list[str]:
    stats: Any = pstats.Stats(str(path))
    entries: dict[Func, Any] = stats.stats
    total = sum(v[2] for v in entries.values()) or 1.0
    ranked = sorted(entries.items(), key=lambda kv: kv[1][2], reverse=True)[:n]
    return [f"{where(func)}: {100 * v[2] / total:.0f} % own CPU ({v[1]} calls)" for func, v in ranked]


def top_costs(path: Path, n: int = 3) -> list[str]:
    return [*biggest_subtrees(path, n), "own time: " + "; ".join(biggest_own(path, n))]
