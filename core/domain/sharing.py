"""What the owner is told about a member's location sharing (issue 30): the states and their public form, shared
by the members page (core/domain/member_rows.py holds the rule) and the live map (core/domain/tracking.py)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from core.domain.accounts import PublicModel


class SharingState(StrEnum):
    """What the owner is told about a member's location sharing, from the API (never guessed by the page)."""

    SHARING = "sharing"
    NOT_ASKED = "not-asked"  # the app never recorded a location consent
    NOT_SHARING = "not-sharing"  # the member turned location sharing off
    OUTSIDE_HOURS = "outside-hours"  # sharing, but now is outside the member's tracking hours
    NO_FIX = "no-fix"  # sharing, inside the hours, but no fix for longer than member_rows.NO_FIX_AFTER (or never)


class SharingPublic(PublicModel):
    state: SharingState
    since: datetime | None = Field(description="When the member last granted or revoked location; null if never.")
    no_fix_minutes: int | None = Field(
        default=None,
        alias="noFixMinutes",
        description="With state `no-fix`: minutes since the newest fix (null: never had one).",
    )
