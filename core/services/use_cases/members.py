"""Invitations and members (functions/members.py), the account-events queue and the invitation expiry timer."""

from __future__ import annotations

from core.services import invitations, member_rows, members
from core.services.wiring import UseCases, inject


class MemberUseCases(UseCases):
    invite = inject(members.invite_member)
    preview_invitation = inject(members.preview_invitation)
    pending_invitations = inject(invitations.list_pending)
    revoke_invitation = inject(invitations.revoke)
    accept_invitation = inject(members.accept_invitation)
    list_members = inject(members.list_members)
    remove_member = inject(members.remove_member)
    leave = inject(members.leave_account)
    # Queue work: record the event once, then forward it to billing's queue (a repeat is harmless there).
    # Answers whether the event was new.
    record_account_event = inject(members.record_account_event)
    expire_invitations = inject(members.expire_invitations)
    # The owner's members page in one request: members with last position, sharing state and zone count, paged.
    overview = inject(member_rows.member_overview)
