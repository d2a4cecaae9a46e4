"""A composition root with some ports given (in-memory fakes in unit tests) instead of built from the settings.

    root = root_with(settings, accounts=FakeAccountStore(), clock=FixedClock(...))
    with serving(root):          # core.bootstrap.serving: the process's root while the block runs
        trigger(request)         # the trigger's use case now runs on the fakes

Each name is a port of the root (`Ports`, core/services/wiring.py); a port not given is built as usual on first use
(and would reach Azure or the emulators). The root's properties cannot be given: the settings values (give them
through the settings) and what is read from another port (`test_clock_enabled` from the clock, `personal_data_kinds`
from the registry). Unit tests use `tests/unit/roots.py`, whose `fake_root` gives every port a fake unless the test
gives its own; this module never imports tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Unpack

from core.services.wiring import PORT_NAMES, Ports
from core.settings import Settings

if TYPE_CHECKING:
    from core.bootstrap import Container

__all__ = ["Ports", "root_with"]


def root_with(settings: Settings, **ports: Unpack[Ports]) -> Container:
    """A root for `settings` whose given ports are these objects (typed: each must implement its port)."""
    from core.bootstrap import Container

    root = Container(settings)
    for name, port in ports.items():
        if name not in PORT_NAMES:
            raise TypeError(f"the composition root has no port named {name!r}")
        # A builder (cached_property) reads the instance's own value first: never built. The clock is a plain
        # attribute; settings values (and the two values read from another port) are properties of the root.
        if isinstance(getattr(type(root), name, None), property):
            raise TypeError(f"{name!r} is a settings value, or read from another port: give the settings or that port")
        root.__dict__[name] = port
    return root
