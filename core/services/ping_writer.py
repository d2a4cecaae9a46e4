"""The pings writer (queue work): stores the pings the ingest call queued, moves each member's latest position
forward, records pings withheld in private zones and raises PingsStored, to which the job-site days react
(core/services/reactions.py). docs/tracking.md, "The pings writer".

The messages of one delivery batch that arrive together are written together (`PingWriter`, a group commit built
once per process by the composition root: `TrackingUseCases.writer`): per member, one read of the member record
with the member's ingest gate (its copy of the private zones; the zones themselves only when it cannot be trusted),
full transactional batches per day partition, one conditional move of the latest position and one PingsStored (one
job-site evaluation) per flush, instead of one of each per message.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from core.domain.events import PingsStored
from core.domain.private_zones import WithheldPing
from core.domain.tracking import LatestPosition, Ping
from core.domain.tracking_formats import PingMessage
from core.ports import (
    Clock,
    ExpiryPlans,
    LatestPositionStore,
    PingStore,
    PrivateZoneStore,
    Reactions,
    WithheldPingStore,
)
from core.services.coalescer import Coalescer
from core.services.ingest_gate import IngestGateKeeper

log = logging.getLogger(__name__)

MAX_WAIT_SECONDS = 0.02  # how long the first message of a member waits for others of the same delivery
FULL_AT_ROWS = 100  # a member's group is flushed at once when it holds this many pings (one full batch)


@dataclass(frozen=True)
class WriterStores:
    """What the writer writes to and reads from: `gate` for the member record (the erasure check, the member's
    time zone) read with the member's ingest gate in one request, whose copy of the private zones decides when it
    can be trusted, `reactions` for PingsStored (the job-site step and the owner's visit e-mails react to it),
    `zones` for the writer's own private-zone check when the gate cannot tell, `withheld` for the records of
    withheld pings, `expiry` for the scope in which the plan the stores stamp `ttl` from (retention and legal holds)
    is read once per member and flush. Every one is required: a unit test runs the steps production runs."""

    pings: PingStore
    positions: LatestPositionStore
    clock: Clock
    gate: IngestGateKeeper
    reactions: Reactions
    zones: PrivateZoneStore
    withheld: WithheldPingStore
    expiry: ExpiryPlans


class PingWriter:
    """The per-process group commit of the writer: `write(message)` returns once a flush holding the message's
    pings succeeded, and raises when it failed (core/services/coalescer.py). Messages are grouped per member."""

    def __init__(
        self, stores: WriterStores, *, max_wait: float = MAX_WAIT_SECONDS, full_at: int = FULL_AT_ROWS
    ) -> None:
        self.stores = stores
        self.coalescer: Coalescer[PingMessage] = Coalescer(
            self._flush,
            key=lambda m: (m.account_id, m.user_id),
            size=lambda m: len(m.rows),
            max_wait=max_wait,
            full_at=full_at,
        )

    def write(self, message: PingMessage) -> None:
        self.coalescer.submit(message)

    def _flush(self, messages: Sequence[PingMessage]) -> None:
        store_ping_messages(messages=messages, stores=self.stores)


def store_ping_message(
    *,
    message: PingMessage,
    pings: PingStore,
    latest_positions: LatestPositionStore,
    clock: Clock,
    ingest_gate: IngestGateKeeper,
    reactions: Reactions,
    private_zones: PrivateZoneStore,
    withheld_pings: WithheldPingStore,
    expiry_plans: ExpiryPlans,
) -> int:
    """One message on its own (what a flush of one does); answers how many pings it stored."""
    stores = WriterStores(
        pings=pings,
        positions=latest_positions,
        clock=clock,
        gate=ingest_gate,
        reactions=reactions,
        zones=private_zones,
        withheld=withheld_pings,
        expiry=expiry_plans,
    )
    return store_ping_messages(messages=[message], stores=stores)


def store_ping_messages(*, messages: Sequence[PingMessage], stores: WriterStores) -> int:
    """Store the messages' pings, member by member; answers how many pings were stored. Safe to run again with any
    of the messages (creates by ping id; the latest position only moves forward). Errors propagate: the host
    retries, then poisons the messages.

    The expiry plan (the account's retention and active legal holds) is read once per member and flush, at the
    member's first stamped write, instead of once per document written: a hold placed before a message is
    processed applies to every document of that message (docs/privacy-and-retention.md, "When a new hold
    applies")."""
    by_member: dict[tuple[str, str], list[PingMessage]] = defaultdict(list)
    for message in messages:
        by_member[(message.account_id, message.user_id)].append(message)
    stored = 0
    for (account_id, user_id), member_messages in by_member.items():
        with stores.expiry.once():
            stored += _store_member(account_id=account_id, user_id=user_id, messages=member_messages, stores=stores)
    return stored


def _store_member(*, account_id: str, user_id: str, messages: list[PingMessage], stores: WriterStores) -> int:
    """Every step reads what it needs once for all of the member's messages of this flush."""
    items: dict[str, Ping] = {}
    withheld: dict[str, WithheldPing] = {}
    for message in messages:  # a ping sent twice (a replay, two messages) is written once
        for p in message.pings():
            items.setdefault(p.ping_id, p)
        for ping_id, t in message.withheld():
            withheld.setdefault(ping_id, WithheldPing(ping_id=ping_id, t=t))
    kept, held = list(items.values()), list(withheld.values())

    # One request: the member record (the erasure check, then the time zone for PingsStored) with the member's
    # ingest gate, whose copy of the private zones is the zones of now when it can be trusted
    member, gate_zones = stores.gate.for_writer(account_id=account_id, user_id=user_id)
    if member is None:
        log.warning("member record gone (removed account); %d queued ping(s) not stored", len(kept) + len(held))
        return 0
    if member.erased_at is not None:
        erased_at = member.erased_at
        before = len(kept) + len(held)
        kept = [p for p in kept if p.t > erased_at]
        held = [w for w in held if w.t > erased_at]
        if len(kept) + len(held) < before:
            log.warning(
                "%d queued ping(s) taken before the member's erasure not stored", before - len(kept) - len(held)
            )

    if kept:  # the ingest call's decision, made again with the zones of now (docs/tracking.md, "Private zones:
        # decided at ingest and again by the writer"): the gate's copy, or one point read when it cannot tell
        zones = gate_zones if gate_zones is not None else stores.zones.get_zones(account_id=account_id, user_id=user_id)
        kept, inside = zones.split(kept)
        if inside:
            log.info("withheld %d ping(s) inside private zones", len(inside))
            held += [WithheldPing(ping_id=p.ping_id, t=p.t) for p in inside]
    if held:
        stores.withheld.record(account_id=account_id, user_id=user_id, withheld=held)

    by_day: dict[date, list[Ping]] = defaultdict(list)
    for p in sorted(kept, key=lambda p: (p.t, p.ping_id)):
        by_day[p.day].append(p)
    for day, day_pings in sorted(by_day.items()):
        stores.pings.write_day(account_id=account_id, user_id=user_id, day=day, pings=day_pings)

    moved = _advance(account_id=account_id, user_id=user_id, kept=kept, held=held, stores=stores)
    log.info(
        "stored %d ping(s) of %d message(s) over %d day(s); latest position moved=%s",
        len(kept),
        len(messages),
        len(by_day),
        moved,
    )
    if kept:  # an error here fails the flush: retried
        stores.reactions.happened(
            PingsStored(
                account_id=account_id,
                user_id=user_id,
                times=tuple(p.t for p in kept),
                time_zone=member.time_zone,
                member_name=member.full_name,
                pings=tuple(kept),
            )
        )
    return len(kept)


def _advance(
    *, account_id: str, user_id: str, kept: list[Ping], held: list[WithheldPing], stores: WriterStores
) -> bool:
    """One conditional move per member and flush, to the newest of the stored and withheld pings (a withheld one
    leaves "in a private zone", without a position). Only after the pings are stored."""
    now = stores.clock.now()
    newest_kept = max(kept, key=lambda p: (p.t, p.ping_id)) if kept else None
    newest_held = max(held, key=lambda w: (w.t, w.ping_id)) if held else None
    if newest_held is not None and (
        newest_kept is None or (newest_held.t, newest_held.ping_id) > (newest_kept.t, newest_kept.ping_id)
    ):
        return stores.positions.advance(
            LatestPosition(
                account_id=account_id,
                user_id=user_id,
                ping_id=newest_held.ping_id,
                t=newest_held.t,
                lat=None,
                lon=None,
                acc=None,
                src=None,
                updated_at=now,
            )
        )
    if newest_kept is None:
        return False
    return stores.positions.advance(
        LatestPosition(
            account_id=account_id,
            user_id=user_id,
            ping_id=newest_kept.ping_id,
            t=newest_kept.t,
            lat=newest_kept.lat,
            lon=newest_kept.lon,
            acc=newest_kept.acc,
            src=newest_kept.src,
            updated_at=now,
        )
    )


def start_writer(
    *,
    pings: PingStore,
    latest_positions: LatestPositionStore,
    clock: Clock,
    ingest_gate: IngestGateKeeper,
    reactions: Reactions,
    private_zones: PrivateZoneStore,
    withheld_pings: WithheldPingStore,
    expiry_plans: ExpiryPlans,
) -> PingWriter:
    """The process's writer with every step on: the erasure check, private zones, withheld records and PingsStored
    (the job-site step with the owner's visit e-mails reacts to it; the root builds one writer per process:
    core/services/use_cases/tracking.py)."""
    return PingWriter(
        WriterStores(
            pings=pings,
            positions=latest_positions,
            clock=clock,
            gate=ingest_gate,
            reactions=reactions,
            zones=private_zones,
            withheld=withheld_pings,
            expiry=expiry_plans,
        )
    )
