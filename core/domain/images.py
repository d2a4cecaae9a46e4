"""What the image codec (the `ImageCodec` port, core/ports.py) answers about an uploaded photo file: plain values,
no image library. The codec itself (decoding, EXIF, rendering, position removal) is core/adapters/images/."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from core.domain.media import Camera, GeoPoint, RejectReason


@dataclass
class ExifInfo:
    """The file's EXIF metadata, as far as it can be used (anything implausible or damaged is left out)."""

    captured_at: datetime | None = None  # DateTimeOriginal, only when its offset is recorded too
    camera: Camera | None = None
    orientation: int | None = None
    gps: GeoPoint | None = None


@dataclass
class Rejection:
    """The file is not an acceptable photo: why (the photo's `reason`) and a detail for the log."""

    reason: RejectReason
    detail: str


@dataclass
class Verified:
    """An acceptable photo: its type (jpeg, png or heif), its size as seen upright, its metadata, and the two copies
    to store beside the original (upright JPEGs without any metadata)."""

    family: str
    width: int
    height: int
    exif: ExifInfo
    thumbnail_jpeg: bytes = field(repr=False)
    display_jpeg: bytes = field(repr=False)


class LocationNotRemovable(Exception):
    """The file's metadata could not be walked, or a position is still found once removed: the file must not be
    stored where no position may be kept."""
