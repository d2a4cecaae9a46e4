"""Unit tests build their own settings: nothing an integration session put into the environment may leak in.

An integration session loads local.settings.json into the environment and adds its own names (database, queues,
token keys, test clock, portal); unit tests that run after it in the same process see what they would see alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core import schema

ROOT = Path(__file__).resolve().parents[2]


def _session_names() -> set[str]:
    names = {"COSMOS_DATABASE", "AUTH_JWKS_URI", "TEST_CLOCK_FILE", "PORTAL_BASE_URL", "PORTAL_ORIGINS"}
    names |= {q.setting for q in schema.QUEUES}
    for file in ("local.settings.sample.json", "local.settings.json"):
        path = ROOT / file
        if path.exists():
            names |= set(json.loads(path.read_text()).get("Values", {}))
    return names


_NAMES = _session_names()


@pytest.fixture(autouse=True)
def _no_integration_session_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _NAMES:
        monkeypatch.delenv(name, raising=False)
