"""The wiring (core/services/wiring.py): ports injected by parameter name, and the mypy plugin that keeps every
trigger's call of a use case type-checked (tools/mypy_wiring.py)."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from mypy import api as mypy_api

from core.ports import AccountStore, Clock
from core.services.wiring import PORT_NAMES, UseCases, built, inject, ports_of
from tests.unit.fakes import FakeAccountStore, FakeClock

ROOT = Path(__file__).resolve().parents[2]
NOON = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


class _Ports:
    def __init__(self, **ports: Any) -> None:
        self.ports = ports
        self.asked: list[str] = []

    def port(self, name: str) -> Any:
        self.asked.append(name)
        return self.ports[name]


def _greet(*, name: str, clock: Clock, accounts: AccountStore) -> str:
    return f"{name} at {clock.now():%H:%M}, account {accounts.get_account(name)}"


@dataclass
class _Counter:
    clock: Clock
    step: int = 1


class _Area(UseCases):
    greet = inject(_greet)
    counter = built(_Counter)


def test_a_use_case_gets_its_ports_by_name_and_the_caller_the_rest() -> None:
    ports = _Ports(clock=FakeClock(NOON), accounts=FakeAccountStore())
    area = _Area(ports)
    assert area.greet(name="ada") == "ada at 12:00, account None"
    assert sorted(ports.asked) == ["accounts", "clock"]
    assert ports_of(_greet) == ("clock", "accounts")


def test_a_built_object_is_built_once_per_area_with_its_ports() -> None:
    clock = FakeClock(NOON)
    area = _Area(_Ports(clock=clock, accounts=FakeAccountStore()))
    first = area.counter
    assert first is area.counter
    assert (first.clock, first.step) == (clock, 1)


def test_every_port_the_root_provides_is_a_root_attribute() -> None:
    from core.bootstrap import Container

    missing = sorted(name for name in PORT_NAMES if not hasattr(Container, name) and name != "clock")
    assert missing == []


CASES = {
    "ok": ("notes().create(principal=p, data=d)", None),
    "unknown argument": ("notes().create(principal=p, data=d, colour=1)", 'Unexpected keyword argument "colour"'),
    "missing argument": ("notes().create(principal=p)", 'Missing named argument "data"'),
    "a port passed by the caller": (
        "notes().create(principal=p, data=d, media=None)",
        'Unexpected keyword argument "media"',
    ),
    "wrong type": ("notes().create(principal=p, data=1)", 'Argument "data"'),
}


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One mypy run over a module per case (the project's own configuration and plugin)."""
    folder = tmp_path_factory.mktemp("wiring")
    files = {}
    for index, (case, (line, _)) in enumerate(CASES.items()):
        path = folder / f"case_{index}.py"
        path.write_text(
            textwrap.dedent(
                f"""\
                from core.domain.identity import Principal
                from core.domain.media import NoteCreate
                from core.services.use_cases.notes import NoteUseCases

                def call(notes_area: NoteUseCases, p: Principal, d: NoteCreate) -> None:
                    def notes() -> NoteUseCases:
                        return notes_area

                    {line}
                """
            )
        )
        files[case] = str(path)
    wrong_port = folder / "wrong_port.py"
    wrong_port.write_text(
        textwrap.dedent(
            """\
            from core.services.wiring import UseCases, inject

            def uses(*, media: int) -> None: ...

            class Area(UseCases):
                go = inject(uses)
            """
        )
    )
    files["wrong port type"] = str(wrong_port)
    stdout, _, _ = mypy_api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--no-error-summary",
            "--cache-dir",
            str(folder / "cache"),
            *list(files.values()),
        ]
    )
    return {
        case: "\n".join(line for line in stdout.splitlines() if line.startswith(path)) for case, path in files.items()
    }


@pytest.mark.parametrize("case", list(CASES))
def test_mypy_checks_a_triggers_call_of_a_use_case(checked: dict[str, str], case: str) -> None:
    expected = CASES[case][1]
    if expected is None:
        assert checked[case] == ""
    else:
        assert expected in checked[case], checked[case]


def test_mypy_refuses_a_port_parameter_of_another_type_than_the_roots(checked: dict[str, str]) -> None:
    assert 'wiring: the root\'s port "media"' in checked["wrong port type"], checked["wrong port type"]
