"""The local test clock (docs/test-clock.md): platform admin only, and 404 unless the app runs locally with
TEST_CLOCK_FILE set."""

import azure.functions as func

from core.bootstrap import Container
from core.domain.test_clock import TestClockSet, TestClockView
from functions._http import Auth, Call, endpoint

bp = func.Blueprint()


def _enabled(deps: Container) -> bool:
    return deps.use_cases.test_clock.enabled


@endpoint(
    bp,
    "GET",
    "admin/test-clock",
    auth=Auth.ADMIN,
    response=TestClockView,
    available=_enabled,
    extra_statuses=(404,),
    summary="The app's clock and the real time (local stack only, platform admin)",
    tag="test-clock",
)
def get_test_clock(call: Call) -> TestClockView:
    return call.use_cases.test_clock.read(identity=call.identity)


@endpoint(
    bp,
    "PUT",
    "admin/test-clock",
    auth=Auth.ADMIN,
    body=TestClockSet,
    response=TestClockView,
    available=_enabled,
    extra_statuses=(404,),
    summary="Move or freeze the app's clock (local stack only, platform admin)",
    tag="test-clock",
)
def set_test_clock(call: Call) -> TestClockView:
    return call.use_cases.test_clock.move(identity=call.identity, data=call.body)


@endpoint(
    bp,
    "DELETE",
    "admin/test-clock",
    auth=Auth.ADMIN,
    response=TestClockView,
    available=_enabled,
    extra_statuses=(404,),
    summary="Back to the real time (local stack only, platform admin)",
    tag="test-clock",
)
def reset_test_clock(call: Call) -> TestClockView:
    return call.use_cases.test_clock.reset(identity=call.identity)
