"""The health answer (functions/health.py)."""

from __future__ import annotations

from core.services.health import check_health
from core.services.wiring import UseCases, inject


class HealthUseCases(UseCases):
    check = inject(check_health)
