"""Just enough reading of Bicep text for the infra tests (no Bicep CLI here): declarations, blocks and keys."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"

_PARAM = re.compile(r"^param\s+(\w+)\s+(\w+)(\s*=\s*(.+))?$", re.MULTILINE)
_OUTPUT = re.compile(r"^output\s+(\w+)\s+\w+\s*=", re.MULTILINE)
_MODULE = re.compile(r"^module\s+(\w+)\s+'([^']+)'\s*=", re.MULTILINE)
_KEY = re.compile(r"^\s*(?:'([^']+)'|([A-Za-z_]\w*))\s*:")


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: str | None


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def strip_comments(text: str) -> str:
    """Drop // comments (outside strings) so keys and braces in comments do not count."""
    out = []
    for line in text.splitlines():
        in_string = False
        cut = len(line)
        for i, ch in enumerate(line):
            if ch == "'":
                in_string = not in_string
            elif not in_string and line.startswith("//", i):
                cut = i
                break
        out.append(line[:cut])
    return "\n".join(out)


def params(text: str) -> dict[str, Param]:
    return {m.group(1): Param(m.group(1), m.group(2), m.group(4)) for m in _PARAM.finditer(strip_comments(text))}


def outputs(text: str) -> set[str]:
    return set(_OUTPUT.findall(strip_comments(text)))


def modules(text: str) -> dict[str, str]:
    """Symbolic module name -> relative path."""
    return {m.group(1): m.group(2) for m in _MODULE.finditer(strip_comments(text))}


def block_after(text: str, header: str) -> str:
    """The text between the first `{` at or after `header` (a regex) and its matching `}`."""
    text = strip_comments(text)
    match = re.search(header, text, re.MULTILINE)
    if match is None:
        raise AssertionError(f"no {header!r} in the Bicep text")
    start = text.index("{", match.start())
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i]
    raise AssertionError(f"unbalanced braces after {header!r}")


def top_level_keys(block: str) -> list[str]:
    """Keys of the object whose body is `block` (nested objects and arrays are skipped)."""
    keys: list[str] = []
    depth = 0
    for line in block.splitlines():
        if depth == 0:
            m = _KEY.match(line)
            if m:
                keys.append(m.group(1) or m.group(2))
        depth += line.count("{") + line.count("[") - line.count("}") - line.count("]")
    return keys


def module_params(main_text: str, module_name: str) -> list[str]:
    body = block_after(main_text, rf"^module\s+{module_name}\s+'")
    return top_level_keys(block_after("x" + body, r"^\s*params\s*:"))


def bicepparam_values(text: str) -> dict[str, str]:
    """`param name = value` of a .bicepparam file; multi-line objects are returned whole."""
    text = strip_comments(text)
    values: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^param\s+(\w+)\s*=\s*(.*)$", lines[i])
        i += 1
        if not m:
            continue
        value = m.group(2).strip()
        depth = value.count("{") - value.count("}")
        while depth > 0 and i < len(lines):
            value += "\n" + lines[i]
            depth += lines[i].count("{") - lines[i].count("}")
            i += 1
        values[m.group(1)] = value
    return values


def object_literal(value: str) -> dict[str, str]:
    """A flat Bicep object literal (`{ key: value ... }`) as key -> raw value text."""
    inner = value.strip()
    assert inner.startswith("{") and inner.endswith("}"), f"not an object literal: {value!r}"
    out: dict[str, str] = {}
    for line in inner[1:-1].splitlines():
        m = re.match(r"^\s*(?:'([^']+)'|([A-Za-z_]\w*))\s*:\s*(.+?)\s*$", line)
        if m:
            out[m.group(1) or m.group(2)] = m.group(3)
    return out
