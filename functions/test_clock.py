"""The local test clock (docs/test-clock.md): platform admin only, and 404 unless the app runs locally with
TEST_CLOCK_FILE set."""

import azure.functions as func

from core.domain.test_clock import TestClockSet, TestClockView
from core.services.use_cases.test_clock import TestClockUseCases
from functions._http import Auth, Call, endpoint, use_cases

bp = func.Blueprint()
test_clock = use_cases(TestClockUseCases)


def _enabled() -> bool:
    return test_clock().available()


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
    return test_clock().read(identity=call.identity)


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
    return test_clock().move(identity=call.identity, data=call.body)


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
    return test_clock().reset(identity=call.identity)
