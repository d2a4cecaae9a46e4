"""Transactional and optional e-mail: outbox entries, per-user preferences, verification state, tracking.

Split by direction as elsewhere: request bodies (ApiModel), answers (PublicModel) and the stored forms.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from core.domain.accounts import ApiModel, PublicModel


class EmailCategory(StrEnum):
    """Why an e-mail is sent. `account` and `legal` are transactional and always sent; the others are optional."""

    ACCOUNT = "account"  # verification, invitations, billing problems, data requests, closure
    LEGAL = "legal"  # policy-change notices
    PRODUCT_UPDATES = "product-updates"
    TIPS = "tips"
    JOB_SITE_VISITS = "job-site-visits"  # Account Owners only, opt-in: a member first entered or left a job site today

    @property
    def transactional(self) -> bool:
        return self in TRANSACTIONAL

    @property
    def optional(self) -> bool:
        return self not in TRANSACTIONAL


TRANSACTIONAL: frozenset[EmailCategory] = frozenset({EmailCategory.ACCOUNT, EmailCategory.LEGAL})
OPTIONAL_CATEGORIES: tuple[EmailCategory, ...] = tuple(c for c in EmailCategory if c not in TRANSACTIONAL)
OPT_IN: frozenset[EmailCategory] = frozenset({EmailCategory.JOB_SITE_VISITS})
"""Optional categories that are off until the user turns them on (the others are on until turned off)."""
OWNER_ONLY: frozenset[EmailCategory] = frozenset({EmailCategory.JOB_SITE_VISITS})
"""Categories only Account Owners receive (and see in their preferences)."""


class OutboxState(StrEnum):
    PENDING = "pending"  # written, waiting for (or between) send attempts
    SENDING = "sending"  # claimed by one sender; nobody else sends it
    SENT = "sent"  # handed to the mail service; never sent again
    SUPPRESSED = "suppressed"  # not sent on purpose (opted out, unverified address, no address)
    FAILED = "failed"  # the last attempt failed: the queue message is in the poison queue; a replay retries it


_SAFE_KEY = re.compile(r"^[A-Za-z0-9._:@-]{1,200}$")


def outbox_id_for(dedupe_key: str) -> str:
    """The outbox id of a dedupe key: the key itself when it is a safe document id, else a digest of it."""
    if not dedupe_key:
        raise ValueError("dedupe_key must not be empty")
    if _SAFE_KEY.match(dedupe_key):
        return dedupe_key
    return "k-" + hashlib.sha256(dedupe_key.encode()).hexdigest()


class Click(BaseModel):
    url: str
    at: datetime


class OutboxEntry(BaseModel):
    """Stored: one e-mail to send, exactly as enqueued, and what happened to it."""

    outbox_id: str
    dedupe_key: str
    category: EmailCategory
    template: str
    to_user_id: str | None = None
    to_address: str | None = None
    context: dict[str, Any] = Field(default_factory=dict)
    state: OutboxState = OutboxState.PENDING
    created_at: datetime
    dispatched_at: datetime | None = None
    attempts: int = 0
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    sent_to: str | None = None
    provider_message_id: str | None = None
    last_error: str | None = None
    suppressed_reason: str | None = None
    tracked: bool = False
    opened_at: datetime | None = None
    open_count: int = 0
    clicks: list[Click] = Field(default_factory=list)


class OutboxMessage(BaseModel):
    """The queue message for the sender: only the outbox id; everything else is read from the outbox."""

    outbox_id: str = Field(alias="outboxId", min_length=1, max_length=200)

    model_config = {"populate_by_name": True, "extra": "forbid"}


class OutgoingEmail(BaseModel):
    """What the mail port sends: a rendered message with both parts and extra headers."""

    to: str
    subject: str
    text: str
    html: str
    headers: dict[str, str] = Field(default_factory=dict)
    message_key: str  # the outbox id; the adapters send it as a header so a copy can be recognised


class RenderedEmail(BaseModel):
    subject: str
    text: str
    html: str


# Every e-mail the product sends: each name has `<name>.subject.txt`, `<name>.txt` and `<name>.html` under
# core/templates (tests/unit/test_email_outbox.py holds the files to this list). The outbox refuses other names.
EMAIL_TEMPLATES: frozenset[str] = frozenset(
    {
        "account-closed",
        "data-request-access",
        "data-request-erasure",
        "email-changed",
        "email-verification",
        "invitation",
        "job-site-visit",
        "payment-failed",
        "policy-notice",
        "product-update",
        "tips",
    }
)


# ---------------------------------------------------------------- verification state of a user's address


class EmailStatus(BaseModel):
    """Stored per user: the current address, whether it is verified, and the last verified one."""

    user_id: str
    account_id: str
    address: str
    verified: bool = False
    verified_address: str | None = None
    verified_at: datetime | None = None
    # How the address was proven: `link` (the verification link) or `invitation` (the e-mailed invitation was
    # accepted by a sign-in with that address). None on records made before this was kept.
    verified_via: str | None = None
    # A change asked for with PATCH /api/me: `address` (and the member profile) stay as they are until the link
    # sent to this address is used. The pending nonce then belongs to this address.
    pending_address: str | None = None
    pending_nonce: str | None = None
    pending_expires_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class VerificationResult(PublicModel):
    status: str = Field(description="verified")
    email: str


# ---------------------------------------------------------------- preferences


class EmailPreferences(BaseModel):
    """Stored per user: opt-outs of optional categories (absent means subscribed), and opt-ins of the opt-in ones
    (`OPT_IN`: absent means not subscribed)."""

    user_id: str
    opted_out: list[EmailCategory] = Field(default_factory=list)
    opted_in: list[EmailCategory] = Field(default_factory=list)
    updated_at: datetime | None = None

    def allows(self, category: EmailCategory) -> bool:
        if category in OPT_IN:
            return category in self.opted_in
        return category.transactional or category not in self.opted_out

    @property
    def tracking_allowed(self) -> bool:
        """Open and click tracking only for users who kept every optional category."""
        return not self.opted_out


class CategoryPreference(PublicModel):
    category: EmailCategory
    subscribed: bool
    transactional: bool = Field(description="Always sent; cannot be turned off.")


class EmailPreferencesPublic(PublicModel):
    email: str | None = None
    verified: bool = False
    categories: list[CategoryPreference]
    updated_at: datetime | None = Field(default=None, alias="updatedAt")


class EmailPreferencesUpdate(ApiModel):
    """Which optional categories the user wants; a transactional category may be named only with `true`."""

    categories: dict[EmailCategory, bool] = Field(
        description="Category -> subscribed. `account` and `legal` cannot be turned off."
    )


class UnsubscribeResult(PublicModel):
    status: str = Field(description="unsubscribed")
    category: EmailCategory


class VerificationPending(PublicModel):
    email: str
    expires_at: datetime | None = Field(default=None, alias="expiresAt")


class OutboxEntryAdmin(PublicModel):
    """What a platform admin sees of an outbox entry: its state and counts, never the address or the content."""

    outbox_id: str = Field(alias="outboxId")
    category: EmailCategory
    template: str
    state: OutboxState
    attempts: int
    created_at: datetime = Field(alias="createdAt")
    sent_at: datetime | None = Field(default=None, alias="sentAt")
    last_error: str | None = Field(default=None, alias="lastError")
    suppressed_reason: str | None = Field(default=None, alias="suppressedReason")
    tracked: bool
    opened_at: datetime | None = Field(default=None, alias="openedAt")
    open_count: int = Field(alias="openCount")
    click_count: int = Field(alias="clickCount")


# ---------------------------------------------------------------- who receives an outbox entry


@dataclass(frozen=True)
class Recipient:
    """Where an outbox entry goes (`address`), or why it goes nowhere (`reason`), and whether it is tracked."""

    address: str | None
    reason: str | None  # why it is suppressed, when address is None
    tracked: bool


def recipient_of(
    entry: OutboxEntry, status: EmailStatus | None, prefs: EmailPreferences | None, member_address: str | None = None
) -> Recipient:
    """Who receives the entry, or why nobody does. Pure: the rules of categories, verification and preferences."""
    prefs = prefs or EmailPreferences(user_id=entry.to_user_id or "")
    verified_now = status is not None and status.verified
    if entry.category is EmailCategory.LEGAL:
        # Legal notices go to the verified address, or the last one that was verified; never to an unproven one.
        address = (
            status.address
            if status is not None and status.verified
            else (status.verified_address if status is not None else None)
        )
        if address is None and entry.to_user_id is None:
            address = entry.to_address
        return Recipient(address, None if address else "no verified address", tracked=False)
    if entry.category is EmailCategory.ACCOUNT:
        address = entry.to_address or (status.address if status is not None else member_address)
        if address is None:
            return Recipient(None, "no address", tracked=False)
        tracked = (
            entry.to_user_id is not None
            and verified_now
            and status is not None
            and address.lower() == status.address.lower()
            and prefs.tracking_allowed
        )
        return Recipient(address, None, tracked=tracked)
    # Optional categories: only to a verified address, and only while the user wants them.
    if status is None or not status.verified:
        return Recipient(None, "address not verified", tracked=False)
    if not prefs.allows(entry.category):
        return Recipient(None, "opted out", tracked=False)
    return Recipient(status.address, None, tracked=prefs.tracking_allowed)
