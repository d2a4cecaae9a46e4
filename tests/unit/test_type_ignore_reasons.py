"""scripts/static_checks.py (make static): every `# type: ignore` names its error code and gives a reason."""

from __future__ import annotations

from pathlib import Path

from scripts.static_checks import unexplained_type_ignores


def test_an_ignore_needs_a_code_and_a_reason(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text(
        "a = f()  # type: ignore[attr-defined]  # the SDK adds it at run time\n"  # fine
        "b = g()  # type: ignore\n"  # no code
        "c = h()  # type: ignore[arg-type]\n"  # no reason
        "d = i()  # type: ignore[arg-type]  # fake\n"  # one word is no reason
        "e = j()  # type:ignore[misc] # wrapped statement, see the line above\n"  # fine without the spaces
        "text = 'a string saying # type: ignore is not a comment'\n"
    )
    total, missing = unexplained_type_ignores([source])
    assert total == 5  # the string on the last line is not counted
    assert [line.split(" ", 1)[0].rsplit(":", 1)[1] for line in missing] == ["2", "3", "4"]
    assert "without an error code" in missing[0] and "without a reason" in missing[1]


def test_a_file_without_ignores_is_clean(tmp_path: Path) -> None:
    source = tmp_path / "clean.py"
    source.write_text("x: int = 1  # an ordinary comment\n")
    assert unexplained_type_ignores([source]) == (0, [])
