"""Location tracking: tracking windows, pings, tracks, latest positions and the access log of owner reads.

Split by direction: request bodies (ApiModel), answers (PublicModel) and the stored forms (BaseModel).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, Field, Strict, StringConstraints, model_validator

from core.domain.accounts import ApiModel, PublicModel, TimeZoneName
from core.domain.inputs import CONTINUATION_DOC, SINGLE_LINE, ApiDatetime, ContinuationToken
from core.domain.private_zones import PrivateGap
from core.domain.sharing import SharingPublic

# ---------------------------------------------------------------- access log (shared with photos and notes)


class AccessedData(StrEnum):
    """Which of a worker's data someone else read."""

    LOCATION_TRACK = "location-track"
    LATEST_POSITIONS = "latest-positions"
    PHOTO = "photo"
    NOTE = "note"
    VISITS = "visits"  # job-site visits, stops and trips (timesheets)


class AccessLogEntry(BaseModel):
    """Reads of workers' data by someone else (normally the account owner).

    `subject_user_ids`: whose data was read (one worker for a track, a photo or a note; every member shown for the
    latest-positions view as a read is made; one worker per stored entry since reads are coalesced).
    `range_from`/`range_to`: the time range read, when the read was of a range (the union of the window's reads).
    `resource_id`: the photo or note id, when one item was read.

    Stored entries coalesce the reads of one viewer, worker, kind (and item) within a window
    (core/services/access_log.py): `at` is the first read, `last_at` the last one recorded, `count` how many;
    `window_start` names the window. Entries written before coalescing have none of the three (one read each).
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
    last_at: datetime | None = None
    count: int = Field(default=1, ge=1)
    window_start: datetime | None = None


class AccessLogEntryPublic(PublicModel):
    viewer_user_id: str = Field(alias="viewerUserId")
    viewer_name: str | None = Field(default=None, alias="viewerName")
    viewer_role: str = Field(alias="viewerRole")
    data: AccessedData
    resource_id: str | None = Field(default=None, alias="resourceId")
    range_from: datetime | None = Field(default=None, alias="from")
    range_to: datetime | None = Field(default=None, alias="to")
    at: datetime = Field(description="The first read of this entry.")
    last_at: datetime = Field(
        alias="lastAt",
        description="The last read recorded in this entry (reads are logged once per viewer, worker, kind of data and"
        " window of ACCESS_LOG_WINDOW_MINUTES; the last read of a window may be recorded a little later).",
    )
    count: int = Field(description="How many reads this entry stands for (each answered read; a 304 is not one).")


class AccessLogQuery(ApiModel):
    continuation: ContinuationToken | None = Field(default=None, description=CONTINUATION_DOC)
    limit: int = Field(default=50, ge=1, le=200)


class AccessLogPage(PublicModel):
    items: list[AccessLogEntryPublic] = Field(description="Newest first.")
    continuation: str | None = Field(default=None, description="Pass as ?continuation= for the next page.")


class AccessLogSlice(BaseModel):
    """One page of stored entries, as an adapter returns it."""

    entries: list[AccessLogEntry]
    continuation: str | None = None


# ---------------------------------------------------------------- tracking windows


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


WEEKDAYS: tuple[Weekday, ...] = tuple(Weekday)  # index = datetime.weekday()

ClockTime = Annotated[str, StringConstraints(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")]


def _seconds(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 3600 + int(minutes) * 60


class TrackingWindow(ApiModel):
    """Local wall-clock times in the schedule's time zone. `start` on each of `days`; an `end` at or before `start`
    means the window ends the next day (crosses midnight). `end` may be 24:00."""

    days: list[Weekday] = Field(min_length=1, max_length=7)
    start: ClockTime = Field(examples=["07:00"])
    end: ClockTime = Field(examples=["18:00"])

    @model_validator(mode="after")
    def _check(self) -> TrackingWindow:
        if self.start == "24:00":
            raise ValueError("start must be between 00:00 and 23:59")
        if self.start == self.end:
            raise ValueError("start and end must differ (use 00:00 to 24:00 for a whole day)")
        if len(set(self.days)) != len(self.days):
            raise ValueError("days must not repeat")
        return self

    def contains(self, local: datetime) -> bool:
        """Whether a local wall-clock time falls inside this window (DST: wall-clock times, as the worker sees)."""
        secs = local.hour * 3600 + local.minute * 60 + local.second
        start, end = _seconds(self.start), _seconds(self.end)
        today = WEEKDAYS[local.weekday()]
        if start < end:
            return today in self.days and start <= secs < end
        yesterday = WEEKDAYS[(local.weekday() - 1) % 7]
        return (today in self.days and secs >= start) or (yesterday in self.days and secs < end)


class TrackingScheduleUpdate(ApiModel):
    time_zone: TimeZoneName = Field(alias="timeZone", examples=["America/Chicago"])
    windows: list[TrackingWindow] = Field(min_length=1, max_length=28)


class TrackingSchedule(BaseModel):
    """Stored per worker (users container, docType tracking-schedule)."""

    account_id: str
    user_id: str
    time_zone: str
    windows: list[TrackingWindow]
    updated_at: datetime

    def allows(self, at: datetime) -> bool:
        local = at.astimezone(ZoneInfo(self.time_zone))
        return any(w.contains(local) for w in self.windows)


MAX_SCHEDULE_VERSIONS = 100  # kept per worker (docs/tracking.md, "Windows by time"); the oldest go first


class ScheduleVersion(BaseModel):
    """One state of a worker's windows, in force from `since` until the next version's `since`. `since` None: in
    force before any recorded change (a schedule saved before versions were kept). `time_zone` None: no schedule
    (pings are kept whenever location access is granted)."""

    since: datetime | None = None
    time_zone: str | None = None
    windows: list[TrackingWindow] = Field(default_factory=list)

    @classmethod
    def of(cls, schedule: TrackingSchedule | None, *, since: datetime | None) -> ScheduleVersion:
        if schedule is None:
            return cls(since=since)
        return cls(since=since, time_zone=schedule.time_zone, windows=schedule.windows)

    def allows(self, at: datetime) -> bool:
        if self.time_zone is None:
            return True
        local = at.astimezone(ZoneInfo(self.time_zone))
        return any(w.contains(local) for w in self.windows)


def version_in_force(versions: list[ScheduleVersion], at: datetime) -> ScheduleVersion | None:
    """The version in force at `at`: the last one (in recorded order) that started at or before it. None: before the
    first recorded change there was no schedule."""
    found: ScheduleVersion | None = None
    for version in versions:
        if version.since is None or version.since <= at:
            found = version
    return found


def windows_allow(versions: list[ScheduleVersion], at: datetime) -> bool:
    """Whether a ping taken at `at` falls inside the windows in force AT THAT TIME (not today's windows): a late
    batch is judged as it would have been on time, whatever changed since."""
    version = version_in_force(versions, at)
    return version is None or version.allows(at)


def _instants(local: datetime, zone: ZoneInfo) -> list[datetime]:
    """When the wall clock passes a local time: one instant, or around a clock change (the time skipped in spring
    or repeated in autumn) both readings of it and the change itself, found by halving whole seconds (the wall
    clock jumps across the time there)."""
    readings = sorted({local.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)})
    if len(readings) == 1:
        return readings
    low, high = (int(r.timestamp()) for r in readings)
    offset = readings[0].astimezone(zone).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, UTC).astimezone(zone).utcoffset() == offset:
            low = middle
        else:
            high = middle
    return [*readings, datetime.fromtimestamp(high, UTC)]


@lru_cache(maxsize=256)  # one entry per time zone and set of times within a request: members share schedules
def _next_mark(time_zone: str, marks: frozenset[time], now: datetime) -> datetime:
    zone = ZoneInfo(time_zone)
    today = now.astimezone(zone).date()
    found: list[datetime] = []
    for offset in range(3):  # each mark on each day (early on a weekday without the window): today or tomorrow
        day = today + timedelta(days=offset)
        found.extend(at for mark in marks for at in _instants(datetime.combine(day, mark), zone) if at > now)
        if found and offset > 0:  # a day more than the first with a mark: clock changes may mix their order
            break
    return min(found)


def next_window_change(versions: list[ScheduleVersion], now: datetime) -> datetime | None:
    """The earliest instant after `now` at which `windows_allow` may answer otherwise (never later than the real
    change; it may come early, where nothing changes): a window's start or end (`TrackingWindow.contains` changes
    nowhere else, not at midnight either), a clock change across one of them, or a recorded version taking effect.
    None: nothing changes with the clock alone."""
    found = [v.since for v in versions if v.since is not None and v.since > now]
    version = version_in_force(versions, now)  # a later version's windows count only from its `since`, found above
    if version is not None and version.time_zone is not None and version.windows:
        marks = frozenset(
            time(0, 0) if t == "24:00" else time.fromisoformat(t) for w in version.windows for t in (w.start, w.end)
        )
        found.append(_next_mark(version.time_zone, marks, now))
    return min(found, default=None)


def with_change(
    versions: list[ScheduleVersion], change: ScheduleVersion, *, keep_since: datetime
) -> list[ScheduleVersion]:
    """`versions` with `change` appended (a change never rewrites the past), minus what can no longer judge a ping:
    versions replaced before `keep_since` (no ping older than the longest location retention is accepted) and,
    beyond MAX_SCHEDULE_VERSIONS, the oldest ones."""
    if change.since is None:
        raise ValueError("a change needs the time it takes effect")
    latest = max((v.since for v in versions if v.since is not None), default=None)
    if latest is not None and change.since < latest:  # another instance's clock ran ahead: never insert in the past
        change = change.model_copy(update={"since": latest})
    ordered = [*versions, change]
    first_kept = 0
    for index in range(1, len(ordered)):
        replaced_at = ordered[index].since
        if replaced_at is not None and replaced_at <= keep_since:
            first_kept = index
    kept = ordered[first_kept:][-MAX_SCHEDULE_VERSIONS:]
    if len(kept) < len(ordered):  # the oldest kept one now stands for everything before it
        kept[0] = kept[0].model_copy(update={"since": None})
    return kept


class TrackingSchedulePublic(PublicModel):
    restricted: bool = Field(description="False: no schedule, pings are kept whenever location access is granted.")
    time_zone: str | None = Field(default=None, alias="timeZone")
    windows: list[TrackingWindow] = Field(default_factory=list)
    updated_at: datetime | None = Field(default=None, alias="updatedAt")


# ---------------------------------------------------------------- pings

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")


def _rfc3339_text(value: Any) -> Any:
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError("must be an RFC 3339 date-time with an offset, e.g. 2026-03-09T07:30:00-05:00")
    return value


Rfc3339 = Annotated[ApiDatetime, BeforeValidator(_rfc3339_text)]
Number = Annotated[float, Strict()]


class PingSource(StrEnum):
    GPS = "gps"
    WIFI = "wifi"
    CELL = "cell"
    FUSED = "fused"


class PingIn(ApiModel):
    """One ping as the app sends it."""

    id: UUID = Field(description="Generated by the app; a ping sent twice is stored once.")
    timestamp: Rfc3339
    latitude: Number = Field(ge=-90, le=90, description="WGS 84 degrees")
    longitude: Number = Field(ge=-180, le=180, description="WGS 84 degrees")
    horizontal_accuracy: Number = Field(alias="horizontalAccuracy", ge=0, le=100_000, description="metres")
    altitude: Number | None = Field(default=None, ge=-1_000, le=50_000, description="metres")
    speed: Number | None = Field(default=None, ge=0, le=1_000, description="metres per second")
    heading: Number | None = Field(default=None, ge=0, le=360, description="degrees from true north")
    battery_level: Number | None = Field(default=None, alias="batteryLevel", ge=0, le=100, description="percent")
    source: PingSource
    device_id: Annotated[str, StringConstraints(min_length=1, max_length=128), SINGLE_LINE] | None = Field(
        default=None, alias="deviceId"
    )


class PingBatch(ApiModel):
    pings: list[Any] = Field(min_length=1, max_length=1000, description="1 to 1,000 pings (see PingIn)")


class Ping(BaseModel):
    """A ping as queued and stored (times in UTC)."""

    ping_id: str
    t: datetime
    lat: float
    lon: float
    acc: float
    alt: float | None = None
    spd: float | None = None
    hdg: float | None = None
    bat: float | None = None
    src: PingSource
    dev: str | None = None

    @property
    def day(self) -> date:
        return self.t.date()

    @classmethod
    def from_in(cls, p: PingIn, t: datetime) -> Ping:
        return cls(
            ping_id=str(p.id),
            t=t,
            lat=p.latitude,
            lon=p.longitude,
            acc=p.horizontal_accuracy,
            alt=p.altitude,
            spd=p.speed,
            hdg=p.heading,
            bat=p.battery_level,
            src=p.source,
            dev=p.device_id,
        )


class PingRejection(PublicModel):
    index: int = Field(description="Position of the ping in the batch, from 0.")
    ping_id: str | None = Field(default=None, alias="id")
    field: str
    reason: str


class DroppedCounts(PublicModel):
    no_consent: int = Field(alias="noConsent", description="Timestamp at a time location access was not granted.")
    outside_window: int = Field(alias="outsideWindow", description="Timestamp outside the worker's tracking windows.")
    private_zone: int = Field(
        default=0,
        alias="privateZone",
        description="Taken inside one of the worker's private zones in force at that time"
        " (docs/private-zones.md): no position is stored.",
    )


class IngestResult(PublicModel):
    received: int
    accepted: int = Field(description="Queued for storage.")
    duplicates: int = Field(
        description="Repeats of a ping id within this batch (counted once, queued once). A ping"
        " stored by an earlier call is not looked up: it is counted as accepted and"
        " the writer stores it once."
    )
    dropped: DroppedCounts
    rejected_count: int = Field(alias="rejectedCount")
    rejected: list[PingRejection]


class PingSlice(BaseModel):
    pings: list[Ping]
    continuation: str | None = None


# ---------------------------------------------------------------- latest positions


class LatestPosition(BaseModel):
    account_id: str
    user_id: str
    ping_id: str
    t: datetime
    lat: float | None  # None (with acc and src): the newest ping was withheld in a private zone
    lon: float | None
    acc: float | None
    src: PingSource | None
    updated_at: datetime
    expires_at: datetime | None = None  # when the store's time-to-live removes it (read back, never written)

    @property
    def in_private_zone(self) -> bool:
        return self.lat is None or self.lon is None

    def is_newer_than(self, other: LatestPosition) -> bool:
        return (self.t, self.ping_id) > (other.t, other.ping_id)


class PositionPublic(PublicModel):
    timestamp: datetime
    latitude: float | None = Field(description="null when the member is in a private zone")
    longitude: float | None = Field(description="null when the member is in a private zone")
    horizontal_accuracy: float | None = Field(alias="horizontalAccuracy")
    source: PingSource | None
    age_seconds: int = Field(alias="ageSeconds")
    in_private_zone: bool = Field(
        default=False,
        alias="inPrivateZone",
        description="The newest ping (at `timestamp`) was taken in a private zone.",
    )


class MemberPositionPublic(PublicModel):
    user_id: str = Field(alias="userId")
    full_name: str = Field(alias="fullName")
    position: PositionPublic | None = Field(description="null until the member's first stored ping")
    sharing: SharingPublic = Field(
        description="The member's location sharing as of `asOf` (the members page's rule): the answer's ETag"
        " lapses when a shown state changes by the clock alone (a tracking window opening or closing, a fix"
        " growing old), so an unchanged poll never keeps an old state."
    )


class LatestPositionList(PublicModel):
    items: list[MemberPositionPublic]
    as_of: datetime = Field(alias="asOf")


# What the answer holds, by version: change it with the answer's fields, so every ETag handed out before goes stale.
LIVE_MAP_SHAPE = "live-map-3"


def live_map_tag(*, account_id: str, viewer_user_id: str, version: str | None) -> str:
    """The part of the live map's ETag that names the account's positions version (docs/tracking.md, "The live
    map's version") and the viewer. None (no version recorded yet) is a version like any other."""
    parts = [LIVE_MAP_SHAPE, account_id, viewer_user_id, version or ""]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]


