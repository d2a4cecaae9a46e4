"""Accounts, members and invitations, split by direction: Create / Update / Public, and the stored forms."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from core.domain.identity import Role
from core.domain.inputs import SINGLE_LINE, EmailAddress

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), SINGLE_LINE]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120), SINGLE_LINE]


def _valid_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("must be an IANA time zone such as America/Chicago") from exc
    return value


TimeZoneName = Annotated[
    str, StringConstraints(min_length=1, max_length=64), AfterValidator(_valid_time_zone), SINGLE_LINE
]


class ApiModel(BaseModel):
    """Request bodies: unknown fields are refused so that nobody can set what they may not (no mass assignment)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True, allow_inf_nan=False)


class PublicModel(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class BillingAddress(ApiModel):
    line1: ShortText
    line2: Annotated[str, StringConstraints(max_length=120), SINGLE_LINE] | None = None
    city: ShortText
    state: Annotated[str, StringConstraints(max_length=60), SINGLE_LINE] | None = None
    postal_code: Annotated[str, StringConstraints(min_length=1, max_length=20), SINGLE_LINE] = Field(alias="postalCode")
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = Field(
        description="ISO 3166-1 alpha-2 country code"
    )


class AccountStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class MemberStatus(StrEnum):
    ACTIVE = "active"
    REMOVED = "removed"
    CLOSED = "closed"  # the whole account was closed: access ended for every user at once


class Units(StrEnum):
    """How the portal writes distances for everyone in the account (chosen by the Account Owner)."""

    METRIC = "metric"  # metres and kilometres
    IMPERIAL = "imperial"  # feet and miles


IMPERIAL_COUNTRIES = frozenset({"US", "GB", "LR", "MM"})  # where road distances are read in miles
UNITS_DOC = (
    "Distances in the portal for everyone in the account: `metric` (m, km) or `imperial` (ft, mi). Until the"
    " Account Owner chooses, imperial when the billing address is in the United States, the United Kingdom,"
    " Liberia or Myanmar, else metric."
)


def default_units(country: str) -> Units:
    return Units.IMPERIAL if country.upper() in IMPERIAL_COUNTRIES else Units.METRIC


class AccountCreate(ApiModel):
    full_legal_name: Name = Field(alias="fullLegalName")
    company_name: Name | None = Field(default=None, alias="companyName")
    email: EmailAddress
    billing_address: BillingAddress = Field(alias="billingAddress")
    time_zone: TimeZoneName = Field(alias="timeZone")
    date_of_birth: date = Field(alias="dateOfBirth")
    units: Units | None = Field(default=None, description=UNITS_DOC)


class AccountUpdate(ApiModel):
    """The account's settings the Account Owner may change; a field left out stays as it is."""

    units: Units | None = Field(default=None, description=UNITS_DOC)


class AccountPublic(PublicModel):
    account_id: str = Field(alias="accountId")
    company_name: str | None = Field(default=None, alias="companyName")
    owner_user_id: str = Field(alias="ownerUserId")
    status: AccountStatus
    time_zone: str = Field(alias="timeZone")
    created_at: datetime = Field(alias="createdAt")
    units: Units = Field(description=UNITS_DOC)


class Account(BaseModel):
    """Stored account document."""

    account_id: str
    owner_user_id: str
    company_name: str | None
    billing_address: BillingAddress
    time_zone: str
    status: AccountStatus = AccountStatus.ACTIVE
    created_at: datetime
    closed_at: datetime | None = None
    units: Units | None = None  # None: never chosen (accounts older than the setting), see `effective_units`

    @property
    def effective_units(self) -> Units:
        return self.units or default_units(self.billing_address.country)

    def to_public(self) -> AccountPublic:
        return AccountPublic(
            account_id=self.account_id,
            company_name=self.company_name,
            owner_user_id=self.owner_user_id,
            status=self.status,
            time_zone=self.time_zone,
            created_at=self.created_at,
            units=self.effective_units,
        )


class Member(BaseModel):
    """Stored member profile: the personal information a user can see and change."""

    account_id: str
    user_id: str
    role: Role
    full_name: str
    email: str
    time_zone: str
    phone: str | None = None
    status: MemberStatus = MemberStatus.ACTIVE
    joined_at: datetime
    updated_at: datetime
    removed_at: datetime | None = None
    age_confirmed_at: datetime | None = None
    # When an erasure of this member's data last started: the pings writer stores no ping taken before it (a
    # ping still on the queue when the erasure ran must not come back afterwards). Kept by the anonymization.
    erased_at: datetime | None = None

    def to_public(self) -> MemberPublic:
        return MemberPublic(
            account_id=self.account_id,
            user_id=self.user_id,
            role=self.role,
            full_name=self.full_name,
            email=self.email,
            time_zone=self.time_zone,
            phone=self.phone,
            status=self.status,
            joined_at=self.joined_at,
            updated_at=self.updated_at,
        )


class MemberPublic(PublicModel):
    account_id: str = Field(alias="accountId")
    user_id: str = Field(alias="userId")
    role: Role
    full_name: str = Field(alias="fullName")
    email: str
    time_zone: str = Field(alias="timeZone")
    phone: str | None = None
    status: MemberStatus
    joined_at: datetime = Field(alias="joinedAt")
    updated_at: datetime = Field(alias="updatedAt")


class MePublic(MemberPublic):
    """What a user sees of themselves: the member profile, plus an address change that waits for its link."""

    email_verified: bool = Field(
        default=False,
        alias="emailVerified",
        description="Whether `email` (the address in use) was proven by a link or an invitation.",
    )
    pending_email: str | None = Field(
        default=None,
        alias="pendingEmail",
        description="A new address asked for with PATCH /api/me: `email` changes to it only when the link sent to it "
        "is used.",
    )
    pending_email_expires_at: datetime | None = Field(default=None, alias="pendingEmailExpiresAt")
    units: Units = Field(default=Units.METRIC, description="The account's units. " + UNITS_DOC)


class MemberList(PublicModel):
    items: list[MemberPublic]


class MeUpdate(ApiModel):
    """The fields a user may change about themselves; everything else is refused."""

    full_name: Name | None = Field(default=None, alias="fullName")
    email: EmailAddress | None = None
    time_zone: TimeZoneName | None = Field(default=None, alias="timeZone")
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ()\-]{5,30}$")] | None = None


