"""The README and the area documents point only at files inside the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_document_points_outside_the_repository() -> None:
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    outside = [
        (d.name, m.group(0)) for d in docs for m in re.finditer(r"`(?:\.\./|/work/|/home/|/tmp/)[^`]*`", d.read_text())
    ]
    assert not outside, f"paths outside the repository: {outside}"


def test_the_policy_file_the_readme_names_exists() -> None:
    named = re.findall(r"`(policy/[^`]+)`", (ROOT / "README.md").read_text())
    assert named and all((ROOT / n).is_file() for n in named)
