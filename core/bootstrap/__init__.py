"""The composition root: builds settings, SDK clients and stores once per process, lazily, on first use."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property, wraps
from typing import TYPE_CHECKING, Any

from core.bootstrap.clients import Clients
from core.bootstrap.job_sites import JobSitePorts
from core.bootstrap.overrides import Ports, root_with
from core.bootstrap.photos import PhotoPorts
from core.bootstrap.privacy import PrivacyPorts
from core.bootstrap.tracking import TrackingPorts
from core.settings import get_settings

__all__ = ["Container", "Ports", "container", "current_invocation_id", "root_with", "serving", "traced_http"]

if TYPE_CHECKING:
    from core.bootstrap.use_cases import UseCases
    from core.ports import HealthProbe


class Container(PrivacyPorts, TrackingPorts, PhotoPorts, JobSitePorts, Clients):
    """The root: the shared clients (core/bootstrap/clients.py), each area's ports (core/bootstrap/<area>.py: the
    stores that keep the ingest gate current in ingest_gate.py) and the use cases built from them
    (core/bootstrap/use_cases.py)."""

    @cached_property
    def health_probes(self) -> list[HealthProbe]:
        from core.adapters.cosmos import CosmosProbe
        from core.adapters.queues import QueueProbe, queue_client

        return [
            CosmosProbe(self.database),
            QueueProbe(queue_client(self.queue_service, self.settings.queue_account_events)),
        ]

    # ---- the use cases the triggers call, one object per area (core/bootstrap/use_cases.py)
    @cached_property
    def use_cases(self) -> UseCases:
        from core.bootstrap.use_cases import UseCases

        return UseCases(self)


# The mailer keeps the mail service's own errors: the outbox counts any failure as "not sent" and records its type for
# the admin's outbox view ("ConnectionRefusedError", docs/email-and-policy.md).
_OWN_ERRORS = frozenset({"mailer"})


def _raising_core_errors(build: Callable[[Container], Any]) -> Callable[[Container], Any]:
    @wraps(build)
    def built(root: Container) -> Any:
        port = build(root)
        if not type(port).__module__.startswith("core.adapters.") or build.__name__ in _OWN_ERRORS:
            return port  # SDK clients, settings values and the services' own objects stay as they are
        from core.adapters.errors import raising_core_errors

        return raising_core_errors(port)

    return built


# Every adapter the root builds is handed out raising the core's DependencyUnavailable where its SDK reports an
# unreachable service (core/adapters/errors.py): services and triggers never see an SDK exception type.
for _part in Container.__mro__:
    for _name, _built in list(vars(_part).items()):
        if isinstance(_built, cached_property):
            _guarded = cached_property(_raising_core_errors(_built.func))
            _guarded.__set_name__(_part, _name)
            setattr(_part, _name, _guarded)

_lock = threading.Lock()
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


def current_invocation_id() -> str | None:
    """The id of the invocation this thread is serving (the request log line names it), if any."""
    from core.adapters import telemetry

    invocation = telemetry.current()
    return invocation.invocation_id if invocation else None


def current_cosmos_requests() -> int:
    """How many Cosmos DB requests the invocation this thread is serving has sent so far (each try counts)."""
    from core.adapters import telemetry

    return telemetry.cosmos_requests()
