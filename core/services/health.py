from __future__ import annotations

import logging
from collections.abc import Sequence

from pydantic import BaseModel

from core.ports import HealthProbe

log = logging.getLogger(__name__)


class HealthReport(BaseModel):
    status: str
    dependencies: dict[str, str]


def check_health(*, health_probes: Sequence[HealthProbe]) -> HealthReport:
    results: dict[str, str] = {}
    for probe in health_probes:
        try:
            probe.check()
            results[probe.name] = "ok"
        except Exception as exc:  # noqa: BLE001 - a health probe reports any failure of its dependency
            log.warning("health probe %s failed: %s", probe.name, type(exc).__name__)
            results[probe.name] = "unavailable"
    status = "ok" if all(v == "ok" for v in results.values()) else "degraded"
    return HealthReport(status=status, dependencies=results)
