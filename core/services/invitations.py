"""Pending invitations of an account: listing and revoking them (issue 15, the portal's members page).

Creating and accepting an invitation live in core/services/members.py; a revoked invitation's link answers 410 there
because acceptance requires the pending status.
"""

from __future__ import annotations

from core.domain.accounts import Invitation, InvitationList, InvitationPublic, InvitationStatus
from core.domain.errors import NotFound
from core.domain.identity import Principal
from core.ports import AccountStore, Clock


def public_invitation(invitation: Invitation) -> InvitationPublic:
    return InvitationPublic(
        invitation_id=invitation.invitation_id,
        account_id=invitation.account_id,
        email=invitation.email,
        status=invitation.status,
        expires_at=invitation.expires_at,
        full_name=invitation.full_name,
        created_at=invitation.created_at,
    )


def list_pending(*, principal: Principal, account_id: str, accounts: AccountStore, clock: Clock) -> InvitationList:
    principal.require_owner_of(account_id)
    now = clock.now()
    pending = [
        i for i in accounts.list_invitations(account_id) if i.status is InvitationStatus.PENDING and i.expires_at > now
    ]
    return InvitationList(items=[public_invitation(i) for i in sorted(pending, key=lambda i: i.created_at)])


def revoke(*, principal: Principal, account_id: str, invitation_id: str, accounts: AccountStore, clock: Clock) -> None:
    """The link stops working at once; revoking an invitation that is no longer pending is a 404, like a missing
    one (it cannot be revoked, and an accepted one is a member to remove instead)."""
    principal.require_owner_of(account_id)
    invitation = accounts.get_invitation(account_id, invitation_id)
    if invitation is None or invitation.status is not InvitationStatus.PENDING or invitation.expires_at <= clock.now():
        raise NotFound()
    revoked = invitation.model_copy(update={"status": InvitationStatus.REVOKED})
    if not accounts.replace_invitation_if_unchanged(revoked, expected=invitation):
        raise NotFound()  # accepted or revoked meanwhile
