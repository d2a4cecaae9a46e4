"""The owner's members page in one request (issue 30): each active member with their last position (its age and a
place in words), their location sharing state and how many private zones they have, searched, sorted and paged by
the server.

Pure: the query, the answer, the search keys stored with a member profile, and the rule that names a member's
sharing state from their consent entries, tracking windows and the age of their newest fix.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from core.domain.accounts import ApiModel, InvitationPublic, MemberStatus, PublicModel
from core.domain.consent import Capability, ConsentEntry, state_in
from core.domain.identity import Role
from core.domain.ingest_gate import MemberGateFacts
from core.domain.inputs import CONTINUATION_DOC, SINGLE_LINE, ContinuationToken
from core.domain.sharing import SharingPublic, SharingState
from core.domain.tracking import ScheduleVersion, next_window_change, windows_allow

MAX_PAGE = 100
MAX_INVITATIONS = 200  # pending invitations answered with the first page (oldest first)
DEFAULT_PAGE = 50
NO_FIX_AFTER = timedelta(minutes=15)  # sharing, inside the tracking hours, but no fix for longer than this
PLACE_DECIMALS = 3  # coordinates outside a job site are shown to about 100 m
KEY_SEPARATOR = "\x1f"  # between the searchable name and the user id in a profile's sort key


def search_key(text: str) -> str:
    """What a search prefix is compared with: case and accents as typed do not matter for case (casefold)."""
    return " ".join(text.split()).casefold()


def name_sort_key(full_name: str, user_id: str) -> str:
    """Stored with each member profile: the casefolded name, then the user id, so the key is unique (keyset paging
    by it never skips or repeats a member with the same name) and a name prefix is a prefix of it."""
    return f"{search_key(full_name)}{KEY_SEPARATOR}{user_id}"


class MemberOverviewQuery(ApiModel):
    q: Annotated[str, StringConstraints(max_length=100), SINGLE_LINE] | None = Field(
        default=None,
        description="Case-insensitive prefix of the member's full name or e-mail address.",
    )
    sort: Literal["name", "lastSeen"] = Field(
        default="name",
        description="`name` (A to Z), or `lastSeen` (newest fix first; members never seen last, by name).",
    )
    limit: int = Field(default=DEFAULT_PAGE, ge=1, le=MAX_PAGE)
    continuation: ContinuationToken | None = Field(default=None, description=CONTINUATION_DOC)
    invitations: bool = Field(
        default=False,
        description=f"Also answer the pending invitations (at most {MAX_INVITATIONS}, oldest first), so the page"
        " loads in one request; ignored with `continuation`.",
    )


def sharing_state(
    *,
    location_consents: list[ConsentEntry],
    schedule_versions: list[ScheduleVersion],
    last_fix: datetime | None,
    now: datetime,
) -> SharingState:
    """The member's state now: consent first (as recorded by the app), then the tracking hours, then the fix age."""
    if not any(e.capability is Capability.LOCATION for e in location_consents):
        return SharingState.NOT_ASKED
    if not state_in(location_consents, capability=Capability.LOCATION, at=now):
        return SharingState.NOT_SHARING
    if not windows_allow(schedule_versions, now):
        return SharingState.OUTSIDE_HOURS
    if last_fix is None or now - last_fix > NO_FIX_AFTER:
        return SharingState.NO_FIX
    return SharingState.SHARING


def next_sharing_change(
    *,
    location_consents: list[ConsentEntry],
    schedule_versions: list[ScheduleVersion],
    last_fix: datetime | None,
    now: datetime,
) -> datetime | None:
    """The earliest instant after `now` at which `sharing_state` may name another state with nothing written, only
    because time passed (never later than the real change): an entry recorded ahead of `now`, and while location
    is granted, the next tracking-window boundary and the moment the newest fix becomes too old. None: the state
    holds until something is written (a write moves the live map's version)."""
    found = [e.recorded_at for e in location_consents if e.recorded_at > now]
    if state_in(location_consents, capability=Capability.LOCATION, at=now):
        if (boundary := next_window_change(schedule_versions, now)) is not None:
            found.append(boundary)
        if last_fix is not None and last_fix + NO_FIX_AFTER >= now:
            found.append(last_fix + NO_FIX_AFTER + timedelta(microseconds=1))
    return min((t for t in found if t > now), default=None)


class PlacePublic(PublicModel):
    site_id: str | None = Field(default=None, alias="siteId", description="The job site the position lies in.")
    site_name: str | None = Field(default=None, alias="siteName")
    latitude: float = Field(description=f"Rounded to {PLACE_DECIMALS} decimals (about 100 m).")
    longitude: float = Field(description=f"Rounded to {PLACE_DECIMALS} decimals (about 100 m).")


class LastSeenPublic(PublicModel):
    timestamp: datetime
    age_seconds: int = Field(alias="ageSeconds")
    in_private_zone: bool = Field(alias="inPrivateZone", description="The newest fix was withheld: no place.")
    place: PlacePublic | None = Field(description="null in a private zone")


def sharing_public(facts: MemberGateFacts, *, last_fix: datetime | None, now: datetime) -> SharingPublic:
    """What the owner is told of a member's sharing now (the members page and the live map), from the member's
    gate facts and the time of their newest fix."""
    location = [e for e in facts.location_consents if e.capability is Capability.LOCATION]
    state = sharing_state(
        location_consents=location, schedule_versions=facts.schedule_versions, last_fix=last_fix, now=now
    )
    last = max(location, key=lambda e: (e.recorded_at, e.entry_id)) if location else None
    age = max(0, int((now - last_fix).total_seconds())) if last_fix is not None else None
    return SharingPublic(
        state=state,
        since=last.recorded_at if last else None,
        no_fix_minutes=(age // 60 if age is not None else None) if state is SharingState.NO_FIX else None,
    )


class MemberRowPublic(PublicModel):
    user_id: str = Field(alias="userId")
    full_name: str = Field(alias="fullName")
    email: str
    role: Role
    status: MemberStatus
    joined_at: datetime = Field(alias="joinedAt")
    last_seen: LastSeenPublic | None = Field(alias="lastSeen", description="null until the member's first fix")
    sharing: SharingPublic
    private_zones: int = Field(alias="privateZones", description="How many private zones are in force; never where.")


class MemberOverview(PublicModel):
    items: list[MemberRowPublic]
    continuation: str | None = Field(
        default=None, description="Also in X-Continuation: pass as ?continuation= (same q and sort) for the next page."
    )
    as_of: datetime = Field(alias="asOf")
    invitations: list[InvitationPublic] | None = Field(
        default=None, description="With `invitations=true` on a first page: the pending invitations."
    )
    invitations_complete: bool | None = Field(
        default=None,
        alias="invitationsComplete",
        description=f"false when more than {MAX_INVITATIONS} are pending (GET .../invitations lists them all).",
    )
