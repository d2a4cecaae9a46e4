"""The ingest gate: what the location ingest call needs to decide, kept where one request reads it (docs/tracking.md,
"The ingest gate").

Two documents in the account's partition of `accounts`, read together with the account record in one query:

* the account's gate: whether billing holds the account (suspension) and its stored location retention;
* the member's gate: the member's location consent entries, tracking windows over time and private zones.

A gate is usable only when it is built (`facts`) and no write is under way (`pending` empty). Writes that change a
source of truth mark the gate pending first, write the source, then rebuild the gate from the sources and take
their mark out; a gate that is missing, pending or unreadable is never trusted: the ingest call reads the sources.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from core.domain.accounts import Account
from core.domain.consent import ConsentEntry
from core.domain.private_zones import PrivateZones
from core.domain.tracking import ScheduleVersion, windows_allow


class AccountGateFacts(BaseModel):
    """Account-wide facts: `location_days` None means the account never saved retention settings (the app's
    default applies, read from settings at each call, so a changed default is never held in a gate)."""

    suspended: bool
    location_days: int | None = None


class MemberGateFacts(BaseModel):
    """One member's facts: only the location entries of the consent ledger are kept (what `state_in` reads), and the
    tracking windows over time (every version, so a late ping is judged by the windows in force at its own time).
    `schedule_versions` has no default: a gate written before versions were kept does not parse, so it is never
    trusted and is rebuilt from the sources."""

    location_consents: list[ConsentEntry] = Field(default_factory=list)
    schedule_versions: list[ScheduleVersion]
    zones: PrivateZones

    def windows_allow(self, at: datetime) -> bool:
        return windows_allow(self.schedule_versions, at)


@dataclass(frozen=True)
class GateDoc:
    """One gate document as stored: `facts` None while never built; `pending` maps each write under way (a token)
    to when it started; `etag` is the store's version of what was read."""

    facts: dict[str, Any] | None
    pending: dict[str, datetime] = field(default_factory=dict)
    etag: str | None = None

    @property
    def usable(self) -> bool:
        return self.facts is not None and not self.pending


@dataclass(frozen=True)
class GateRead:
    """What the one request of an ingest call answers: the account record and both gates (None when absent)."""

    account: Account | None
    account_gate: GateDoc | None
    member_gate: GateDoc | None
