"""Static security checks: semgrep with the project's rules (tools/semgrep), bandit, ruff's security rules (S),
and a check that every suppression of a finding carries its written reason. Prints and records one figure line
(row 13 of the proof suite, scripts/figures.py).

Exit status 1 when a tool reports a finding, or when a suppression (`# nosec <id>`, `nosemgrep: <rule>`,
`noqa: S…`/`BLE…`) has no reason written after " - " on its own line or the next one, or when a `# type: ignore`
(also in tests/ and bench/) names no error code or has no reason comment after it.
"""

from __future__ import annotations

import json
import re
import subprocess  # nosec B404 - runs the two pinned checkers below
import sys
from pathlib import Path

from scripts import figures

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".local" / "static-venv"
TARGETS = ["core", "functions", "function_app.py", "devhost", "scripts"]


def _bin(name: str) -> str:
    return str(VENV / "bin" / name)


def run_semgrep() -> list[str]:
    out = subprocess.run(  # nosec B603 - fixed argv, no shell
        [
            _bin("semgrep"),
            "scan",
            "--config",
            str(ROOT / "tools/semgrep"),
            "--metrics=off",
            "--disable-version-check",
            "--json",
            "--quiet",
            *TARGETS,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode not in (0, 1):
        raise SystemExit(f"semgrep failed to run ({out.returncode}): {out.stderr[-2000:]}")
    results = json.loads(out.stdout or "{}").get("results", [])
    return [f"{r['path']}:{r['start']['line']} {r['check_id'].rsplit('.', 1)[-1]}" for r in results]


def run_bandit() -> list[str]:
    out = subprocess.run(  # nosec B603 - fixed argv, no shell
        [_bin("bandit"), "-r", "-q", "-f", "json", "-c", str(ROOT / "tools/static/bandit.yml"), *TARGETS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode not in (0, 1):
        raise SystemExit(f"bandit failed to run ({out.returncode}): {out.stderr[-2000:]}")
    results = json.loads(out.stdout or "{}").get("results", [])
    return [f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}" for r in results]


def run_ruff_security() -> list[str]:
    out = subprocess.run(  # nosec B603 - fixed argv, no shell
        [str(ROOT / ".venv" / "bin" / "ruff"), "check", "--output-format", "json", *TARGETS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode not in (0, 1):
        raise SystemExit(f"ruff failed to run ({out.returncode}): {out.stderr[-2000:]}")
    return [
        f"{r['filename']}:{r['location']['row']} {r['code']} {r['message']}"
        for r in json.loads(out.stdout or "[]")
        if str(r.get("code") or "").startswith("S")
    ]


_SUPPRESSION = re.compile(r"#\s*nosec\b|nosemgrep:|noqa:\s*(?:S\d|BLE\d)")
_REASON = re.compile(r" - \S+(?:\s+\S+){1,}")


def unjustified_suppressions(files: list[Path] | None = None) -> tuple[int, list[str]]:
    """Every suppression of a security finding must say why, on its line or the next one (a wrapped statement)."""
    total, missing = 0, []
    if files is None:
        files = [p for t in TARGETS for p in ([ROOT / t] if t.endswith(".py") else (ROOT / t).rglob("*.py"))]
    for path in sorted(files):
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            comment = line[line.index("#") :] if "#" in line else ""
            if path.name == "static_checks.py" or not _SUPPRESSION.search(comment):
                continue
            total += 1
            nearby = line + (lines[i + 1] if i + 1 < len(lines) else "")
            if not _REASON.search(nearby[nearby.index("#") :]):
                missing.append(f"{path}:{i + 1} suppression without a written reason")
    return total, missing


TYPED = [*TARGETS, "tests", "bench"]  # what mypy checks: every ignore comment there needs its code and reason
_IGNORE = re.compile(r"type:\s*ignore\b(?P<codes>\[[^\]]*\])?(?P<after>.*)")
_IGNORE_REASON = re.compile(r"^\s*#\s*\S+(?:\s+\S+)+")  # "# " then at least two words


def unexplained_type_ignores(files: list[Path] | None = None) -> tuple[int, list[str]]:
    """Every `# type: ignore` must name its error code(s) and say why in a comment after it:
    `x = f()  # type: ignore[attr-defined]  # the SDK adds it at run time`. Comments only (tokenize), so the words
    in a string are not counted."""
    import io
    import tokenize

    total, missing = 0, []
    if files is None:
        files = [p for t in TYPED for p in ([ROOT / t] if t.endswith(".py") else (ROOT / t).rglob("*.py"))]
    for path in sorted(files):
        try:
            tokens = list(tokenize.generate_tokens(io.StringIO(path.read_text()).readline))
        except (tokenize.TokenError, SyntaxError):
            continue  # not Python that parses (a fixture); ruff and mypy report real files
        for token in tokens:
            match = _IGNORE.search(token.string) if token.type == tokenize.COMMENT else None
            if match is None:
                continue
            total += 1
            if not match.group("codes"):
                missing.append(f"{path}:{token.start[0]} `type: ignore` without an error code")
            elif not _IGNORE_REASON.match(match.group("after")):
                missing.append(f"{path}:{token.start[0]} `type: ignore{match.group('codes')}` without a reason")
    return total, missing


def main() -> int:
    semgrep = run_semgrep()
    bandit = run_bandit()
    ruff = run_ruff_security()
    suppressions, unjustified = unjustified_suppressions()
    ignores, unexplained = unexplained_type_ignores()
    for tool, found in (
        ("semgrep", semgrep),
        ("bandit", bandit),
        ("ruff S", ruff),
        ("suppressions", unjustified),
        ("type ignores", unexplained),
    ):
        for line in found:
            print(f"{tool}: {line}")
    rules = sum(
        1
        for line in (ROOT / "tools/semgrep/industrack.yml").read_text().splitlines()
        if line.strip().startswith("- id:")
    )
    text = (
        f"semgrep ({rules} project rules) {len(semgrep)}, bandit {len(bandit)}, ruff security rules {len(ruff)} "
        f"findings; {suppressions} suppressions, {len(unjustified)} without a written reason; {ignores} type "
        f"ignores, {len(unexplained)} without a code and a reason"
    )
    print(f"static checks: {text}")
    figures.record(
        13,
        "make static",
        text,
        semgrep=len(semgrep),
        bandit=len(bandit),
        ruff_security=len(ruff),
        suppressions=suppressions,
        unjustified=len(unjustified),
        type_ignores=ignores,
        type_ignores_unexplained=len(unexplained),
    )
    return 1 if semgrep or bandit or ruff or unjustified or unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
