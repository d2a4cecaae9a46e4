"""Cross-area reactions: what happens elsewhere when an area raises a domain event (core/domain/events.py).

Read the table top to bottom: each event, then its reactions in the order they run. A reaction is a service
function whose first parameter is the event; every other parameter is named after a port of the composition root
and filled from it at each event, as for use cases (core/services/wiring.py). A service raises an event through its
`reactions` port and never learns who reacts:

    with reactions.changing(ConsentChanged(account_id=..., user_id=...)):   # a Change: around the write
        consents.append(entry)

    reactions.happened(PingsStored(...))                                  # a Fact: after it happened

The reactions to a Change are contexts: each is entered before the write and left after it, also when the write
fails (the ingest gate is marked pending before the source is written and rebuilt after, so a crash in between
leaves a gate that ingest never trusts: core/services/ingest_gate.py). The reactions to a Fact are plain calls; an
error reaches whoever raised the event (the pings writer's message is then retried, as before).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any

from core.domain.events import (
    AccountEventRecorded,
    BillingStatusChanged,
    Change,
    ConsentChanged,
    Fact,
    PingsStored,
    PrivateZonesChanged,
    RetentionChanged,
    TrackingScheduleChanged,
)
from core.services import account_billing, ingest_gate, site_visits
from core.services.wiring import PortSource, ports_of

Reaction = Callable[..., Any]  # (event, **ports): a context manager for a Change, anything (ignored) for a Fact

REACTIONS: Mapping[type[Change] | type[Fact], tuple[Reaction, ...]] = {
    # ---- Changes: around the write of a source of truth
    ConsentChanged: (ingest_gate.keep_member_gate_current,),  # the member's ingest gate: pending, then rebuilt
    TrackingScheduleChanged: (ingest_gate.keep_member_gate_current,),
    PrivateZonesChanged: (ingest_gate.keep_member_gate_current,),
    BillingStatusChanged: (ingest_gate.keep_account_gate_current,),  # the account's ingest gate: pending, rebuilt
    RetentionChanged: (ingest_gate.keep_account_gate_current,),
    # ---- Facts: after it happened
    PingsStored: (site_visits.evaluate_stored_days,),  # job-site days, and the owner's opt-in visit e-mails
    AccountEventRecorded: (account_billing.queue_billing_sync,),  # billing syncs the account from its own queue
}


class Dispatcher:
    """The `reactions` port: runs the table's reactions to an event with their ports from the root."""

    def __init__(
        self, ports: PortSource, table: Mapping[type[Change] | type[Fact], tuple[Reaction, ...]] = REACTIONS
    ) -> None:
        self._ports = ports
        self._table = table
        self._port_names: dict[Reaction, tuple[str, ...]] = {}
        for reactions in table.values():
            for reaction in reactions:
                self._port_names[reaction] = _ports_of_reaction(reaction)

    def _bound(self, event: Change | Fact) -> list[Callable[[], Any]]:
        reactions = self._table.get(type(event))
        if reactions is None:
            raise LookupError(f"{type(event).__name__} is not in the reactions table (core/services/reactions.py)")
        return [
            functools.partial(r, event, **{name: self._ports.port(name) for name in self._port_names[r]})
            for r in reactions
        ]

    @contextmanager
    def changing(self, event: Change) -> Iterator[None]:
        with ExitStack() as around:
            for reaction in self._bound(event):
                around.enter_context(reaction())
            yield

    def happened(self, event: Fact) -> None:
        for reaction in self._bound(event):
            reaction()


def _ports_of_reaction(reaction: Reaction) -> tuple[str, ...]:
    """The ports a reaction takes: every parameter after the event (a reaction takes nothing else)."""
    params = list(inspect.signature(reaction).parameters)
    names = ports_of(reaction)
    if not params or params[0] in names or set(params[1:]) != set(names):
        raise TypeError(f"a reaction takes the event, then ports of the root only: {reaction.__qualname__}{params}")
    return names
