"""The local test clock (functions/test_clock.py, docs/test-clock.md)."""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.identity import Identity
from core.domain.test_clock import TestClockSet, TestClockView
from core.ports import Clock
from core.services import test_clock


@dataclass(frozen=True)
class TestClockUseCases:
    __test__ = False  # not a pytest test class
    clock: Clock
    enabled: bool  # a test clock only locally with TEST_CLOCK_FILE set; otherwise the routes answer 404

    def read(self, *, identity: Identity) -> TestClockView:
        return test_clock.read_test_clock(identity=identity, clock=self.clock)

    def move(self, *, identity: Identity, data: TestClockSet) -> TestClockView:
        return test_clock.set_test_clock(identity=identity, data=data, clock=self.clock)

    def reset(self, *, identity: Identity) -> TestClockView:
        return test_clock.reset_test_clock(identity=identity, clock=self.clock)
