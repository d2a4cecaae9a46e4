"""Bicep syntax is checked offline (scripts/bicep_parse.py, tree-sitter-bicep, run by `make infra-check` and here):
every template and parameter file parses, and a broken file is reported at its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts import bicep_parse
from tests.infra.bicep_text import INFRA, ROOT, read


@pytest.mark.parametrize("path", bicep_parse.bicep_files(), ids=lambda p: p.name)
def test_every_bicep_file_parses(path: Path) -> None:
    assert [str(p) for p in bicep_parse.problems_in(path)] == []


def test_the_parser_sees_every_template_and_parameter_file() -> None:
    names = {p.name for p in bicep_parse.bicep_files()}
    assert {"main.bicep", "roles.bicep", "functionapp.bicep", "dev.bicepparam", "prod.bicepparam"} <= names


def test_a_missing_closing_brace_is_reported_at_its_block(tmp_path: Path) -> None:
    lines = read(INFRA / "main.bicep").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("module roles "))
    end = next(i for i in range(start, len(lines)) if lines[i] == "}")
    broken = tmp_path / "main.bicep"
    broken.write_text("\n".join(lines[:end] + lines[end + 1 :]) + "\n", encoding="utf-8")
    problems = bicep_parse.problems_in(broken)
    assert problems, "a module block without its closing brace parsed cleanly"
    assert any(p.line >= start + 1 for p in problems)


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("stray.bicep", "param a string\nparam b string = 'x' 'y'\n", 2),
        ("unclosed.bicep", "var a = {\n  b: [\n    'c'\n}\n", 4),
        ("decorator.bicep", "@description('x'\nparam a string\n", 1),
        ("values.bicepparam", "using '../main.bicep'\nparam a = {\n  b: 1\n", 3),
    ],
)
def test_broken_files_are_reported(tmp_path: Path, name: str, text: str, line: int) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    problems = bicep_parse.problems_in(path)
    assert problems, f"{name} parsed cleanly"
    assert min(p.line for p in problems) <= line, [str(p) for p in problems]


def test_the_command_fails_on_a_broken_file_and_make_infra_check_runs_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.bicep"
    bad.write_text("resource r 'A/b@1' = {\n  name: 'x'\n", encoding="utf-8")
    assert bicep_parse.main([str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:" in out and "1 syntax errors" in out
    assert bicep_parse.main([]) == 0
    assert "python -m scripts.bicep_parse" in read(ROOT / "infra" / "check.sh")
