"""The portal's "Who looked at my data" in words (portal/src/pages/me/accessreads.ts, issues 30 and 31), run as it
ships: transpiled by the TypeScript compiler in node_modules and executed by Node, no DOM involved. Consecutive
10-minute entries of one viewer and kind join into one line with the first and last read and the count; the kinds
read as words, never as the API's codes."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "portal" / "src" / "pages" / "me" / "accessreads.ts"
RUNNER = """
const ts = require(process.argv[1]);
const fs = require("fs");
const js = ts.transpileModule(fs.readFileSync(process.argv[2], "utf8"),
  { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 } }).outputText;
const mod = { exports: {} };
new Function("module", "exports", js)(mod, mod.exports);
const cases = JSON.parse(fs.readFileSync(0, "utf8"));
const when = (iso) => iso.slice(0, 10) + " " + iso.slice(11, 16);
const clock = (iso) => iso.slice(11, 16);
process.stdout.write(JSON.stringify(cases.map((reads) =>
  mod.exports.readLines(reads).map((line) => mod.exports.sentence(line, when, clock)))));
"""


def entry(data: str, at: str, last: str, count: int, viewer: str = "o1", resource: str | None = None) -> dict[str, Any]:
    name = {"o1": "Ana Owner", "o2": None}[viewer]
    return {
        "viewerUserId": viewer,
        "viewerName": name,
        "viewerRole": "owner",
        "data": data,
        "resourceId": resource,
        "at": f"2026-12-07T{at}:00Z",
        "lastAt": f"2026-12-07T{last}:00Z",
        "count": count,
    }


LIVE = "latest-positions"
DASH = "\N{EN DASH}"  # between the first and last read
CASES = (
    # an hour of the live map, newest first: three windows of one line
    [entry(LIVE, "14:40", "14:55", 4), entry(LIVE, "14:30", "14:39", 5), entry(LIVE, "14:02", "14:29", 3)],
    # a gap longer than 10 minutes splits; another kind and another viewer are lines of their own
    [
        entry(LIVE, "16:00", "16:00", 1),
        entry("location-track", "15:00", "15:05", 2),
        entry(LIVE, "14:02", "14:20", 6),
        entry("photo", "13:00", "13:00", 1, resource="p1"),
        entry("note", "12:00", "12:09", 2, viewer="o2"),
    ],
    [entry("something-new", "10:00", "10:00", 1)],
)


@functools.cache
def _all() -> list[list[str]]:
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
    result: list[list[str]] = json.loads(out.stdout)
    return result


def test_the_windows_of_one_viewing_are_one_line_with_first_last_and_count() -> None:
    assert _all()[0] == [
        f"Ana Owner (Account Owner) viewed your location on the live map, 2026-12-07 14:02{DASH}14:55, 12 times"
    ]


def test_gaps_kinds_and_viewers_make_lines_of_their_own_in_words() -> None:
    assert _all()[1] == [
        "Ana Owner (Account Owner) viewed your location on the live map, 2026-12-07 16:00, once",
        f"Ana Owner (Account Owner) viewed your location history (track), 2026-12-07 15:00{DASH}15:05, 2 times",
        f"Ana Owner (Account Owner) viewed your location on the live map, 2026-12-07 14:02{DASH}14:20, 6 times",
        "Ana Owner (Account Owner) viewed one of your photos, 2026-12-07 13:00, once",
        f"Someone no longer in the account (Account Owner) viewed your notes, 2026-12-07 12:00{DASH}12:09, 2 times",
    ]
    assert not any(code in line for line in _all()[1] for code in ("latest-positions", "location-track"))
    assert _all()[2] == ["Ana Owner (Account Owner) viewed your data, 2026-12-07 10:00, once"]
