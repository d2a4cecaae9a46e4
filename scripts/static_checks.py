"""Static security checks: semgrep with the project's rules (tools/semgrep) and bandit. Prints one figure line.

Exit status 1 when either tool reports a finding that carries no written justification (an inline
`nosemgrep: <rule>` / `# nosec <test id>` comment with its reason next to the code).
"""

from __future__ import annotations

import json
import subprocess  # nosec B404 - runs the two pinned checkers below
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".local" / "static-venv"
TARGETS = ["core", "functions", "function_app.py", "devhost", "scripts"]


def _bin(name: str) -> str:
    return str(VENV / "bin" / name)


def run_semgrep() -> list[str]:
    out = subprocess.run(  # nosec B603 - fixed argv, no shell
        [_bin("semgrep"), "scan", "--config", str(ROOT / "tools/semgrep"), "--metrics=off", "--disable-version-check",
         "--json", "--quiet", *TARGETS],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    if out.returncode not in (0, 1):
        raise SystemExit(f"semgrep failed to run ({out.returncode}): {out.stderr[-2000:]}")
    results = json.loads(out.stdout or "{}").get("results", [])
    return [f"{r['path']}:{r['start']['line']} {r['check_id'].rsplit('.', 1)[-1]}" for r in results]


def run_bandit() -> list[str]:
    out = subprocess.run(  # nosec B603 - fixed argv, no shell
        [_bin("bandit"), "-r", "-q", "-f", "json", "-c", str(ROOT / "tools/static/bandit.yml"), *TARGETS],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    if out.returncode not in (0, 1):
        raise SystemExit(f"bandit failed to run ({out.returncode}): {out.stderr[-2000:]}")
    results = json.loads(out.stdout or "{}").get("results", [])
    return [f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}" for r in results]


def main() -> int:
    semgrep = run_semgrep()
    bandit = run_bandit()
    for line in semgrep:
        print(f"semgrep: {line}")
    for line in bandit:
        print(f"bandit: {line}")
    print(f"static checks: semgrep findings {len(semgrep)}, bandit findings {len(bandit)}")
    return 1 if semgrep or bandit else 0


if __name__ == "__main__":
    sys.exit(main())
