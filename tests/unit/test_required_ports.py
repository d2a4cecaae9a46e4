"""Required ports are required (issue 26): no parameter of a service function that is named after a root port
(`core.services.wiring.PORT_NAMES`) has a default. A default there would be a second behaviour that only unit tests
see: production always passes the port, so the branch taken when it is missing is never run where it matters."""

from __future__ import annotations

import ast
from pathlib import Path

from core.services.wiring import PORT_NAMES

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "core" / "services"


def defaulted_ports(source: str, filename: str = "<source>") -> list[str]:
    """`file:line function(param=default)` for every parameter named after a port that has a default."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        args = node.args
        positional = args.posonlyargs + args.args
        with_defaults = list(zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True))
        with_defaults += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None]
        found += [
            f"{filename}:{node.lineno} {node.name}({arg.arg}={ast.unparse(default)})"
            for arg, default in with_defaults
            if arg.arg in PORT_NAMES
        ]
    return found


def test_no_service_parameter_named_after_a_port_has_a_default() -> None:
    files = sorted(SERVICES.rglob("*.py"))
    assert len(files) > 20  # the scan reads the services, not an empty folder
    found = [hit for path in files for hit in defaulted_ports(path.read_text(), str(path.relative_to(ROOT)))]
    assert found == [], "a port parameter with a default (pass the port; `| None` if production may lack it):\n" + (
        "\n".join(found)
    )


def test_the_scan_finds_a_defaulted_port_keyword_only_or_positional() -> None:
    source = (
        "def a(*, clock, accounts=None, name='x'): ...\n"
        "def b(media=None, /, *, private_zones: object | None = None): ...\n"
        "class C:\n"
        "    def m(self, withheld_pings=None, limit=3): ...\n"
        "def fine(*, billing_notifier: object | None, outbox_keep_days: int, workers: int = 8): ...\n"
    )
    assert defaulted_ports(source) == [
        "<source>:1 a(accounts=None)",
        "<source>:2 b(media=None)",
        "<source>:2 b(private_zones=None)",
        "<source>:4 m(withheld_pings=None)",
    ]
