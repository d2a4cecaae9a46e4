"""The health answer (functions/health.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.ports import HealthProbe
from core.services.health import HealthReport, check_health


@dataclass(frozen=True)
class HealthUseCases:
    probes: Sequence[HealthProbe]

    def check(self) -> HealthReport:
        return check_health(health_probes=self.probes)
