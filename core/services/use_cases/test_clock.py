"""The local test clock (functions/test_clock.py, docs/test-clock.md)."""

from __future__ import annotations

from core.services import test_clock
from core.services.wiring import UseCases, inject


class TestClockUseCases(UseCases):
    __test__ = False  # not a pytest test class

    read = inject(test_clock.read_test_clock)
    move = inject(test_clock.set_test_clock)
    reset = inject(test_clock.reset_test_clock)
    # A test clock only locally with TEST_CLOCK_FILE set; otherwise the routes answer 404.
    available = inject(test_clock.clock_is_movable)
