"""The cross-area reactions (core/services/reactions.py): the `reactions` port every service raises its domain
events through. Each reaction's ports come from this root by name, at each event."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from core.bootstrap.clients import Clients

if TYPE_CHECKING:
    from core.services.reactions import Dispatcher


class ReactionPorts(Clients):
    @cached_property
    def reactions(self) -> Dispatcher:
        from core.services.reactions import Dispatcher

        return Dispatcher(self)
