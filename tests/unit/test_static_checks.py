"""The suppression check of `make static`: a suppressed security finding must carry its written reason."""

from __future__ import annotations

from pathlib import Path

from scripts.static_checks import unjustified_suppressions


def test_suppressions_without_a_reason_are_reported(tmp_path: Path) -> None:
    code = tmp_path / "mod.py"
    code.write_text(
        "import subprocess  # nosec B404 - runs one fixed command below\n"
        "x = eval('1')  # nosec\n"
        "q = 'SELECT ' + y  # noqa: S608\n"
        "q2 = ('SELECT '  # noqa: S608\n"
        "      + z)  # nosec B608 - fixed fragment; values are parameters\n"
        "try:\n    pass\nexcept Exception:  # noqa: BLE001\n    pass\n"
        "ok = 1  # noqa: E501 - not a security rule, not counted\n"
    )
    total, missing = unjustified_suppressions([code])
    assert total == 6
    assert [int(m.split(":")[-1].split()[0]) for m in missing] == [2, 3, 8]


def test_the_project_has_no_unjustified_suppression() -> None:
    total, missing = unjustified_suppressions()
    assert total > 0
    assert missing == []
