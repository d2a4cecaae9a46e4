"""Domain events: what one area tells the others, so that they react without the area knowing who listens.

The reactions to each event are listed in one table, core/services/reactions.py. There are two kinds:

- a `Change` is raised AROUND the write of a source of truth (`with reactions.changing(event): write`): its
  reactions begin before the write and end after it, even when the write fails (the ingest gate is marked pending
  before and rebuilt after, so a crash in between leaves a gate that ingest never trusts);
- a `Fact` is raised AFTER something happened (`reactions.happened(event)`): its reactions run in turn, and an
  error in one reaches the caller (a queue message is then retried).

Events are small, frozen and carry identifiers, not records: a reaction reads what it needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from core.domain.accounts import AccountEvent
from core.domain.tracking import Ping


@dataclass(frozen=True)
class Change:
    """Raised around the write of a source of truth."""


@dataclass(frozen=True)
class Fact:
    """Raised after something happened."""


# ---------------------------------------------------------------- changes (around the write)


@dataclass(frozen=True)
class ConsentChanged(Change):
    """A member's consent ledger gets an entry (grant or revocation)."""

    account_id: str
    user_id: str


@dataclass(frozen=True)
class TrackingScheduleChanged(Change):
    """A member's tracking windows are set or removed."""

    account_id: str
    user_id: str


@dataclass(frozen=True)
class PrivateZonesChanged(Change):
    """A member's private zones are saved (a zone added or ended, or its application to history recorded)."""

    account_id: str
    user_id: str


@dataclass(frozen=True)
class BillingStatusChanged(Change):
    """An account's billing record is created or changes status (e.g. suspended, or the suspension ends)."""

    account_id: str


@dataclass(frozen=True)
class RetentionChanged(Change):
    """An account's retention settings are saved."""

    account_id: str


# ---------------------------------------------------------------- facts (after it happened)


@dataclass(frozen=True)
class PingsStored(Fact):
    """The pings writer stored a member's pings (one flush): their times (and the pings), and the member's time
    zone and name as the writer read them (the member record is read once per flush)."""

    account_id: str
    user_id: str
    times: tuple[datetime, ...]
    time_zone: str
    member_name: str
    # the stored pings themselves: the job-site step continues each day's open evaluation with them instead of
    # reading the day back (not compared: the same flush is the same fact)
    pings: tuple[Ping, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class AccountEventRecorded(Fact):
    """An account event (registered, member joined or removed) was recorded from the account-events queue."""

    event: AccountEvent
