"""Invitations, joining an account, listing and removing members."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from core.domain.accounts import (
    JOINING_MEANS,
    Account,
    AccountEvent,
    AccountEventType,
    AccountStatus,
    Invitation,
    InvitationAccept,
    InvitationCreate,
    InvitationPreview,
    InvitationPublic,
    InvitationState,
    InvitationStatus,
    Member,
    MemberList,
    MemberPublic,
    MemberStatus,
    UserRecord,
    joining_points,
)
from core.domain.email import EmailCategory
from core.domain.errors import (
    Conflict,
    Forbidden,
    Gone,
    InvitationExpired,
    InvitationRevoked,
    InvitationUsed,
    NotFound,
)
from core.domain.events import AccountEventRecorded
from core.domain.identity import Identity, Principal, Role
from core.domain.privacy import MembershipEnded
from core.ports import (
    AccountStore,
    BillingStore,
    Clock,
    EmailProfiles,
    EventPublisher,
    Outbox,
    PolicyStore,
    PrivacyStore,
    Reactions,
    UserStore,
)
from core.services.email_verification import record_verified_by_invitation
from core.services.outbox import enqueue_email
from core.services.policy import current_policy_version
from core.services.retention import audit
from core.services.suspension import Addition, ensure_may_add
from core.signing import LinkSigner

INVITATION_PURPOSE = "invitation"


def invite_member(
    *,
    principal: Principal,
    account_id: str,
    data: InvitationCreate,
    accounts: AccountStore,
    signer: LinkSigner,
    clock: Clock,
    invitation_ttl: timedelta,
    outbox: Outbox,
    billing: BillingStore,
    policy: PolicyStore,
) -> InvitationPublic:
    principal.require_owner_of(account_id)
    ensure_may_add(account_id=account_id, what=Addition.INVITATIONS, billing=billing)
    now = clock.now()
    invitation = Invitation(
        invitation_id=str(uuid.uuid4()),
        account_id=account_id,
        email=str(data.email).lower(),
        full_name=data.full_name,
        invited_by=principal.user_id,
        created_at=now,
        expires_at=now + invitation_ttl,
    )
    accounts.create_invitation(invitation)
    token = signer.sign(
        INVITATION_PURPOSE,
        {"a": account_id, "i": invitation.invitation_id},
        expires_at=invitation.expires_at,
    )
    enqueue_email(
        outbox=outbox,
        category=EmailCategory.ACCOUNT,
        template="invitation",
        to_address=invitation.email,
        context=_invitation_email_context(
            invitation=invitation,
            token=token,
            account=accounts.get_account(account_id),
            inviter=accounts.get_member(account_id, principal.user_id),
            policy_version=current_policy_version(policy=policy, clock=clock),
        ),
        dedupe_key=f"invitation-{invitation.invitation_id}",
        clock=clock,
    )
    return InvitationPublic(
        invitation_id=invitation.invitation_id,
        account_id=account_id,
        email=invitation.email,
        status=invitation.status,
        expires_at=invitation.expires_at,
        token=token,
    )


def _invitation_email_context(
    *, invitation: Invitation, token: str, account: Account | None, inviter: Member | None, policy_version: str
) -> dict[str, Any]:
    """The invitation e-mail names the company and the owner who invites, says what joining means (the policy's
    words) and links the policy version in force and the join link."""
    return {
        "token": token,
        "full_name": invitation.full_name,
        "expires_at": invitation.expires_at.strftime("%Y-%m-%d %H:%M"),
        "account_name": account.company_name if account is not None else None,
        "inviter_name": inviter.full_name if inviter is not None else None,
        "policy_version": policy_version,
        "policy_path": policy_path(policy_version).removeprefix("/api/"),
        "joining": [text for _, text in JOINING_MEANS],
    }


def _pending_invitation(*, token: str, accounts: AccountStore, signer: LinkSigner, now: datetime) -> Invitation:
    """The invitation a signed link names, while it can still be used; else 410: `invitation-used`,
    `invitation-revoked` or `invitation-expired` for a genuine link that can no longer be used, plain `gone` for a
    forged or unreadable one (which reveals nothing)."""
    payload = signer.verify(INVITATION_PURPOSE, token, now=now, allow_expired=True)
    invitation = accounts.get_invitation(str(payload.get("a", "")), str(payload.get("i", "")))
    if invitation is None:
        raise Gone("This invitation is not valid.")
    state = invitation_state(invitation, now)
    if state is InvitationState.USED:
        raise InvitationUsed("This invitation has already been accepted. Sign in with the invited address.")
    if state is InvitationState.REVOKED:
        raise InvitationRevoked("The account owner withdrew this invitation. Ask them for a new one.")
    if state is InvitationState.EXPIRED:
        raise InvitationExpired("This invitation has expired. Ask the account owner for a new one.")
    return invitation


def invitation_state(invitation: Invitation, now: datetime) -> InvitationState:
    """Used and revoked win over expiry (they say more); a pending invitation past its time is expired even before
    the daily timer marks it."""
    if invitation.status is InvitationStatus.ACCEPTED:
        return InvitationState.USED
    if invitation.status is InvitationStatus.REVOKED:
        return InvitationState.REVOKED
    if invitation.status is InvitationStatus.EXPIRED or now > invitation.expires_at:
        return InvitationState.EXPIRED
    return InvitationState.VALID


def preview_invitation(
    *, token: str, accounts: AccountStore, signer: LinkSigner, clock: Clock, policy: PolicyStore
) -> InvitationPreview:
    """The e-mailed link's target (no login; reads only, so a mail scanner opening it changes nothing): who invites
    whom to which account, what joining means under the policy in force, and the documented call that accepts it.
    Used, revoked, expired: 410 with a problem type for each; forged or closed-account links: 410 `gone`."""
    now = clock.now()
    invitation = _pending_invitation(token=token, accounts=accounts, signer=signer, now=now)
    account_id = invitation.account_id
    account = accounts.get_account(account_id)
    if account is None or account.status is not AccountStatus.ACTIVE:
        raise Gone("This invitation is not valid.")
    inviter = accounts.get_member(account_id, invitation.invited_by)
    version = current_policy_version(policy=policy, clock=clock)
    return InvitationPreview(
        state=InvitationState.VALID,
        email=invitation.email,
        full_name=invitation.full_name,
        status=invitation.status,
        expires_at=invitation.expires_at,
        account_name=account.company_name,
        inviter_name=inviter.full_name if inviter is not None else None,
        policy_version=version,
        policy_path=policy_path(version),
        collected=joining_points(),
        accept_path=f"/api/invitations/{quote(token, safe='')}/accept",
    )


def policy_path(version_id: str) -> str:
    return f"/api/policy/versions/{quote(version_id, safe='')}"


def accept_invitation(
    *,
    identity: Identity,
    token: str,
    data: InvitationAccept,
    accounts: AccountStore,
    users: UserStore,
    account_events: EventPublisher,
    signer: LinkSigner,
    clock: Clock,
    billing: BillingStore,
    email_profiles: EmailProfiles,
) -> MemberPublic:
    now = clock.now()
    invitation = _pending_invitation(token=token, accounts=accounts, signer=signer, now=now)
    account_id = invitation.account_id
    if identity.email is None or identity.email.lower() != invitation.email:
        raise Forbidden("This invitation was sent to another e-mail address.")
    account = accounts.get_account(account_id)
    if account is None or account.status is not AccountStatus.ACTIVE:
        raise Gone("This invitation is not valid.")
    ensure_may_add(account_id=account_id, what=Addition.MEMBERS, billing=billing)  # a new seat
    existing = users.get_user(identity.user_id)
    if existing is not None and not (existing.account_id == account_id and existing.registering):
        raise Conflict("This identity already belongs to an account.")

    accepted = invitation.model_copy(
        update={"status": InvitationStatus.ACCEPTED, "accepted_by": identity.user_id, "accepted_at": now}
    )
    if not accounts.replace_invitation_if_unchanged(accepted, expected=invitation):
        raise Gone("This invitation has already been used.")
    record = UserRecord(
        user_id=identity.user_id, account_id=account_id, role=Role.MEMBER, registering=True, created_at=now
    )
    if existing is None and not users.create_user(record):
        raise Conflict("This identity already belongs to an account.")
    member = Member(
        account_id=account_id,
        user_id=identity.user_id,
        role=Role.MEMBER,
        full_name=data.full_name or invitation.full_name or identity.email,
        email=identity.email.lower(),
        time_zone=data.time_zone or account.time_zone,
        joined_at=now,
        updated_at=now,
    )
    accounts.put_member(member)
    # The invitation reached this address and was accepted by a sign-in with it: that proves the address.
    record_verified_by_invitation(
        user_id=identity.user_id, account_id=account_id, address=member.email, profiles=email_profiles, clock=clock
    )
    account_events.publish(
        [
            AccountEvent(
                event_id=f"joined-{invitation.invitation_id}",
                type=AccountEventType.MEMBER_JOINED,
                account_id=account_id,
                user_id=identity.user_id,
                occurred_at=now,
            )
        ]
    )
    users.put_user(record.model_copy(update={"registering": False}))
    return member.to_public()


def list_members(*, principal: Principal, account_id: str, accounts: AccountStore) -> MemberList:
    principal.require_owner_of(account_id)
    members = [m.to_public() for m in accounts.list_members(account_id) if m.status is MemberStatus.ACTIVE]
    return MemberList(items=sorted(members, key=lambda m: m.joined_at))


def remove_member(
    *,
    principal: Principal,
    account_id: str,
    user_id: str,
    accounts: AccountStore,
    users: UserStore,
    account_events: EventPublisher,
    clock: Clock,
) -> None:
    principal.require_owner_of(account_id)
    member = accounts.get_member(account_id, user_id)
    if member is None or member.status is MemberStatus.REMOVED:
        raise NotFound()
    if member.role is Role.OWNER:
        raise Conflict("The Account Owner cannot be removed; close the account instead.")
    _end_membership(member, accounts=accounts, users=users, account_events=account_events, now=clock.now())


def leave_account(
    *,
    principal: Principal,
    accounts: AccountStore,
    users: UserStore,
    account_events: EventPublisher,
    privacy: PrivacyStore,
    clock: Clock,
) -> MembershipEnded:
    """The member ends their own membership, with the same effects as a removal by the owner (access ends at
    once, the seat is released through the account event). Their data then follows the account's retention and
    their own requests, which they can still make after leaving (core/services/held_data.py). The owner closes
    the account instead (409)."""
    if principal.is_owner:
        raise Conflict(
            "The Account Owner cannot leave the account; close it instead (POST /api/accounts/{accountId}/closure)."
        )
    member = accounts.get_member(principal.account_id, principal.user_id)
    if member is None or member.status is not MemberStatus.ACTIVE:
        raise NotFound()
    now = clock.now()
    _end_membership(member, accounts=accounts, users=users, account_events=account_events, now=now)
    audit(
        privacy,
        clock,
        account_id=principal.account_id,
        actor=principal.user_id,
        action="member.left",
        outcome=MemberStatus.REMOVED.value,
        subject_user_id=principal.user_id,
    )
    return MembershipEnded(
        account_id=principal.account_id, user_id=principal.user_id, status=MemberStatus.REMOVED.value, left_at=now
    )


def _end_membership(
    member: Member, *, accounts: AccountStore, users: UserStore, account_events: EventPublisher, now: datetime
) -> None:
    """A membership ends (removed by the owner, or left): access first, then the profile, then the seat."""
    account_id, user_id = member.account_id, member.user_id
    record = users.get_user(user_id)
    if record is not None and record.account_id == account_id:
        # Access ends first: from this write on, the member's token resolves to "access ended".
        users.put_user(record.model_copy(update={"status": MemberStatus.REMOVED}))
    accounts.put_member(member.model_copy(update={"status": MemberStatus.REMOVED, "removed_at": now}))
    account_events.publish(
        [
            AccountEvent(
                event_id=f"removed-{account_id}-{user_id}-{int(now.timestamp())}",
                type=AccountEventType.MEMBER_REMOVED,
                account_id=account_id,
                user_id=user_id,
                occurred_at=now,
            )
        ]
    )


def record_account_event(*, event: AccountEvent, accounts: AccountStore, reactions: Reactions) -> bool:
    """Queue work: store the event once (a redelivered message changes nothing), then raise AccountEventRecorded
    (billing forwards it to its own queue, docs/billing.md; raised again for a redelivered message, which is
    harmless there). Answer whether it was new."""
    new = accounts.record_event(event)
    reactions.happened(AccountEventRecorded(event=event))
    return new


def expire_invitations(*, accounts: AccountStore, clock: Clock, batch_size: int = 500) -> int:
    """Timer work: mark pending invitations past their expiry as expired. Answer how many changed."""
    now = clock.now()
    changed = 0
    for invitation in accounts.list_expired_pending_invitations(now, batch_size):
        expired = invitation.model_copy(update={"status": InvitationStatus.EXPIRED})
        if accounts.replace_invitation_if_unchanged(expired, expected=invitation):
            changed += 1
    return changed
