"""Privacy policy versions and users' acknowledgements of them.

A version is immutable once posted (a correction is a new version) and takes effect no sooner than
`NOTICE_PERIOD` after it was posted. Which version is in force is computed from the clock, never stored.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from core.domain.accounts import ApiModel, PublicModel
from core.domain.inputs import MULTI_LINE, ApiDatetime

POLICY_ID = "privacy"
NOTICE_PERIOD = timedelta(days=30)

PolicyText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=20, max_length=200_000), MULTI_LINE]
Summary = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=4000), MULTI_LINE]
AppName = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9-]{1,31}$")]
VersionId = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(\.[0-9]{1,3})?$")]


class PolicyVersionState(StrEnum):
    CURRENT = "current"
    UPCOMING = "upcoming"
    SUPERSEDED = "superseded"


class PolicyVersion(BaseModel):
    """Stored version. `notify` is False only for the seed version (there was nothing before it to amend)."""

    policy_id: str = POLICY_ID
    version_id: str
    text: str
    summary: str
    posted_at: datetime
    effective_at: datetime
    posted_by: str
    notify: bool = True


class PolicyVersionCreate(ApiModel):
    text: PolicyText = Field(description="The whole policy, in Markdown.")
    summary: Summary = Field(description="What changed since the version before, in plain words.")
    effective_at: ApiDatetime | None = Field(
        default=None,
        alias="effectiveAt",
        description="Optional; never sooner than 30 days after posting (the default is exactly 30 days).",
    )


class PolicyVersionSummary(PublicModel):
    version_id: str = Field(alias="versionId")
    summary: str
    posted_at: datetime = Field(alias="postedAt")
    effective_at: datetime = Field(alias="effectiveAt")
    state: PolicyVersionState


class PolicyVersionPublic(PolicyVersionSummary):
    text: str = Field(description="Markdown")


class PolicyVersionList(PublicModel):
    items: list[PolicyVersionSummary]


class PolicyNow(PublicModel):
    current: PolicyVersionPublic | None
    upcoming: PolicyVersionPublic | None = Field(
        default=None, description="The next version to take effect, if one is posted; see its effectiveAt."
    )


class PolicyAcknowledgementCreate(ApiModel):
    version_id: VersionId = Field(alias="versionId")
    app: AppName = Field(description="Which app showed the version, e.g. web, ios, android.")


class PolicyAcknowledgement(BaseModel):
    """Stored per user: that the user saw a version, when, and in which app (one per version and app)."""

    user_id: str
    account_id: str
    version_id: str
    app: str
    at: datetime


class PolicyAcknowledgementPublic(PublicModel):
    version_id: str = Field(alias="versionId")
    app: str
    at: datetime