class RegistrationResult(PublicModel):
    account: AccountPublic
    me: MemberPublic


class UserRecord(BaseModel):
    """Sign-in record: which account and role a token subject has. Partitioned by user id."""

    user_id: str
    account_id: str
    role: Role
    status: MemberStatus = MemberStatus.ACTIVE
    registering: bool = False
    created_at: datetime


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    EXPIRED = "expired"


class InvitationCreate(ApiModel):
    email: EmailAddress
    full_name: Name | None = Field(default=None, alias="fullName")


class Invitation(BaseModel):
    invitation_id: str
    account_id: str
    email: str
    full_name: str | None = None
    invited_by: str
    status: InvitationStatus = InvitationStatus.PENDING
    created_at: datetime
    expires_at: datetime
    accepted_by: str | None = None
    accepted_at: datetime | None = None


class InvitationPublic(PublicModel):
    invitation_id: str = Field(alias="invitationId")
    account_id: str = Field(alias="accountId")
    email: str
    status: InvitationStatus
    expires_at: datetime = Field(alias="expiresAt")
    token: str | None = Field(default=None, description="Single-use signed token; returned once, at creation.")
    full_name: str | None = Field(default=None, alias="fullName")
    created_at: datetime | None = Field(default=None, alias="createdAt")


class InvitationList(PublicModel):
    """Pending invitations of an account (issue 15: the portal's members page lists and revokes them)."""

    items: list[InvitationPublic]


