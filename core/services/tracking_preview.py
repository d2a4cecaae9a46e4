"""The tracking-windows preview: a schedule (saved or not) laid out on the coming days in real time, so that the
portal shows what ingest will do instead of computing windows itself (see core/domain/tracking_preview.py)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from core.domain.errors import FieldError, ValidationFailed
from core.domain.tracking_preview import TrackingPreview, TrackingPreviewRequest, expand
from core.ports import Clock

REACH = timedelta(days=366)  # how far from today a preview may start


def preview_windows(*, data: TrackingPreviewRequest, clock: Clock) -> TrackingPreview:
    """Nothing is stored; the body is checked by the same rules as PUT /api/me/tracking-schedule."""
    today = clock.now().astimezone(ZoneInfo(data.time_zone)).date()
    first = data.start or today
    if abs(first - today) > REACH:
        raise ValidationFailed(errors=[FieldError("from", "must be within a year of today")])
    return expand(data.windows, data.time_zone, first, data.days)
