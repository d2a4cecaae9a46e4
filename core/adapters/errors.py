"""SDK failures as the core's error type: an adapter whose backing service is briefly unreachable raises
`DependencyUnavailable` (core/domain/errors.py: 503 with Retry-After over HTTP, a retried delivery on a queue), so
nothing above the adapters needs to know an SDK's exceptions.

`raising_core_errors(adapter)` gives the adapter back with that translation on every method (and on the
iteration of a generator a method answers: its pages are read while it is consumed). The composition root hands out
each adapter it builds this way (core/bootstrap/__init__.py), so every store, queue and blob adapter behaves alike
without each method repeating the rule. Other errors (not found, conflicts, bugs) pass unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from types import GeneratorType
from typing import Any, TypeVar, cast

from azure.core.exceptions import ServiceRequestError, ServiceResponseError
from azure.cosmos.exceptions import CosmosClientTimeoutError, CosmosHttpResponseError

from core.domain.errors import DependencyUnavailable

T = TypeVar("T")


def is_transient(exc: BaseException) -> bool:
    """Whether an SDK failure means a backing service is briefly unreachable (answer 503, retry later)."""
    if isinstance(
        exc, (ServiceRequestError, ServiceResponseError, CosmosClientTimeoutError, ConnectionError, TimeoutError)
    ):
        return True
    if isinstance(exc, CosmosHttpResponseError):
        return exc.status_code in (408, 429, 500, 503)
    return False


def _translated(exc: Exception) -> Exception:
    return DependencyUnavailable() if is_transient(exc) else exc


def _iterate(items: Iterator[Any]) -> Iterator[Any]:
    while True:
        try:
            item = next(items)
        except StopIteration:
            return
        except Exception as exc:
            translated = _translated(exc)
            if translated is exc:
                raise
            raise translated from exc
        yield item


def _method(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            result = method(*args, **kwargs)
        except Exception as exc:
            translated = _translated(exc)
            if translated is exc:
                raise
            raise translated from exc
        return _iterate(result) if isinstance(result, GeneratorType) else result

    return call


class _RaisingCoreErrors:
    """Forwards everything to the adapter; methods translate transient SDK failures. `isinstance` still sees the
    adapter's class."""

    __slots__ = ("_adapter",)

    def __init__(self, adapter: object) -> None:
        object.__setattr__(self, "_adapter", adapter)

    def __getattr__(self, name: str) -> Any:
        value = getattr(object.__getattribute__(self, "_adapter"), name)
        return _method(value) if callable(value) and not isinstance(value, type) else value

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(object.__getattribute__(self, "_adapter"), name, value)

    @property  # type: ignore[misc]  # a property named __class__ is how a proxy keeps isinstance() answering
    def __class__(self) -> type:
        return type(object.__getattribute__(self, "_adapter"))

    def __repr__(self) -> str:
        return repr(object.__getattribute__(self, "_adapter"))


def raising_core_errors(adapter: T) -> T:
    """The adapter, raising DependencyUnavailable where its SDK reports an unreachable service."""
    if isinstance(adapter, _RaisingCoreErrors):
        return adapter
    return cast(T, _RaisingCoreErrors(adapter))
