"""The portal's line diff (portal/src/pages/privacy/linediff.ts, issue 16), run as it ships: the TypeScript is
transpiled by the TypeScript compiler in node_modules and executed by Node, no DOM involved."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "portal" / "src" / "pages" / "privacy" / "linediff.ts"
RUNNER = """
const ts = require(process.argv[1]);
const fs = require("fs");
const js = ts.transpileModule(fs.readFileSync(process.argv[2], "utf8"),
  { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 } }).outputText;
const mod = { exports: {} };
new Function("module", "exports", js)(mod, mod.exports);
const cases = JSON.parse(fs.readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(cases.map(([a, b]) => mod.exports.diffLines(a, b))));
"""


BEFORE = "# Policy\nA\nB\nC\nD\n"
AFTER = "# Policy\nA\nB2\nC\nD\nE\n"
LONG_BEFORE = "\n".join(f"line {i}" for i in range(200))
LONG_AFTER = "\n".join(f"line {i}" if i % 17 else f"changed {i}" for i in range(0, 230, 1) if i % 41)
CASES = (
    (BEFORE, BEFORE),
    (BEFORE, AFTER),
    ("x\r\ny\r\n", "x\ny\n"),
    (BEFORE, ""),
    ("a", "<script>alert(1)</script>\na"),
    (LONG_BEFORE, LONG_AFTER),
)


@functools.cache
def _all() -> list[list[dict[str, Any]]]:
    """Every case in one Node run (loading the TypeScript compiler takes seconds on a busy machine)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed (make install)")
    out = subprocess.run(
        [node, "-e", RUNNER, str(ROOT / "node_modules" / "typescript"), str(MODULE)],
        input=json.dumps(CASES),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    result: list[list[dict[str, Any]]] = json.loads(out.stdout)
    return result


def _ops(lines: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(line["op"], line["text"]) for line in lines]


def test_changes_are_the_lines_added_and_removed_and_the_rest_is_kept_in_order() -> None:
    same, edited, crlf, emptied, markup, _ = _all()
    assert all(op == "same" for op, _ in _ops(same)) and [t for _, t in _ops(same)] == ["# Policy", "A", "B", "C", "D"]
    assert _ops(edited) == [
        ("same", "# Policy"),
        ("same", "A"),
        ("removed", "B"),
        ("added", "B2"),
        ("same", "C"),
        ("same", "D"),
        ("added", "E"),
    ]
    assert _ops(crlf) == [("same", "x"), ("same", "y")]
    assert [op for op, _ in _ops(emptied)] == ["removed"] * 5 + ["added"]  # "" is one empty line
    assert _ops(markup) == [("added", "<script>alert(1)</script>"), ("same", "a")]  # text, not parsed


def test_both_texts_can_be_rebuilt_from_the_diff() -> None:
    lines = _all()[-1]
    assert "\n".join(t for op, t in _ops(lines) if op != "added") == LONG_BEFORE
    assert "\n".join(t for op, t in _ops(lines) if op != "removed") == LONG_AFTER
    assert sum(op == "same" for op, _ in _ops(lines)) >= 150  # a longest common run, not "all removed, all added"
