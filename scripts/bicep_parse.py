"""Parse every Bicep file offline with the tree-sitter Bicep grammar and report syntax errors (no Bicep CLI here).

    .venv/bin/python -m scripts.bicep_parse [PATH ...]    # default: every .bicep and .bicepparam under infra/

Prints `path:line:col: syntax error near '...'` for each ERROR or MISSING node and exits 1 when there is one;
the last line is the count of files parsed. It catches what breaks the text itself (an unclosed brace or bracket, a
stray token, a broken string or decorator); it does not know resource types or functions: checkov and the
infra tests check those.

The grammar (tree-sitter-bicep) predates `.bicepparam` files, whose `param name = value` has no type; such lines
are read as `param name any = value`, keeping the line numbers.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INFRA = ROOT / "infra"
_UNTYPED_PARAM = re.compile(rb"^(\s*param\s+\w+)(\s*=)", re.MULTILINE)
_USING = re.compile(rb"^(\s*)using\s+'[^']*'\s*$", re.MULTILINE)


@dataclass(frozen=True)
class SyntaxProblem:
    path: Path
    line: int
    column: int
    near: str

    def __str__(self) -> str:
        try:
            shown = self.path.relative_to(ROOT)
        except ValueError:
            shown = self.path
        return f"{shown}:{self.line}:{self.column}: syntax error near {self.near!r}"


def _parser() -> object:
    import tree_sitter
    import tree_sitter_bicep

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bicep.language()))


def _as_bicep(path: Path, source: bytes) -> bytes:
    if path.suffix != ".bicepparam":
        return source
    source = _USING.sub(lambda m: m.group(1) + b"//" + m.group(0)[len(m.group(1)) + 2 :], source)
    return _UNTYPED_PARAM.sub(rb"\1 any\2", source)


def _bad_nodes(node: object) -> Iterator[object]:
    if getattr(node, "type", "") == "ERROR" or getattr(node, "is_missing", False):
        yield node
        return
    if not getattr(node, "has_error", False):
        return
    for child in getattr(node, "children", []):
        yield from _bad_nodes(child)


def problems_in(path: Path, parser: object | None = None) -> list[SyntaxProblem]:
    source = _as_bicep(path, path.read_bytes())
    tree = (parser or _parser()).parse(source)  # type: ignore[attr-defined]  # tree-sitter's parser and nodes come untyped (the parser is passed in as object)
    out: list[SyntaxProblem] = []
    for node in _bad_nodes(tree.root_node):
        row, col = node.start_point  # type: ignore[attr-defined]  # tree-sitter's parser and nodes come untyped (the parser is passed in as object)
        text = source[node.start_byte : node.end_byte].decode("utf-8", "replace")  # type: ignore[attr-defined]  # tree-sitter's parser and nodes come untyped (the parser is passed in as object)
        if getattr(node, "is_missing", False):
            text = f"missing {node.type}"  # type: ignore[attr-defined]  # tree-sitter's parser and nodes come untyped (the parser is passed in as object)
        out.append(SyntaxProblem(path, row + 1, col + 1, text.strip()[:60] or "end of line"))
    return out


def bicep_files(root: Path = INFRA) -> list[Path]:
    return sorted([*root.rglob("*.bicep"), *root.rglob("*.bicepparam")])


def main(argv: Sequence[str] | None = None) -> int:
    cli = argparse.ArgumentParser(description="Report Bicep syntax errors (tree-sitter-bicep).")
    cli.add_argument("paths", nargs="*", type=Path, help="files to parse (default: every Bicep file under infra/)")
    paths = [p.resolve() for p in cli.parse_args(argv).paths] or bicep_files()
    parser = _parser()
    found = 0
    for path in paths:
        for problem in problems_in(path, parser):
            print(problem)
            found += 1
    print(f"bicep syntax (tree-sitter-bicep): {len(paths)} files parsed, {found} syntax errors")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