class InvitationState(StrEnum):
    """What an invitation link can still do, as the join page shows it. Only `valid` has a preview (200); the
    others answer 410 with the problem types `invitation-expired`, `invitation-revoked` and `invitation-used`."""

    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    USED = "used"


class JoiningPoint(PublicModel):
    """One thing joining an account means for the person invited, in plain words drawn from the privacy policy."""

    topic: str = Field(
        description="Stable key: location, photos-notes, metadata, who-sees, when, private-zones, rights."
    )
    text: str


# What joining means, drawn from the privacy policy ("Contents", "GPS Data", "Metadata", "When do we collect",
# "Accessing, Reviewing, and Changing") and from what the API enforces (tracking windows, private zones). Shown in
# the invitation e-mail and by the join page before anybody accepts.
JOINING_MEANS: tuple[tuple[str, str], ...] = (
    (
        "location",
        "Location pings from a phone app you connect (time, position, accuracy, speed, battery), once you allow "
        "location sharing.",
    ),
    ("photos-notes", "Photos and notes you capture or write in the app or the portal."),
    ("metadata", "Metadata such as the time a photo was taken."),
    (
        "when",
        "Only after you allow it, and location only inside your tracking windows; you can withdraw at any time and "
        "the next ping is refused.",
    ),
    ("who-sees", "The account owner sees your location, photos, notes and their metadata."),
    (
        "private-zones",
        "Places you mark as private zones stay private: no position inside them is stored or shown to anyone.",
    ),
    (
        "rights",
        "You can see who looked at your data, export it, have it erased and leave the account; the privacy policy "
        "says how long data is kept.",
    ),
)


def joining_points() -> list[JoiningPoint]:
    return [JoiningPoint(topic=topic, text=text) for topic, text in JOINING_MEANS]


class InvitationPreview(PublicModel):
    """What the invitation link shows before anyone signs in: who invites whom to which account, what joining means
    and under which privacy policy, until when, and how to accept."""

    state: InvitationState = Field(
        default=InvitationState.VALID,
        description="Always `valid` here: an expired, revoked or used invitation answers 410 (problem types "
        "invitation-expired, invitation-revoked, invitation-used; a forged or unreadable link: gone).",
    )
    email: str = Field(description="The invited address; accept with a sign-in token of this address.")
    full_name: str | None = Field(default=None, alias="fullName")
    status: InvitationStatus
    expires_at: datetime = Field(alias="expiresAt")
    account_name: str | None = Field(
        default=None, alias="accountName", description="The inviting company as its owner named it (may be unset)."
    )
    inviter_name: str | None = Field(default=None, alias="inviterName", description="The owner who sent it.")
    policy_version: str = Field(alias="policyVersion", description="The privacy policy version in force now.")
    policy_path: str = Field(alias="policyPath", description="GET it for the policy's text (no sign-in).")
    collected: list[JoiningPoint] = Field(description="What joining means, in plain words from the policy.")
    accept_method: str = Field(default="POST", alias="acceptMethod")
    accept_path: str = Field(
        alias="acceptPath",
        description="POST here with `Authorization: Bearer <token of the "
        "invited address>` and an optional body {fullName, timeZone} to join.",
    )


class InvitationAccept(ApiModel):
    full_name: Name | None = Field(default=None, alias="fullName")
    time_zone: TimeZoneName | None = Field(default=None, alias="timeZone")


class AccountEventType(StrEnum):
    MEMBER_JOINED = "member.joined"
    MEMBER_REMOVED = "member.removed"
    ACCOUNT_REGISTERED = "account.registered"


class AccountEvent(BaseModel):
    """A membership change, put on the account-events queue after the HTTP call answered."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    event_id: str = Field(alias="eventId", min_length=1, max_length=100)
    type: AccountEventType
    account_id: str = Field(alias="accountId", min_length=1, max_length=100)
    user_id: str = Field(alias="userId", min_length=1, max_length=200)
    occurred_at: datetime = Field(alias="occurredAt")
