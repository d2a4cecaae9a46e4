"""Registration of an account and its owner, and a user's own personal information."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date

from core.domain.accounts import (
    Account,
    AccountCreate,
    AccountEvent,
    AccountEventType,
    AccountPublic,
    AccountUpdate,
    Member,
    MePublic,
    MeUpdate,
    RegistrationResult,
    Units,
    UserRecord,
)
from core.domain.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from core.domain.identity import Identity, Principal, Role
from core.ports import AccountStore, Clock, EmailProfiles, EventPublisher, UserStore
from core.services.email_verification import EmailVerification

REFUSAL_TEXT = "We cannot create an account with the details given."


def age_on(birth: date, today: date) -> int:
    years = today.year - birth.year
    if (today.month, today.day) < (birth.month, birth.day):
        years -= 1
    return years


def refusal_marker_id(user_id: str) -> str:
    """A one-way marker of a refused registration: no name, no date, nothing that identifies beyond the subject."""
    return "refused-" + hashlib.sha256(user_id.encode()).hexdigest()


def register_account(
    *,
    identity: Identity,
    data: AccountCreate,
    accounts: AccountStore,
    users: UserStore,
    account_events: EventPublisher,
    clock: Clock,
    minimum_age: int,
    email_verification: EmailVerification,
) -> RegistrationResult:
    now = clock.now()
    marker = refusal_marker_id(identity.user_id)
    if users.has_refusal_marker(marker):
        raise Forbidden(REFUSAL_TEXT)
    if data.date_of_birth > now.date():
        raise ValidationFailed(errors=[FieldError("dateOfBirth", "must not be in the future")])
    if age_on(data.date_of_birth, now.date()) < minimum_age:
        # COPPA: keep nothing personal, only a marker so the same identity cannot retry with another date.
        users.put_refusal_marker(marker, now)
        raise Forbidden(REFUSAL_TEXT)

    existing = users.get_user(identity.user_id)
    if existing is not None and not existing.registering:
        raise Conflict("This identity already belongs to an account.")
    if existing is None:
        record = UserRecord(
            user_id=identity.user_id,
            account_id=str(uuid.uuid4()),
            role=Role.OWNER,
            registering=True,
            created_at=now,
        )
        if not users.create_user(record):
            # Another request for the same identity won the race; continue with its account id.
            raced = users.get_user(identity.user_id)
            if raced is None or not raced.registering:
                raise Conflict("This identity already belongs to an account.")
            record = raced
    else:
        record = existing  # a retry of a registration that stopped half-way: reuse its account id

    account = Account(
        account_id=record.account_id,
        owner_user_id=identity.user_id,
        company_name=data.company_name,
        billing_address=data.billing_address,
        time_zone=data.time_zone,
        created_at=record.created_at,
        units=data.units,
    )
    owner = Member(
        account_id=account.account_id,
        user_id=identity.user_id,
        role=Role.OWNER,
        full_name=data.full_legal_name,
        email=str(data.email),
        time_zone=data.time_zone,
        joined_at=record.created_at,
        updated_at=now,
        age_confirmed_at=now,
    )
    accounts.put_account(account)
    accounts.put_member(owner)
    account_events.publish(
        [
            AccountEvent(
                event_id=f"registered-{account.account_id}",
                type=AccountEventType.ACCOUNT_REGISTERED,
                account_id=account.account_id,
                user_id=identity.user_id,
                occurred_at=now,
            )
        ]
    )
    # Until the link is followed the address gets only transactional e-mail. Idempotent on a retry.
    email_verification.start(
        user_id=identity.user_id,
        account_id=account.account_id,
        address=owner.email,
        name=owner.full_name,
        clock=clock,
    )
    # Last step: until this write a retry redoes every step above with the same ids (each is idempotent).
    users.put_user(record.model_copy(update={"registering": False}))
    return RegistrationResult(account=account.to_public(), me=owner.to_public())


def _me(member: Member, profiles: EmailProfiles, accounts: AccountStore) -> MePublic:
    status = profiles.get_status(member.user_id)
    same = status is not None and status.address.lower() == member.email.lower()
    account = accounts.get_account(member.account_id)
    return MePublic(
        **member.to_public().model_dump(),
        email_verified=bool(status and same and status.verified),
        pending_email=status.pending_address if status else None,
        pending_email_expires_at=status.pending_expires_at if status and status.pending_address else None,
        units=account.effective_units if account is not None else Units.METRIC,
    )


def get_me(*, principal: Principal, accounts: AccountStore, email_profiles: EmailProfiles) -> MePublic:
    member = accounts.get_member(principal.account_id, principal.user_id)
    if member is None:
        raise NotFound()
    return _me(member, email_profiles, accounts)


def update_account(
    *, principal: Principal, account_id: str, changes: AccountUpdate, accounts: AccountStore
) -> AccountPublic:
    """The Account Owner changes the account's settings (today its units, which every member's portal uses)."""
    principal.require_owner_of(account_id)
    account = (
        accounts.set_units(account_id, changes.units) if changes.units is not None else accounts.get_account(account_id)
    )
    if account is None:
        raise NotFound()
    return account.to_public()


def update_me(
    *,
    principal: Principal,
    changes: MeUpdate,
    accounts: AccountStore,
    clock: Clock,
    email_verification: EmailVerification,
) -> MePublic:
    """Change my profile. A new e-mail address is not applied here: it waits (`pendingEmail`) until the link sent
    to it is used (core.services.email_verification.verify_email). The address in use, in another letter case,
    is applied at once and drops a pending change."""
    member = accounts.get_member(principal.account_id, principal.user_id)
    if member is None:
        raise NotFound()
    update = changes.model_dump(exclude_unset=True, by_alias=False)
    nulls = [k for k, v in update.items() if v is None and k in ("full_name", "email", "time_zone")]
    if nulls:
        raise ValidationFailed(errors=[FieldError(_alias(MeUpdate, k), "must not be null") for k in nulls])
    new_email = str(update.pop("email")) if "email" in update else None
    changes_address = new_email is not None and new_email.lower() != member.email.lower()
    if new_email is not None and not changes_address:
        update["email"] = new_email
    updated = member.model_copy(update={**update, "updated_at": clock.now()}) if update else member
    if update:
        accounts.put_member(updated)
    if new_email is not None:
        if changes_address:
            email_verification.change(
                user_id=principal.user_id,
                account_id=principal.account_id,
                current_address=member.email,
                new_address=new_email,
                name=updated.full_name,
                clock=clock,
            )
        else:
            email_verification.cancel_change(user_id=principal.user_id, clock=clock)
    return _me(updated, email_verification.profiles, accounts)


def _alias(model: type[MeUpdate], name: str) -> str:
    info = model.model_fields[name]
    return info.alias or name
