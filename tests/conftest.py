"""Suite-wide plumbing: the `figure` fixture of the proof rows (issue 9) and their summary at the end of the run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from scripts import figures

_SESSION: list[dict[str, Any]] = []


@pytest.fixture
def figure(request: pytest.FixtureRequest) -> Callable[..., None]:
    """`figure(row, "text", key=value, ...)` records the figure a proof row measured (see scripts/figures.py)."""

    def record(row: int, text: str, **values: Any) -> None:
        source = request.node.nodeid
        _SESSION.append(figures.record(row, source, text, **values))

    return record


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `after_all` (the scans of every store) run after everything else, in their file order."""
    items.sort(key=lambda item: item.get_closest_marker("after_all") is not None)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _SESSION:
        return
    terminalreporter.section("proof figures (issue 9; README table: python -m scripts.figures --readme)")
    for line in figures.lines(sorted(_SESSION, key=lambda f: (f["row"], f["source"]))):
        terminalreporter.write_line(line)
