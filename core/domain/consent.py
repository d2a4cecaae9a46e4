"""Consent: the worker's grants and revocations of device capabilities, kept as an append-only ledger.

Split by direction: the request body (ConsentUpdate), the stored ledger entry (ConsentEntry) and the answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from core.domain.accounts import ApiModel, PublicModel
from core.domain.inputs import SINGLE_LINE


class Capability(StrEnum):
    """What the app asks the worker to allow on their device."""

    LOCATION = "location"
    CAMERA = "camera"


class ConsentSource(StrEnum):
    """Where the decision was made: the phone app on the device, or the worker's portal page ("What I allowed").
    Both are recorded alike; the ledger keeps which one it was."""

    APP = "app"
    PORTAL = "portal"


DeviceId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128), SINGLE_LINE]
AppVersion = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), SINGLE_LINE]


class ConsentUpdate(ApiModel):
    granted: bool
    device_id: DeviceId = Field(alias="deviceId")
    app_version: AppVersion = Field(alias="appVersion")
    source: ConsentSource = Field(
        default=ConsentSource.APP,
        description="`portal` when the worker decided on the portal's page; the apps leave it out (`app`).",
    )


class ConsentEntry(BaseModel):
    """One ledger entry: who granted or revoked what, when, from which device and app, under which policy."""

    entry_id: str
    account_id: str
    user_id: str
    capability: Capability
    granted: bool
    recorded_at: datetime
    device_id: str
    app_version: str
    policy_version: str
    source: ConsentSource = ConsentSource.APP  # entries written before the field existed came from the apps

    def to_public(self) -> ConsentEntryPublic:
        return ConsentEntryPublic(
            entry_id=self.entry_id,
            capability=self.capability,
            granted=self.granted,
            recorded_at=self.recorded_at,
            device_id=self.device_id,
            app_version=self.app_version,
            policy_version=self.policy_version,
            source=self.source,
        )


class ConsentEntryPublic(PublicModel):
    entry_id: str = Field(alias="entryId")
    capability: Capability
    granted: bool
    recorded_at: datetime = Field(alias="recordedAt")
    device_id: str = Field(alias="deviceId")
    app_version: str = Field(alias="appVersion")
    policy_version: str = Field(alias="policyVersion")
    source: ConsentSource


class ConsentStatePublic(PublicModel):
    capability: Capability
    granted: bool
    since: datetime | None = Field(description="When the current state was recorded; null if never asked.")
    policy_version: str | None = Field(alias="policyVersion")


class ConsentsPublic(PublicModel):
    current: list[ConsentStatePublic]
    history: list[ConsentEntryPublic] = Field(description="Every ledger entry, oldest first.")


def state_in(entries: Iterable[ConsentEntry], *, capability: Capability, at: datetime) -> bool:
    """Pure rule: the last entry for the capability recorded at or before `at` decides; none means not granted."""
    decided: ConsentEntry | None = None
    for entry in entries:
        if entry.capability is not capability or entry.recorded_at > at:
            continue
        if decided is None or (entry.recorded_at, entry.entry_id) >= (decided.recorded_at, decided.entry_id):
            decided = entry
    return decided is not None and decided.granted
