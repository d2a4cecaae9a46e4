"""The local host's opt-in CPU accounting (devhost/cpu.py): thread CPU per function, off unless asked for, and the
profiles it writes on demand."""

from __future__ import annotations

import pstats
from pathlib import Path

from devhost.cpu import CpuAccounting


def _spin(n: int) -> int:
    return sum(i * i for i in range(n))


def test_cpu_time_is_counted_per_function_only_when_enabled(tmp_path: Path) -> None:
    off = CpuAccounting(enabled=False, profile_dir=tmp_path)
    assert off.run("f", _spin, 1000) == _spin(1000)
    assert off.snapshot()["functions"] == {}

    on = CpuAccounting(enabled=True, profile_dir=tmp_path)
    on.run("busy", _spin, 300_000)
    on.run("busy", _spin, 300_000)
    on.run("idle", lambda: None)
    fns = on.snapshot()["functions"]
    assert fns["busy"]["invocations"] == 2 and fns["idle"]["invocations"] == 1
    assert fns["busy"]["cpuNs"] > 10 * max(1, fns["idle"]["cpuNs"])
    assert fns["busy"]["wallNs"] >= fns["busy"]["cpuNs"] * 0.5


def test_a_profile_covers_only_the_named_functions_from_start_to_stop(tmp_path: Path) -> None:
    acc = CpuAccounting(enabled=True, profile_dir=tmp_path)
    acc.run("busy", _spin, 1000)  # before start: not profiled
    acc.start_profile(["busy"])
    acc.run("busy", _spin, 50_000)
    acc.run("other", _spin, 50_000)
    written = acc.stop_profile()
    assert written == [str(tmp_path / "busy.pstats")]
    functions = pstats.Stats(written[0]).get_stats_profile().func_profiles
    assert "_spin" in functions and functions["_spin"].ncalls == "1"  # one profiled call of _spin
    acc.run("busy", _spin, 1000)  # after stop: nothing more is recorded
    assert acc.stop_profile() == []
