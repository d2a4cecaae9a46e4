"""`PillowImageCodec`: the `ImageCodec` port (core/ports.py) on Pillow, pillow-heif and the byte-level position
removal of location_strip.py. Pure computation on bytes: no I/O, no state, safe to share between threads."""

from __future__ import annotations

from core.adapters.images import checks, location_strip
from core.domain.images import Rejection, Verified
from core.domain.media import PhotoContentType


class PillowImageCodec:
    def inspect(self, data: bytes, *, declared: PhotoContentType, max_pixels: int) -> Verified | Rejection:
        return checks.inspect(data, declared=declared, max_pixels=max_pixels)

    def without_location(self, data: bytes, *, declared: PhotoContentType) -> bytes:
        return location_strip.original_without_location(data, declared.family)
