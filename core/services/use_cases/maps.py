"""The base map's token (functions/maps.py)."""

from __future__ import annotations

from core.services import maps
from core.services.wiring import UseCases, inject


class MapUseCases(UseCases):
    token = inject(maps.issue_map_token)
