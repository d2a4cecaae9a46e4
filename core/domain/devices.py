"""Device tokens: how an existing tracking app (OwnTracks, Overland, Traccar Client, GPSLogger) sends a member's
location pings. See docs/devices.md.

A token is shown once, when it is made; only its SHA-256 hash is stored. The device record (users container, the
member's partition) holds the name, the hash and what the device sent; a lookup record keyed by the hash finds the
device from the token alone (one point read).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from core.domain.accounts import ApiModel, PublicModel
from core.domain.inputs import CONTINUATION_DOC, SINGLE_LINE, ContinuationToken

TOKEN_PREFIX = "itd_"  # noqa: S105  # nosec B105 - not a secret: a public prefix that lets a leaked token be recognised
TOKEN_BYTES = 32  # 256 bits of randomness
DEVICE_ID_PREFIX = "dev-"
MAX_DEVICES_PER_MEMBER = 20


def token_hash(token: str) -> str:
    """The only form of a token that is stored (hex SHA-256 of the whole token text)."""
    return hashlib.sha256(token.encode()).hexdigest()


class AppProtocol(StrEnum):
    """Which door a ping came in through."""

    OWNTRACKS = "owntracks"
    OVERLAND = "overland"
    TRACCAR = "traccar"
    GPSLOGGER = "gpslogger"


class DeviceCounters(BaseModel):
    """What a device sent, since it was made. Stored with the device; shown on the member's device page."""

    received: int = 0
    accepted: int = 0  # queued for storage (stored a moment later by the pings writer)
    duplicates: int = 0  # re-sent by the app: already stored, or twice in one batch
    no_consent: int = 0
    outside_window: int = 0
    private_zone: int = 0  # inside the member's private zones (docs/private-zones.md)
    rejected: int = 0  # unreadable, too old (retention) or in the future: the total of the three
    too_old: int = 0  # of `rejected`: older than the account's location retention
    in_future: int = 0  # of `rejected`: ahead of the server clock by more than the allowed skew
    ignored: int = 0  # messages that carry no location (OwnTracks transition, waypoint, lwt, Overland trip, ...)
    heartbeats: int = 0  # status reports without a position (Traccar Client heartbeats)

    def plus(self, other: DeviceCounters) -> DeviceCounters:
        return DeviceCounters(**{k: getattr(self, k) + getattr(other, k) for k in DeviceCounters.model_fields})


class Device(BaseModel):
    """Stored per member (users container, docType `device`, id `device-{deviceId}`)."""

    device_id: str
    account_id: str
    user_id: str
    name: str
    token_hash: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    last_seen_at: datetime | None = None
    last_protocol: AppProtocol | None = None
    counters: DeviceCounters = Field(default_factory=DeviceCounters)
    waypoints_version: str | None = None  # OwnTracks: digest of the job sites last sent as waypoints
    last_battery: float | None = None  # percent, from the newest stored ping or allowed heartbeat that had one
    last_battery_at: datetime | None = None  # the time of that ping or heartbeat

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def battery_update(device: Device, battery: tuple[float, datetime] | None) -> dict[str, Any]:
    """The device's last battery moves only forward in time (calls may arrive out of order)."""
    if battery is None:
        return {}
    level, at = battery
    if device.last_battery_at is not None and at <= device.last_battery_at:
        return {}
    return {"last_battery": level, "last_battery_at": at}


class DeviceTokenLookup(BaseModel):
    """Stored keyed by the token's hash (users container, id = partition = `device-token-{hash}`)."""

    token_hash: str
    account_id: str
    user_id: str
    device_id: str


DeviceName = Annotated[str, StringConstraints(min_length=1, max_length=80), SINGLE_LINE]


class DeviceCreate(ApiModel):
    name: DeviceName = Field(
        description="How the member recognises the phone or app, e.g. 'Pixel 8 - OwnTracks'.",
        examples=["Pixel 8 - OwnTracks"],
    )


