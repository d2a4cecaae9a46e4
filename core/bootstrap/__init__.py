"""The composition root: builds settings, SDK clients and stores once per process, lazily, on first use."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar, cast

from core.bootstrap.clients import Clients
from core.bootstrap.ingest_gate import IngestGatePorts
from core.bootstrap.job_sites import JobSitePorts
from core.bootstrap.member_rows import MemberRowPorts
from core.bootstrap.overrides import Ports, root_with
from core.bootstrap.photos import PhotoPorts
from core.bootstrap.privacy import PrivacyPorts
from core.bootstrap.rate_limits import RateLimitPorts
from core.bootstrap.reactions import ReactionPorts
from core.bootstrap.tracking import TrackingPorts
from core.services.wiring import UseCases
from core.settings import Settings, get_settings

__all__ = [
    "Container",
    "Ports",
    "container",
    "current_invocation_id",
    "root_with",
    "serving",
    "trace_background_functions",
    "traced_http",
]

if TYPE_CHECKING:
    from core.ports import HealthProbe

U = TypeVar("U", bound=UseCases)


class Container(
    IngestGatePorts,
    PrivacyPorts,
    ReactionPorts,
    TrackingPorts,
    PhotoPorts,
    JobSitePorts,
    RateLimitPorts,
    MemberRowPorts,
    Clients,
):
    """The root: the shared clients (core/bootstrap/clients.py) and each area's ports (core/bootstrap/<area>.py),
    each built on first use. Use cases take their ports from it by name (`port`, core/services/wiring.py); a trigger
    gets only the use cases of its area (`use_case`)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self._areas: dict[type[UseCases], UseCases] = {}

    def use_case(self, area: type[U]) -> U:
        """The root's one object of this product area's use cases, built on first use."""
        built = self._areas.get(area)
        if built is None:
            with _lock:
                built = self._areas.setdefault(area, area(self))
        return cast("U", built)

    @cached_property
    def health_probes(self) -> list[HealthProbe]:
        from core.adapters.cosmos import CosmosProbe
        from core.adapters.queues import QueueProbe, queue_client

        return [
            CosmosProbe(self.database),
            QueueProbe(queue_client(self.queue_service, self.settings.queue_account_events)),
        ]


_lock = threading.RLock()
_container: Container | None = None


def container() -> Container:
    global _container
    if _container is None:
        with _lock:
            if _container is None:
                _container = Container(get_settings())
    return _container


@contextmanager
def serving(root: Container) -> Iterator[Container]:
    """Make `root` the process's composition root for the duration (tests: a root built by `root_with`)."""
    global _container
    previous, _container = _container, root
    try:
        yield root
    finally:
        _container = previous


def traced_http(name: str, route: str, method: str, handler: Any) -> Any:
    """The HTTP trigger wrapped in its invocation span and metrics (core/adapters/telemetry.py)."""
    from core.adapters import telemetry

    return telemetry.traced_http(name, route, method, handler)


def trace_background_functions(blueprint: Any) -> int:
    """Wrap the Blueprint's queue and timer functions in their invocation (core/adapters/telemetry.py); function_app
    calls it before registering each Blueprint. Wraps only: no I/O, and Azure Monitor is still configured at the
    first invocation. Answers how many functions it wrapped."""
    from core.adapters import telemetry

    return telemetry.trace_background_functions(blueprint)


def current_invocation_id() -> str | None:
    """The id of the invocation this thread is serving (the request log line names it), if any."""
    from core.adapters import telemetry

    invocation = telemetry.current()
    return invocation.invocation_id if invocation else None


def current_cosmos_requests() -> int:
    """How many Cosmos DB requests the invocation this thread is serving has sent so far (each try counts)."""
    from core.adapters import telemetry

    return telemetry.cosmos_requests()
