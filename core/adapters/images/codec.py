"""`PillowImageCodec`: the `ImageCodec` port (core/ports.py) on Pillow, pillow-heif and the byte-level position
removal of location_strip.py. Pure computation on bytes, no I/O; safe to share between threads. Decoding is bounded
by the process's `DecodeBudget` (budget.py), which the composition root gives it: each verification first waits
until the memory its decode will need, estimated from the file's header, is free."""

from __future__ import annotations

from core.adapters.images import checks, location_strip
from core.adapters.images.budget import DecodeBudget
from core.domain.images import Rejection, Verified
from core.domain.media import PhotoContentType


class PillowImageCodec:
    def __init__(self, budget: DecodeBudget) -> None:
        self.budget = budget

    def inspect(self, data: bytes, *, declared: PhotoContentType, max_pixels: int) -> Verified | Rejection:
        need = checks.decode_cost(data, declared=declared, max_pixels=max_pixels)
        with self.budget.holding(need):
            return checks.inspect(data, declared=declared, max_pixels=max_pixels)

    def without_location(self, data: bytes, *, declared: PhotoContentType) -> bytes:
        return location_strip.original_without_location(data, declared.family)
