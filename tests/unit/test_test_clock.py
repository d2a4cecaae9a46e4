"""The local test clock: refused outside APP_ENVIRONMENT=local, shared through its file, moved only by an admin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.bootstrap import Container
from core.clock import FileTestClock, SystemClock
from core.domain.errors import Forbidden, NotFound
from core.domain.identity import Identity
from core.domain.test_clock import TestClockSet, TestClockState
from core.services import test_clock
from core.settings import Settings

REAL = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
ADMIN = Identity("admin-1", "a@example.com", is_platform_admin=True)


def _settings(**values: str) -> Settings:
    return Settings.model_validate(values)


@pytest.mark.parametrize("environment", ["azure", "production", "Local", ""])
def test_the_app_refuses_to_start_with_a_test_clock_anywhere_but_local(environment: str, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="TEST_CLOCK_FILE"):
        _settings(APP_ENVIRONMENT=environment, TEST_CLOCK_FILE=str(tmp_path / "clock.json"))
    # Even settings built without validation cannot give the container a test clock outside local.
    unchecked = Settings.model_construct(environment=environment, test_clock_file=str(tmp_path / "clock.json"))
    with pytest.raises(RuntimeError, match="APP_ENVIRONMENT=local"):
        Container(unchecked)


def test_without_the_setting_the_clock_is_the_system_clock_everywhere(tmp_path: Path) -> None:
    for environment in ("azure", "local"):
        settings = _settings(APP_ENVIRONMENT=environment, TEST_CLOCK_FILE="")
        assert settings.test_clock_file is None
        deps = Container(settings)
        assert isinstance(deps.clock, SystemClock) and not deps.test_clock_enabled
    local = Container(_settings(APP_ENVIRONMENT="local", TEST_CLOCK_FILE=str(tmp_path / "clock.json")))
    assert isinstance(local.clock, FileTestClock) and local.test_clock_enabled


def test_offset_and_frozen_time_are_shared_through_the_file(tmp_path: Path) -> None:
    real = [REAL]
    path = tmp_path / "nested" / "clock.json"
    writer = FileTestClock(path, system=lambda: real[0])
    reader = FileTestClock(path, system=lambda: real[0])  # another process, or another part of the host
    assert reader.now() == REAL
    writer.set(TestClockState(offset_seconds=86400 * 30))
    assert reader.now() == REAL + timedelta(days=30)
    real[0] += timedelta(minutes=5)
    assert reader.now() == REAL + timedelta(days=30, minutes=5)  # an offset clock keeps running
    frozen = datetime(2027, 3, 14, 8, 0, tzinfo=UTC)
    writer.set(TestClockState(frozen_at=frozen))
    real[0] += timedelta(hours=1)
    assert reader.now() == frozen  # a frozen one does not
    writer.reset()
    assert reader.now() == real[0] and not path.exists()


def test_the_service_moves_freezes_and_resets_for_an_admin_only(tmp_path: Path) -> None:
    clock = FileTestClock(tmp_path / "clock.json", system=lambda: REAL)
    target = datetime(2027, 3, 13, 9, 0, tzinfo=UTC)
    view = test_clock.set_test_clock(store_clock=None, identity=ADMIN, data=TestClockSet(now=target), clock=clock)
    assert view.now == target and view.system_now == REAL and not view.frozen
    assert view.offset_seconds == (target - REAL).total_seconds()
    view = test_clock.set_test_clock(
        store_clock=None,
        identity=ADMIN,
        data=TestClockSet.model_validate({"offsetSeconds": 60, "frozen": True}),
        clock=clock,
    )
    assert view.now == REAL + timedelta(seconds=60) and view.frozen
    assert test_clock.reset_test_clock(store_clock=None, identity=ADMIN, clock=clock).now == REAL
    with pytest.raises(Forbidden):
        test_clock.set_test_clock(
            store_clock=None, identity=Identity("u1", "u@example.com"), data=TestClockSet(now=target), clock=clock
        )
    with pytest.raises(NotFound):  # no test clock in this process: as if the endpoint did not exist
        test_clock.read_test_clock(identity=ADMIN, clock=SystemClock())


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"now": "2027-01-01T00:00:00Z", "offsetSeconds": 1},
        {"now": "2027-01-01T00:00:00"},
        {"now": "2101-01-01T00:00:00Z"},
        {"offsetSeconds": 1e12},
        {"offsetSeconds": 1, "extra": 1},
    ],
)
def test_bad_settings_of_the_clock_are_refused(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        TestClockSet.model_validate(body)


def test_without_a_test_clock_the_endpoints_answer_404_before_any_token_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import azure.functions as func

    import functions._http as http
    from functions import test_clock as endpoints  # noqa: F401 - registers the endpoints

    deps = Container(_settings(APP_ENVIRONMENT="azure", TEST_CLOCK_FILE=""))
    monkeypatch.setattr(http, "container", lambda: deps)
    specs = [s for s in http.ENDPOINTS if s.route == "admin/test-clock"]
    assert {s.method for s in specs} == {"GET", "PUT", "DELETE"}
    for spec in specs:
        req = func.HttpRequest(
            method=spec.method,
            url="http://h/api/admin/test-clock",
            body=b'{"offsetSeconds": 1}',
            headers={"content-type": "application/json"},
        )
        with pytest.raises(NotFound):  # the handler is never reached, nor the (absent) token checked
            http._run(spec, lambda call: pytest.fail("reached the handler"), req)
