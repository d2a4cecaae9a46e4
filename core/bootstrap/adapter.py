"""`@adapter`: the root's builder of a port that an adapter implements."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any, TypeVar

T = TypeVar("T")


class adapter(cached_property[T]):  # noqa: N801 - used as a decorator, like cached_property
    """Builds the port once per root, like `cached_property`, and hands it out raising the core's
    DependencyUnavailable where its SDK reports an unreachable service (core/adapters/errors.py), so neither the
    services nor the triggers know an SDK's exception types. Builders of SDK clients, settings values and the
    services' own objects stay plain `cached_property`s; so does the mailer, whose own errors the outbox records
    ("ConnectionRefusedError", docs/email-and-policy.md)."""

    def __init__(self, build: Callable[[Any], T]) -> None:
        def guarded(root: Any) -> T:
            from core.adapters.errors import raising_core_errors

            return raising_core_errors(build(root))

        guarded.__name__ = build.__name__
        guarded.__doc__ = build.__doc__
        super().__init__(guarded)
