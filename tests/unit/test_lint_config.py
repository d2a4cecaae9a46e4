"""Every rule the linter is told to ignore has a written reason next to it in pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _reasons(text: str) -> dict[str, str]:
    """'# CODE: reason' and '# glob CODE: reason' comment lines."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        m = re.match(r"\s*#\s*(?:(\S+/(?:\*\*|\S+\.py))\s+)?([A-Z]+[0-9]*):\s*(.{15,})", line)
        if m:
            found[f"{m.group(1) or ''} {m.group(2)}".strip()] = m.group(3)
    return found


def test_every_ruff_ignore_has_a_reason() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    lint = tomllib.loads(text)["tool"]["ruff"]["lint"]
    reasons = _reasons(text)
    missing = [code for code in lint.get("ignore", []) if code not in reasons]
    for glob, codes in lint.get("per-file-ignores", {}).items():
        missing += [f"{glob} {code}" for code in codes if f"{glob} {code}" not in reasons]
    assert not missing, f"ruff ignores without a '# CODE: reason' line in pyproject.toml: {missing}"


def test_the_check_sees_a_reasonless_ignore() -> None:
    assert _reasons('# S101: assert states invariants for mypy only\nignore = ["S101"]') == {
        "S101": "assert states invariants for mypy only"
    }
    assert "E501" not in _reasons('ignore = ["E501"]  # long lines')
