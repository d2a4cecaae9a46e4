"""The work indexes of the purge and of the coarsening walk (docs/privacy-and-retention.md, "The purge").

An account is in the purge's index (`PurgeDue`, queue "purge") while it may hold data that the store does not
remove by itself: its retention was shortened (data already stored under the longer setting), a legal hold was
lifted (data kept during the hold), it was closed (its window ends at the closure's deadline), or it holds a kind
that cannot expire by time-to-live. The facts are written where they change (retention update, hold lifted,
closure); the enrolment sweep adds accounts that hold kinds the store cannot expire, reading account ids a page at
a time (one query per 100 accounts and one on the index), and runs only while such a kind is registered.

The coarsening walk has its own queue ("coarsening"): an account enters it when coarsening is turned on (or a hold
is lifted) and leaves it when the walk finds coarsening off.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from core.domain.privacy import PurgeDue
from core.ports import PersonalDataKind, PrivacyStore

PURGE = "purge"
COARSENING = "coarsening"
DUE_PAGE = 100  # index entries read by one query of the walk

# Retention settings the purge applies to an active account's kinds (core/services/purge.py, plan_account).
AGED = ("location", "media", "access-log", "export-link", "invitation")


def mark_due(privacy: PrivacyStore, *, account_id: str, at: datetime, reason: str, queue: str = PURGE) -> None:
    """Put the account in the index from `at` on (or earlier, if it is already there later), naming why. Progress
    kept in an existing entry stays; writing the same fact twice changes nothing."""
    entry = privacy.get_due(queue, account_id)
    if entry is None:
        privacy.put_due(PurgeDue(account_id=account_id, queue=queue, due_at=at, reasons=[reason], updated_at=at))
        return
    if entry.due_at <= at and reason in entry.reasons:
        return
    reasons = entry.reasons if reason in entry.reasons else [*entry.reasons, reason]
    privacy.put_due(entry.model_copy(update={"due_at": min(entry.due_at, at), "reasons": reasons, "updated_at": at}))


def needs_purge_while_active(kinds: Sequence[PersonalDataKind]) -> list[str]:
    """The kinds an active account needs the purge for: aged by a retention setting and not expired by the store."""
    return [k.name for k in kinds if k.retention in AGED and not getattr(k, "expires_by_ttl", False)]


def enrol(privacy: PrivacyStore, account_ids: Sequence[str], now: datetime) -> int:
    """Index the accounts of one page of ids that are not in it yet (due now, reason `retention`); answers how many
    were added. One query on the index for the page, one write per new account."""
    known = privacy.due_entries(PURGE, account_ids)
    added = 0
    for account_id in account_ids:
        if account_id not in known:
            privacy.put_due(
                PurgeDue(account_id=account_id, queue=PURGE, due_at=now, reasons=["retention"], updated_at=now)
            )
            added += 1
            settings = privacy.get_retention(account_id)  # once per account: coarsening set before the index
            if settings is not None and settings.coarsen_after_days is not None:
                mark_due(privacy, account_id=account_id, at=now, reason="coarsening", queue=COARSENING)
    return added
