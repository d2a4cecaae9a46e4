"""The project's checkov policies (infra/policies) catch what they are written for, and `make infra-check` passes.

Each policy has a deliberately bad sample in tests/infra/samples/<policy file stem>.bicep. A sample's header says
`// expect-only: <ID>` when that policy must be the only failing check on it: the storage samples show that
checkov's built-ins pass an account with shared keys or anonymous blob access, and only the project catches it.
checkov runs from .local/checkov-venv (installed by `bash infra/check.sh install` when missing).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from tests.infra.bicep_text import INFRA, ROOT

SAMPLES = Path(__file__).resolve().parent / "samples"
POLICIES = INFRA / "policies"
CHECKOV = ROOT / ".local" / "checkov-venv" / "bin" / "checkov"

pytestmark = pytest.mark.slow


def policy_ids() -> dict[str, str]:
    """Policy file stem -> check id."""
    out = {}
    for path in sorted(POLICIES.glob("*.yaml")):
        m = re.search(r"^\s+id:\s*(\S+)", path.read_text(encoding="utf-8"), re.MULTILINE)
        assert m, f"{path.name} has no metadata.id"
        out[path.stem] = m.group(1)
    return out


@pytest.fixture(scope="module")
def checkov() -> Path:
    if not CHECKOV.exists():
        done = subprocess.run(
            ["bash", str(INFRA / "check.sh"), "install"], cwd=ROOT, capture_output=True, text=True, timeout=900
        )
        if done.returncode != 0 or not CHECKOV.exists():
            pytest.skip(f"checkov could not be installed (bash infra/check.sh install): {done.stderr[-500:]}")
    return CHECKOV


@pytest.fixture(scope="module")
def sample_results(checkov: Path) -> dict[str, dict[str, set[str]]]:
    """Sample file name -> {'failed': ids, 'passed': ids}."""
    done = subprocess.run(
        [
            str(checkov),
            "--directory",
            str(SAMPLES),
            "--framework",
            "bicep",
            "--external-checks-dir",
            str(POLICIES),
            "--skip-download",
            "--compact",
            "--output",
            "json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "LOG_LEVEL": "WARNING"},
    )
    report = json.loads(done.stdout)
    reports = report if isinstance(report, list) else [report]
    results: dict[str, dict[str, set[str]]] = defaultdict(lambda: {"failed": set(), "passed": set()})
    for rep in reports:
        res = rep.get("results", {})
        assert not res.get("parsing_errors"), f"checkov could not parse samples: {res.get('parsing_errors')}"
        for kind, key in (("failed", "failed_checks"), ("passed", "passed_checks")):
            for rec in res.get(key, []):
                results[Path(rec["file_path"]).name][kind].add(rec["check_id"])
    return results


def test_every_policy_has_a_bad_sample() -> None:
    missing = [stem for stem in policy_ids() if not (SAMPLES / f"{stem}.bicep").exists()]
    assert not missing, f"policies without a bad sample in tests/infra/samples: {missing}"


@pytest.mark.parametrize(("stem", "check_id"), sorted(policy_ids().items()))
def test_policy_fails_its_bad_sample(stem: str, check_id: str, sample_results: dict[str, dict[str, set[str]]]) -> None:
    sample = SAMPLES / f"{stem}.bicep"
    failed = sample_results[sample.name]["failed"]
    assert check_id in failed, f"{check_id} ({stem}) did not fail on {sample.name}; failed there: {sorted(failed)}"
    m = re.search(r"^// expect-only: (\S+)$", sample.read_text(encoding="utf-8"), re.MULTILINE)
    if m:
        assert m.group(1) == check_id
        assert failed == {check_id}, f"{sample.name} should fail only {check_id}, failed {sorted(failed)}"


def test_builtins_alone_pass_shared_keys_and_anonymous_blobs(sample_results: dict[str, dict[str, set[str]]]) -> None:
    for stem in ("storage-no-shared-key", "storage-no-public-blob"):
        result = sample_results[f"{stem}.bicep"]
        builtin_failed = {c for c in result["failed"] if not c.startswith("CKV2_INDUSTRACK_")}
        builtin_passed = {c for c in result["passed"] if not c.startswith("CKV2_INDUSTRACK_")}
        assert not builtin_failed and builtin_passed, f"{stem}: built-ins failed {builtin_failed}"


def test_infra_check_passes(checkov: Path) -> None:
    done = subprocess.run(["bash", str(INFRA / "check.sh")], cwd=ROOT, capture_output=True, text=True, timeout=900)
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    assert done.returncode == 0, f"make infra-check failed:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}"
    m = re.search(r"passed (\d+), failed (\d+), skipped (\d+)", summary)
    assert m and int(m.group(2)) == 0 and int(m.group(1)) > 0, summary
