"""The ingest gate (docs/tracking.md, "The ingest gate"): one request tells the location ingest call whether the
account may send pings, its retention, and the member's consent, windows and private zones.

Sources of truth stay where they are (consent ledger, tracking schedule, private zones, billing record, retention
settings, the account record). The gate is a copy kept current BY THE WRITES that change a source: each such write
raises its event around the write (`with reactions.changing(ConsentChanged(...))`, core/services/reactions.py), whose
reaction here (`keep_member_gate_current`, `keep_account_gate_current`) does, in this order:

1. mark the gate pending (a random token with its start time, conditional write on the gate's ETag);
2. write the source of truth;
3. rebuild the gate from the sources and take the token out (conditional on the ETag read before the sources).

A pending gate is never trusted, so a crash between 1 and 3 leaves a gate the ingest call does not use (it reads
the sources). Two writers never lose each other's change: each rebuild reads the sources after reading the gate's
version and writes only that version; a rebuild that raced a newer mark keeps that mark. The ingest call repairs
a gate that is missing (made before this existed, or erased) or whose marks are all older than `STALE_MARK` (a
writer that crashed), with the same conditional write, so it never overwrites a newer state.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.domain.accounts import Account, Member
from core.domain.billing import INGEST_REFUSED
from core.domain.consent import Capability
from core.domain.events import (
    BillingStatusChanged,
    ConsentChanged,
    PrivateZonesChanged,
    RetentionChanged,
    TrackingScheduleChanged,
)
from core.domain.ingest_gate import AccountGateFacts, GateDoc, MemberGateFacts
from core.domain.private_zones import PrivateZones
from core.ports import (
    BillingStore,
    Clock,
    ConsentLedger,
    IngestGateStore,
    PrivacyStore,
    PrivateZoneStore,
    TrackingScheduleVersions,
)

log = logging.getLogger(__name__)

STALE_MARK = timedelta(minutes=5)  # a mark this old belongs to a writer that crashed: the gate may be rebuilt
_ATTEMPTS = 12  # compare-and-swap attempts on one gate; between them a jittered pause (at most 50 ms) lets a
# burst of writers to one account (a retried registration, webhook events) take turns instead of all losing
_MAX_PAUSE_S = 0.05


@dataclass(frozen=True)
class IngestFacts:
    """What one ingest call decides with, and whether it came from the gate (one request) or the sources."""

    account: Account | None
    account_facts: AccountGateFacts
    member_facts: MemberGateFacts
    from_gate: bool


@dataclass
class IngestGateKeeper:
    """Builds, reads and keeps current the gates, reading the sources of truth (the stores below)."""

    store: IngestGateStore
    billing: BillingStore
    privacy: PrivacyStore
    consents: ConsentLedger
    schedules: TrackingScheduleVersions
    zones: PrivateZoneStore
    clock: Clock

    # ---- the sources
    def account_facts(self, account_id: str) -> AccountGateFacts:
        record = self.billing.get(account_id)
        retention = self.privacy.get_retention(account_id)
        return AccountGateFacts(
            suspended=record is not None and record.status in INGEST_REFUSED,
            location_days=retention.location_days if retention is not None else None,
        )

    def member_facts(self, account_id: str, user_id: str) -> MemberGateFacts:
        history = self.consents.history(account_id=account_id, user_id=user_id)
        return MemberGateFacts(
            location_consents=[e for e in history if e.capability is Capability.LOCATION],
            schedule_versions=self.schedules.schedule_versions(account_id=account_id, user_id=user_id),
            zones=self.zones.get_zones(account_id=account_id, user_id=user_id).model_copy(update={"version": None}),
        )

    def _build(self, account_id: str, user_id: str | None) -> dict[str, Any]:
        facts = self.account_facts(account_id) if user_id is None else self.member_facts(account_id, user_id)
        return facts.model_dump(mode="json")

    # ---- the ingest call
    def facts_for_ingest(self, *, account_id: str, user_id: str) -> IngestFacts:
        """One request when both gates are usable; otherwise the sources decide (and a missing or abandoned gate
        is rebuilt for the next call)."""
        read = self.store.read(account_id=account_id, user_id=user_id)
        account_facts = _parse(AccountGateFacts, read.account_gate)
        member_facts = _parse(MemberGateFacts, read.member_gate)
        from_gate = account_facts is not None and member_facts is not None
        if account_facts is None:
            account_facts = self.account_facts(account_id)
            self._repair(account_id, None, read.account_gate, account_facts.model_dump(mode="json"))
        if member_facts is None:
            member_facts = self.member_facts(account_id, user_id)
            self._repair(account_id, user_id, read.member_gate, member_facts.model_dump(mode="json"))
        if not from_gate:
            log.info("ingest gate not usable; decided from the sources")
        return IngestFacts(
            account=read.account, account_facts=account_facts, member_facts=member_facts, from_gate=from_gate
        )

    def for_writer(self, *, account_id: str, user_id: str) -> tuple[Member | None, PrivateZones | None]:
        """The pings writer's read, ONE request: the member record (erasure check, time zone) and, when the
        member's gate can be trusted (`usable_member_facts`), its copy of the private zones; None when it cannot
        (missing, a write under way, unreadable): then the writer reads the zones themselves. A usable gate holds
        the zones of the moment it was read: every save of the zones marks the gate pending before it writes and
        rebuilds it after (`changing`), so a gate without marks never lags the zones it copies (docs/tracking.md,
        "Private zones: decided at ingest and again by the writer"). Nothing is repaired here."""
        member, doc = self.store.read_member(account_id=account_id, user_id=user_id)
        facts = usable_member_facts(doc)
        return member, (facts.zones if facts is not None else None)

    def member_facts_read(self, account_id: str, user_id: str, doc: GateDoc | None) -> MemberGateFacts:
        """The member's facts from the gate `doc` already read when it is usable; otherwise from the sources, and a
        missing or abandoned gate is rebuilt (once: the members page and the live map read the gates next time)."""
        facts: MemberGateFacts | None = _parse(MemberGateFacts, doc)
        if facts is None:
            facts = self.member_facts(account_id, user_id)
            self._repair(account_id, user_id, doc, facts.model_dump(mode="json"))
        return facts

    def _repair(self, account_id: str, user_id: str | None, doc: GateDoc | None, facts: dict[str, Any]) -> None:
        """Not while a write is under way (a fresh mark); otherwise (missing, abandoned marks, facts this code
        cannot read) conditional on the version read before the sources, so a newer write wins."""
        now = self.clock.now()
        if doc is not None and any(now - at < STALE_MARK for at in doc.pending.values()):
            return  # a write is under way: its writer rebuilds the gate
        self.store.save(
            account_id=account_id, user_id=user_id, facts=facts, pending={}, etag=doc.etag if doc is not None else None
        )

    # ---- the writes that change a source
    @contextmanager
    def changing(self, *, account_id: str, user_id: str | None = None) -> Iterator[None]:
        """Around the write of a source: mark, write (the body), rebuild. `user_id` None: an account-wide fact."""
        token = secrets.token_hex(8)
        self._update(
            account_id,
            user_id,
            lambda doc: (doc.facts if doc else None, {**(doc.pending if doc else {}), token: self.clock.now()}),
        )
        try:
            yield
        finally:
            self._settle(account_id, user_id, token)

    def _settle(self, account_id: str, user_id: str | None, token: str) -> None:
        def rebuild(doc: GateDoc | None) -> tuple[dict[str, Any] | None, dict[str, datetime]]:
            pending = {k: v for k, v in (doc.pending if doc else {}).items() if k != token}
            return self._build(account_id, user_id), pending

        try:
            self._update(account_id, user_id, rebuild)
        except Exception:  # the source is written; the gate stays pending (never trusted) until repaired
            log.warning("ingest gate left pending after a change", exc_info=True)

    def _update(
        self,
        account_id: str,
        user_id: str | None,
        change: Callable[[GateDoc | None], tuple[dict[str, Any] | None, dict[str, datetime]]],
    ) -> None:
        for attempt in range(_ATTEMPTS):
            if attempt:
                time.sleep(min(_MAX_PAUSE_S, 0.002 * 2**attempt) * secrets.randbelow(1000) / 1000)
            doc = self.store.get(account_id=account_id, user_id=user_id)
            facts, pending = change(doc)  # reads the sources (rebuild) only after the gate's version was read
            if self.store.save(
                account_id=account_id, user_id=user_id, facts=facts, pending=pending, etag=doc.etag if doc else None
            ):
                return
        raise RuntimeError("the ingest gate kept changing; try again")

    def forget_member(self, *, account_id: str, user_id: str) -> None:
        """Member removed or erased: the copy goes (rebuilt from the sources if they ever send again)."""
        self.store.delete(account_id=account_id, user_id=user_id)


def usable_member_facts(doc: GateDoc | None) -> MemberGateFacts | None:
    """The member's facts of a gate document when they can be trusted: built, no write under way (not pending),
    readable by this code. None otherwise: then only the sources can tell."""
    facts: MemberGateFacts | None = _parse(MemberGateFacts, doc)
    return facts


def _parse(model: type[Any], doc: GateDoc | None) -> Any:
    if doc is None or not doc.usable:
        return None
    try:
        return model.model_validate(doc.facts)
    except ValueError:
        return None


# ---------------------------------------------------------------- the reactions that keep the gate current


def keep_member_gate_current(
    event: ConsentChanged | TrackingScheduleChanged | PrivateZonesChanged, ingest_gate: IngestGateKeeper
) -> AbstractContextManager[None]:
    """Around a write of the member's consent, schedule or zones: the member's gate is marked pending before the
    write and rebuilt after it (core/services/reactions.py)."""
    return ingest_gate.changing(account_id=event.account_id, user_id=event.user_id)


def keep_account_gate_current(
    event: BillingStatusChanged | RetentionChanged, ingest_gate: IngestGateKeeper
) -> AbstractContextManager[None]:
    """Around a write of the account's billing status or retention: the account's gate, pending then rebuilt."""
    return ingest_gate.changing(account_id=event.account_id)
