"""What a suspended account may still do: the one place that decides it (docs/billing.md, "Suspension").

Billing suspends an account when the payment grace period ends unpaid. Suspension blocks the writes that add data
or seats: location pings, new photo uploads, new notes, invitations and joining through one. Everything else stays
allowed so nobody is locked out of their own data: reading, exporting, correcting or deleting one's data,
erasure and closure, and the owner's billing set-up that ends the suspension. Nothing is deleted.
"""

from __future__ import annotations

from enum import StrEnum

from core.domain.billing import INGEST_REFUSED
from core.domain.errors import AccountSuspended
from core.ports import BillingStore


class Addition(StrEnum):
    """The writes a suspension blocks (nothing else asks this module)."""

    PINGS = "location pings"
    PHOTOS = "photos"
    NOTES = "notes"
    INVITATIONS = "invitations"
    MEMBERS = "new members"


def ensure_may_add(*, account_id: str, what: Addition, billing: BillingStore) -> None:
    """Refuse (403 `account-suspended`) while billing holds the account; an account without a billing record yet
    (registration still setting it up) is not held."""
    record = billing.get(account_id)
    if record is not None and record.status in INGEST_REFUSED:
        raise suspended_error(what)


def suspended_error(what: Addition) -> AccountSuspended:
    """The refusal itself, for a caller that learnt of the suspension another way (the ingest gate)."""
    return AccountSuspended(
        f"This account is suspended because a payment is overdue, so new {what} are refused until the Account"
        " Owner updates the payment method and the invoice is paid. Its data is kept and can be read and"
        " exported."
    )
