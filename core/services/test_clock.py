"""The local test clock (docs/test-clock.md): read, move and reset the app's clock. Platform admin only, and only
where the container built a test clock (APP_ENVIRONMENT=local with TEST_CLOCK_FILE set); anywhere else the
endpoints answer 404 as if they did not exist."""

from __future__ import annotations

import logging
from datetime import timedelta

from core.clock import FileTestClock
from core.domain.errors import NotFound
from core.domain.identity import Identity
from core.domain.test_clock import TestClockSet, TestClockState, TestClockView
from core.ports import Clock, StoreClock
from core.services import auth

log = logging.getLogger(__name__)


def _test_clock(clock: Clock) -> FileTestClock:
    if not isinstance(clock, FileTestClock):
        raise NotFound()
    return clock


def _view(clock: FileTestClock) -> TestClockView:
    state = clock.state()
    system = clock.system_now()
    now = clock.now()
    return TestClockView(
        now=now,
        system_now=system,
        offset_seconds=round((now - system).total_seconds(), 3),
        frozen=state.frozen_at is not None,
    )


def read_test_clock(*, identity: Identity, clock: Clock) -> TestClockView:
    test_clock = _test_clock(clock)
    auth.require_platform_admin(identity)
    return _view(test_clock)


def _move_store(test_clock: FileTestClock, store_clock: StoreClock | None) -> None:
    """The local Cosmos DB server's clock follows the test clock (items expire by their ttl under a moved clock).
    A frozen test clock moves it to the frozen instant once; the server's clock then runs on from there."""
    if store_clock is not None:
        store_clock.move(offset_seconds=(test_clock.now() - test_clock.system_now()).total_seconds())


def set_test_clock(
    *, identity: Identity, data: TestClockSet, clock: Clock, store_clock: StoreClock | None
) -> TestClockView:
    test_clock = _test_clock(clock)
    auth.require_platform_admin(identity)
    system = test_clock.system_now()
    target = data.now if data.now is not None else system + timedelta(seconds=data.offset_seconds or 0.0)
    if data.frozen:
        state = TestClockState(frozen_at=target)
    else:
        state = TestClockState(offset_seconds=(target - system).total_seconds())
    test_clock.set(state)
    _move_store(test_clock, store_clock)
    log.warning("test clock moved to %s (frozen: %s) by %s", target.isoformat(), data.frozen, identity.user_id)
    return _view(test_clock)


def reset_test_clock(*, identity: Identity, clock: Clock, store_clock: StoreClock | None) -> TestClockView:
    test_clock = _test_clock(clock)
    auth.require_platform_admin(identity)
    test_clock.reset()
    _move_store(test_clock, store_clock)
    log.warning("test clock reset to the real time by %s", identity.user_id)
    return _view(test_clock)


def clock_is_movable(*, test_clock_enabled: bool) -> bool:
    """Whether this process runs on a test clock (the routes answer 404 elsewhere, as if they did not exist)."""
    return test_clock_enabled
