"""Shared test helpers: waiting for a condition, random ids."""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def wait_for(
    condition: Callable[[], T | None], *, timeout: float = 30.0, interval: float = 0.1, what: str = "condition"
) -> T:
    """Poll `condition` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last value: {last!r})")


def rid(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


@functools.cache
def app_functions() -> tuple[Any, ...]:
    """`function_app.app`'s functions, built once per process: azure-functions registers the Blueprints' functions
    again on every `get_functions()` call and then refuses the duplicates."""
    from function_app import app

    return tuple(app.get_functions())
