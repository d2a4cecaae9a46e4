"""Location tracking: tracking windows, pings, tracks, latest positions and the access log of owner reads.

Split by direction: request bodies (ApiModel), answers (PublicModel) and the stored forms (BaseModel).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from core.domain.accounts import ApiModel, PublicModel

# ---------------------------------------------------------------- access log (shared with photos and notes)


class AccessedData(StrEnum):
    """Which of a worker's data someone else read."""

    LOCATION_TRACK = "location-track"
    LATEST_POSITIONS = "latest-positions"
    PHOTO = "photo"
    NOTE = "note"


class AccessLogEntry(BaseModel):
    """One read of workers' data by someone else (normally the account owner).

    `subject_user_ids`: whose data was read (one worker for a track, a photo or a note; every member shown for the
    latest-positions view). `range_from`/`range_to`: the time range read, when the read was of a range.
    `resource_id`: the photo or note id, when one item was read.
    """

    entry_id: str
    account_id: str
    viewer_user_id: str
    viewer_role: str
    subject_user_ids: list[str] = Field(min_length=1)
    data: AccessedData
    resource_id: str | None = None
    range_from: datetime | None = None
    range_to: datetime | None = None
    at: datetime


class AccessLogEntryPublic(PublicModel):
    viewer_user_id: str = Field(alias="viewerUserId")
    viewer_name: str | None = Field(default=None, alias="viewerName")
    viewer_role: str = Field(alias="viewerRole")
    data: AccessedData
    resource_id: str | None = Field(default=None, alias="resourceId")
    range_from: datetime | None = Field(default=None, alias="from")
    range_to: datetime | None = Field(default=None, alias="to")
    at: datetime


class AccessLogQuery(ApiModel):
    continuation: str | None = Field(default=None, max_length=4000)
    limit: int = Field(default=50, ge=1, le=200)


class AccessLogPage(PublicModel):
    items: list[AccessLogEntryPublic] = Field(description="Newest first.")
    continuation: str | None = Field(default=None, description="Pass as ?continuation= for the next page.")


class AccessLogSlice(BaseModel):
    """One page of stored entries, as an adapter returns it."""

    entries: list[AccessLogEntry]
    continuation: str | None = None
