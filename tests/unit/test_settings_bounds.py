"""Settings the app must refuse to start with."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("age", ["12", "0", "-1"])
def test_a_minimum_age_below_13_is_refused(age: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(MINIMUM_AGE_YEARS=age)
    assert "MINIMUM_AGE_YEARS" in str(refused.value)


@pytest.mark.parametrize("age", ["13", "16", "18"])
def test_a_minimum_age_of_13_or_more_is_taken(age: str) -> None:
    assert Settings(MINIMUM_AGE_YEARS=age).minimum_age_years == int(age)


def _import_app(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import function_app"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
        check=False,
    )


def test_the_function_app_refuses_to_start_with_a_minimum_age_below_13() -> None:
    assert _import_app(MINIMUM_AGE_YEARS="13").returncode == 0
    refused = _import_app(MINIMUM_AGE_YEARS="12")
    assert refused.returncode != 0 and "MINIMUM_AGE_YEARS" in refused.stderr
