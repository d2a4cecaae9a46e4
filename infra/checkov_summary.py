"""Read checkov's JSON report of infra/ and decide: exit 1 on any failed check, any parsing error, any skip without
a written reason, or a project policy (infra/policies) that evaluated nothing. Prints the figures line.

Used by infra/check.sh; runs with the checkov virtual environment's Python (standard library only).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

NO_REASON = {"", "no comment provided"}


def _reports(data: object) -> list[dict[str, object]]:
    if isinstance(data, list):
        return [r for r in data if isinstance(r, dict)]
    return [data] if isinstance(data, dict) else []


def main(report_path: str, policies_dir: str) -> int:
    out = sys.stdout
    reports = _reports(json.loads(Path(report_path).read_text(encoding="utf-8")))
    passed: list[dict[str, object]] = []
    failed: list[dict[str, object]] = []
    skipped: list[dict[str, object]] = []
    parsing_errors: list[str] = []
    for report in reports:
        results = report.get("results")
        if not isinstance(results, dict):
            continue
        passed += results.get("passed_checks", [])
        failed += results.get("failed_checks", [])
        skipped += results.get("skipped_checks", [])
        parsing_errors += [str(p) for p in results.get("parsing_errors", [])]

    problems = 0
    for rec in failed:
        lines = rec.get("file_line_range") or ["?", "?"]
        out.write(
            f"FAILED  {rec['check_id']}  {rec['file_path']}:{lines[0]}  {rec['resource']}  ({rec['check_name']})\n"
        )
        problems += 1
    for path in parsing_errors:
        out.write(f"PARSING ERROR  {path}: checkov could not read this file, so nothing in it was checked\n")
        problems += 1
    for rec in skipped:
        result = rec.get("check_result")
        reason = str(result.get("suppress_comment", "")) if isinstance(result, dict) else ""
        if reason.strip().lower() in NO_REASON:
            out.write(f"SKIP WITHOUT REASON  {rec['check_id']}  {rec['file_path']}  {rec['resource']}\n")
            problems += 1

    evaluated = {str(rec["check_id"]) for rec in passed + failed + skipped}
    policy_ids = []
    for policy in sorted(Path(policies_dir).glob("*.yaml")):
        for line in policy.read_text(encoding="utf-8").splitlines():
            if line.strip().startswith("id:"):
                policy_ids.append(line.split(":", 1)[1].strip())
                break
    for pid in policy_ids:
        if pid not in evaluated:
            out.write(f"POLICY NOT EVALUATED  {pid}: no resource of its type was checked (typo or missing resource?)\n")
            problems += 1

    out.write(
        f"checkov bicep: passed {len(passed)}, failed {len(failed)}, skipped {len(skipped)} (each with its reason), "
        f"parsing errors {len(parsing_errors)}; project policies evaluated: {len(policy_ids)}\n"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
