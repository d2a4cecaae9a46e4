"""Every setting in local.settings.sample.json is read by the code: a setting nothing reads is a promise that is not
kept (POLICY_VERSION_IN_FORCE was one: documented and deployed, read by nothing)."""

from __future__ import annotations

import dataclasses
import json
import re
from functools import cache
from pathlib import Path

from core import schema
from core.services.retention import RetentionPolicy
from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
# Read by the Functions host itself, not by this code; each with who reads it.
HOST_SETTINGS = {
    "FUNCTIONS_WORKER_RUNTIME": "the Functions host (Core Tools locally) picks the Python language worker with it",
}
# Settings fields read indirectly, each with the reader that the test checks for.
RETENTION_PREFIX = "retention_"


@cache
def _code() -> str:
    parts = [(ROOT / "function_app.py").read_text()]
    for folder in ("core", "functions", "devhost", "scripts"):
        parts += [p.read_text() for p in sorted((ROOT / folder).rglob("*.py")) if p != ROOT / "core" / "settings.py"]
    return "\n".join(parts)


def _aliases() -> dict[str, str]:
    """App setting name -> Settings field name."""
    out: dict[str, str] = {}
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        for choice in getattr(alias, "choices", [alias]):
            out[str(choice)] = name
    return out


def _is_read(field: str, code: str, settings_text: str) -> bool:
    # Read from a settings object (`settings.x`, `self.settings.x`, `d.settings.x`, or `s.x` where `s` is one); a
    # bare `.x` is not enough: the composition root had a property of the setting's name that read something else.
    if re.search(rf"(?:settings|\bs)\.{field}\b", code):
        return True
    if field.startswith(RETENTION_PREFIX):  # RetentionPolicy.from_settings reads retention_<its field> by name
        return (
            field[len(RETENTION_PREFIX) :] in {f.name for f in dataclasses.fields(RetentionPolicy)}
            and "RetentionPolicy.from_settings(" in code
        )
    # A property of Settings that reads it, used by the code (e.g. environment -> is_local).
    for prop in re.findall(rf"def (\w+)\(self\) -> \w+:\s+return [^\n]*self\.{field}\b", settings_text):
        if re.search(rf"(?:settings|\bs)\.{prop}\b", code):
            return True
    return False


def test_every_setting_in_the_sample_is_read_by_the_code() -> None:
    sample = json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]
    aliases, code = _aliases(), _code()
    settings_text = (ROOT / "core" / "settings.py").read_text()
    unknown = [k for k in sample if k not in aliases and k not in HOST_SETTINGS]
    assert not unknown, f"in the sample but not a Settings field nor a host setting: {unknown}"
    unread = [k for k in sample if k in aliases and not _is_read(aliases[k], code, settings_text)]
    assert not unread, f"settings in the sample that no code reads: {unread}"


def test_every_queue_setting_is_in_the_sample_and_settings() -> None:
    sample = json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]
    aliases = _aliases()
    for queue in schema.QUEUES:
        assert sample.get(queue.setting) == queue.default_name, queue.setting
        assert queue.setting in aliases, queue.setting


def test_the_check_catches_a_setting_nothing_reads() -> None:
    assert not _is_read("policy_version_in_force", _code(), (ROOT / "core" / "settings.py").read_text())
    assert _is_read("minimum_age_years", _code(), "")
