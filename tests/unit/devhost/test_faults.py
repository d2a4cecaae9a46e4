"""The devhost's fault-injection hook (DEVHOST_FAULT_KILL_BEFORE_DELETE) and AzureWebJobs.<name>.Disabled."""

from __future__ import annotations

import pytest

from devhost.config import function_disabled
from devhost.faults import KillBeforeDelete


def test_kill_fires_once_exactly_at_the_nth_success() -> None:
    kills: list[int] = []
    fault = KillBeforeDelete(3, kill=lambda: kills.append(fault.count))
    for i in range(6):
        fault.succeeded("write_pings", f"m{i}")
    assert kills == [3]


def test_unset_or_zero_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KillBeforeDelete.SETTING, raising=False)
    assert KillBeforeDelete.from_env().after == 0
    monkeypatch.setenv(KillBeforeDelete.SETTING, "0")
    fault = KillBeforeDelete.from_env()
    fault._kill = lambda: pytest.fail("an unarmed hook must never kill")
    for i in range(10):
        fault.succeeded("write_pings", f"m{i}")
    monkeypatch.setenv(KillBeforeDelete.SETTING, "7")
    assert KillBeforeDelete.from_env().after == 7


@pytest.mark.parametrize("text", ["-1", "three", "1.5"])
def test_bad_setting_is_refused(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setenv(KillBeforeDelete.SETTING, text)
    with pytest.raises(ValueError, match=KillBeforeDelete.SETTING):
        KillBeforeDelete.from_env()


def test_function_disabled_by_app_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AzureWebJobs.write_pings.Disabled", "true")
    monkeypatch.setenv("AzureWebJobs.other.Disabled", "false")
    assert function_disabled("write_pings")
    assert not function_disabled("other")
    assert not function_disabled("not_mentioned")