def live_map_etag(tag: str, valid_until: datetime | None) -> str:
    """A strong ETag: the tag, and until when the answer holds without a write (the first stored position's
    expiry by time-to-live; 0: no limit). Forging it only earns the forger a 304 with nothing in it."""
    until = int(valid_until.timestamp()) if valid_until is not None else 0
    return f'"{tag}.{until}"'


def unchanged_etag(if_none_match: str | None, *, tag: str, now: datetime) -> str | None:
    """The ETag of `If-None-Match` that still describes the answer (same version and viewer, not past its
    validity), or None: then the answer must be read."""
    for raw in (if_none_match or "").split(","):
        value = raw.strip().removeprefix("W/")
        if len(value) < 2 or not (value.startswith('"') and value.endswith('"')):
            continue
        digest, _, until = value[1:-1].partition(".")
        if digest != tag or not until.isdigit():
            continue
        if int(until) == 0 or now.timestamp() < int(until):
            return value
    return None


@dataclass(frozen=True)
class LiveMapAnswer:
    """The live map's answer: its ETag, and the positions, or None when the caller's If-None-Match still holds."""

    etag: str
    positions: LatestPositionList | None = None


# ---------------------------------------------------------------- tracks

MAX_TRACK_DAYS = 31


class TrackQuery(ApiModel):
    """Query of a track view. Times are RFC 3339 with an offset (encode '+' as %2B in a URL, or use Z)."""

    from_: ApiDatetime | None = Field(default=None, alias="from", description="Default: 24 hours before `to`.")
    to: ApiDatetime | None = Field(default=None, description="Default: now.")
    format: Literal["geojson", "gpx"] = "geojson"
    simplify: float | None = Field(default=None, ge=0, le=10_000, description="Douglas-Peucker tolerance, metres")
    stops: bool = False
    stop_radius: float = Field(default=50, alias="stopRadius", ge=5, le=2_000, description="metres")
    stop_minutes: float = Field(default=5, alias="stopMinutes", ge=1, le=24 * 60)
    limit: int = Field(default=5_000, ge=2, le=10_000, description="Points per page (before simplification).")
    continuation: ContinuationToken | None = Field(default=None, description=CONTINUATION_DOC)


class Stop(BaseModel):
    arrival: datetime
    departure: datetime
    lat: float
    lon: float
    points: int

    @property
    def minutes(self) -> float:
        return (self.departure - self.arrival).total_seconds() / 60


class Track(BaseModel):
    """One page of a worker's track, in time order, ready to be written as GeoJSON or GPX."""

    user_id: str
    range_from: datetime
    range_to: datetime
    points: list[Ping]
    raw_count: int
    simplified: float | None = None
    stops: list[Stop] | None = None
    continuation: str | None = None
    private_gaps: list[PrivateGap] = Field(default_factory=list)
    coarse_days: list[date] = Field(default_factory=list)  # UTC days reduced to coarse points (coarsened history)


class TrackDocument(BaseModel):
    media_type: str
    body: str
    continuation: str | None = None
    points: int
