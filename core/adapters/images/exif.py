"""EXIF metadata of a decoded photo: capture time, camera, orientation, GPS position.

The metadata is untrusted: whatever it says, reading it never raises. A value that cannot be used (a capture time
outside the years a photo can have been taken, an offset beyond +-14:00, garbage text, a position out of range,
a damaged IFD) is left out, and the caller falls back (capture time: the client's time or the upload time).
"""

from __future__ import annotations

import logging
import math
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from PIL import Image

from core.domain.images import ExifInfo
from core.domain.media import Camera, GeoPoint

log = logging.getLogger(__name__)

# EXIF tags (TIFF/EXIF numbers).
_MAKE, _MODEL, ORIENTATION_TAG = 0x010F, 0x0110, 0x0112
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME_ORIGINAL, _OFFSET_TIME_ORIGINAL = 0x9003, 0x9011
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON, _GPS_ALT_REF, _GPS_ALT = 1, 2, 3, 4, 5, 6
# Years an EXIF capture time may name (digital cameras; far from datetime's limits, so that converting any
# offset to UTC cannot overflow). Outside them the time is ignored.
EARLIEST_CAPTURE_YEAR, LATEST_CAPTURE_YEAR = 1990, 2100


_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")


def _text(value: Any, limit: int = 100) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    cleaned = "".join(ch for ch in value.replace("\x00", "") if ch.isprintable()).strip()
    return cleaned[:limit] or None


def exif_capture_time(original: Any, offset: Any) -> datetime | None:
    """DateTimeOriginal ("YYYY:MM:DD HH:MM:SS") with OffsetTimeOriginal ("+HH:MM"); None without a usable offset."""
    text, off = _text(original, 40), _text(offset, 10)
    if not text or not off:
        return None
    m = _OFFSET.match(off)
    if m is None:
        return None
    sign, hours, minutes = m.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14):
        return None
    try:
        naive = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    if not EARLIEST_CAPTURE_YEAR <= naive.year <= LATEST_CAPTURE_YEAR:
        return None
    return naive.replace(tzinfo=timezone(-delta if sign == "-" else delta))


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) else None


def _degrees(value: Any, ref: Any, negative: str) -> float | None:
    if not isinstance(value, tuple | list) or len(value) != 3:
        return None
    parts = [_number(v) for v in value]
    if any(p is None or p < 0 for p in parts):
        return None
    d, m, s = (float(p) for p in parts if p is not None)
    degrees = d + m / 60 + s / 3600
    return -degrees if _text(ref, 2) == negative else degrees


def gps_position(gps: Any) -> GeoPoint | None:
    """The GPS IFD as a position; None when it is missing or out of range."""
    if not gps:
        return None
    lat = _degrees(gps.get(_GPS_LAT), gps.get(_GPS_LAT_REF), "S")
    lon = _degrees(gps.get(_GPS_LON), gps.get(_GPS_LON_REF), "W")
    if lat is None or lon is None or not (-90 <= lat <= 90) or not (-180 <= lon <= 180):
        return None
    alt = _number(gps.get(_GPS_ALT)) if gps.get(_GPS_ALT) is not None else None
    if alt is not None and gps.get(_GPS_ALT_REF) in (1, b"\x01"):
        alt = -alt
    return GeoPoint(
        latitude=round(lat, 7), longitude=round(lon, 7), altitude_m=round(alt, 2) if alt is not None else None
    )


def read_exif(image: Image.Image) -> ExifInfo:
    """Never raises: a damaged EXIF block (Pillow can fail on it in many ways) counts as no metadata."""
    try:
        return _read_exif(image)
    except Exception as exc:  # noqa: BLE001 - untrusted metadata must not stop processing
        log.info("EXIF metadata ignored: it cannot be read (%s)", type(exc).__name__)
        return ExifInfo()


def orientation_of(image: Image.Image) -> int | None:
    try:
        value = image.getexif().get(ORIENTATION_TAG)
    except Exception:  # noqa: BLE001 - as read_exif
        return None
    return value if isinstance(value, int) and 1 <= value <= 8 else None


def _read_exif(image: Image.Image) -> ExifInfo:
    exif = image.getexif()
    if not exif:
        return ExifInfo()
    details = exif.get_ifd(_EXIF_IFD)
    make, model = _text(exif.get(_MAKE)), _text(exif.get(_MODEL))
    orientation = exif.get(ORIENTATION_TAG)
    return ExifInfo(
        captured_at=exif_capture_time(details.get(_DATETIME_ORIGINAL), details.get(_OFFSET_TIME_ORIGINAL)),
        camera=Camera(make=make, model=model) if make or model else None,
        orientation=orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else None,
        gps=gps_position(exif.get_ifd(_GPS_IFD)),
    )