class DroppedByReason(PublicModel):
    no_consent: int = Field(
        alias="noConsent", description="Taken while location access was not granted (never, or withdrawn)."
    )
    outside_window: int = Field(alias="outsideWindow", description="Taken outside the member's tracking windows.")
    private_zone: int = Field(
        default=0, alias="privateZone", description="Inside one of the member's private zones: no position stored."
    )
    rejected: int = Field(description="The total of tooOld, inFuture and unreadable.")
    too_old: int = Field(default=0, alias="tooOld", description="Older than the account's location retention.")
    in_future: int = Field(
        default=0, alias="inFuture", description="Ahead of the server clock by more than the allowed skew."
    )
    unreadable: int = Field(
        default=0, description="A location that could not be read (a missing or malformed field, an encrypted payload)."
    )
    duplicates: int = Field(description="Re-sent by the app; stored once.")


class DevicePublic(PublicModel):
    device_id: str = Field(alias="deviceId", description="The user name for HTTP Basic authentication.")
    user_id: str = Field(alias="userId")
    name: str
    created_at: datetime = Field(alias="createdAt")
    revoked_at: datetime | None = Field(default=None, alias="revokedAt")
    last_seen_at: datetime | None = Field(default=None, alias="lastSeenAt")
    last_protocol: AppProtocol | None = Field(default=None, alias="lastProtocol")
    received: int
    stored: int = Field(
        description="Accepted for storage. A re-send that arrives before the writer stored the first"
        " copy is counted here again, and still stored once."
    )
    ignored: int = Field(description="Messages without a location (e.g. OwnTracks transitions, Overland trips).")
    heartbeats: int = Field(default=0, description="Status reports without a position (Traccar Client heartbeats).")
    last_battery: float | None = Field(
        default=None,
        alias="lastBattery",
        description="Battery percent of the newest stored ping or heartbeat that reported one.",
    )
    last_battery_at: datetime | None = Field(default=None, alias="lastBatteryAt")
    dropped: DroppedByReason

    @classmethod
    def of(cls, device: Device) -> DevicePublic:
        c = device.counters
        return cls(
            device_id=device.device_id,
            user_id=device.user_id,
            name=device.name,
            created_at=device.created_at,
            revoked_at=device.revoked_at,
            last_seen_at=device.last_seen_at,
            last_protocol=device.last_protocol,
            received=c.received,
            stored=c.accepted,
            ignored=c.ignored,
            heartbeats=c.heartbeats,
            last_battery=device.last_battery,
            last_battery_at=device.last_battery_at,
            dropped=DroppedByReason(
                no_consent=c.no_consent,
                outside_window=c.outside_window,
                private_zone=c.private_zone,
                rejected=c.rejected,
                too_old=c.too_old,
                in_future=c.in_future,
                unreadable=max(c.rejected - c.too_old - c.in_future, 0),
                duplicates=c.duplicates,
            ),
        )


class DeviceCreated(DevicePublic):
    token: str = Field(description="Shown once. Use it as the HTTP Basic password, a bearer token or ?token=.")


class DeviceList(PublicModel):
    items: list[DevicePublic]


class AccountDevice(DevicePublic):
    """A device in the owner's list: the member it sends pings for, by name."""

    member_name: str = Field(alias="memberName")

    @classmethod
    def of_member(cls, device: Device, member_name: str) -> AccountDevice:
        return cls(**DevicePublic.of(device).model_dump(), member_name=member_name)


class AccountDeviceList(PublicModel):
    items: list[AccountDevice]
    continuation: str | None = Field(
        default=None, description="Also in X-Continuation: pass as ?continuation= for the next page."
    )


class AccountDeviceQuery(ApiModel):
    limit: int = Field(default=100, ge=1, le=200)
    continuation: ContinuationToken | None = Field(default=None, description=CONTINUATION_DOC)
