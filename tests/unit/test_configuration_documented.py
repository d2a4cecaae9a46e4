"""Every setting the app reads is in local.settings.sample.json and documented (README or an area document)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import AliasChoices

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _setting_names() -> list[str]:
    names: list[str] = []
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.append(str(alias.choices[0]))
        elif isinstance(alias, str):
            names.append(alias)
    return names


def test_every_setting_is_in_the_sample() -> None:
    sample = json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]
    # Azure only: the managed-identity form of the storage setting, and the Azure Maps account (unset locally: the
    # portal draws its offline base map).
    optional_locally = {"AzureWebJobsStorage__accountName", "AZURE_MAPS_CLIENT_ID"}
    missing = [n for n in _setting_names() if n not in sample and n not in optional_locally]
    assert not missing, f"settings missing from local.settings.sample.json: {missing}"


def test_every_setting_is_documented() -> None:
    docs = (ROOT / "README.md").read_text() + "".join(p.read_text() for p in (ROOT / "docs").glob("*.md"))
    missing = [n for n in _setting_names() if f"`{n}`" not in docs]
    assert not missing, f"settings not documented in README.md or docs/*.md: {missing}"
