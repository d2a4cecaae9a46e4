"""A worker's private zones and the owner's count (functions/private_zones.py). See docs/private-zones.md."""

from __future__ import annotations

from core.services import private_zones
from core.services.wiring import UseCases, inject


class PrivateZoneUseCases(UseCases):
    mine = inject(private_zones.list_zones)
    add = inject(private_zones.add_zone)
    remove = inject(private_zones.remove_zone)
    apply_to_history = inject(private_zones.apply_to_history)
    count_of_member = inject(private_zones.count_member_zones)
