"""Invitations and members (functions/members.py), the account-events queue and the invitation expiry timer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from core.domain.accounts import (
    AccountEvent,
    InvitationAccept,
    InvitationCreate,
    InvitationList,
    InvitationPreview,
    InvitationPublic,
    MemberList,
    MemberPublic,
)
from core.domain.identity import Identity, Principal
from core.ports import AccountStore, BillingStore, Clock, EmailProfiles, EventPublisher, Outbox, UserStore
from core.services import invitations, members
from core.signing import LinkSigner


@dataclass(frozen=True)
class MemberUseCases:
    accounts: AccountStore
    users: UserStore
    events: EventPublisher
    billing_events: EventPublisher  # billing's own queue (docs/billing.md)
    signer: LinkSigner
    clock: Clock
    outbox: Outbox
    profiles: EmailProfiles
    billing: BillingStore
    invitation_ttl: timedelta

    def invite(self, *, principal: Principal, account_id: str, data: InvitationCreate) -> InvitationPublic:
        return members.invite_member(
            principal=principal,
            account_id=account_id,
            data=data,
            accounts=self.accounts,
            signer=self.signer,
            clock=self.clock,
            invitation_ttl=self.invitation_ttl,
            outbox=self.outbox,
            billing=self.billing,
        )

    def preview_invitation(self, *, token: str) -> InvitationPreview:
        return members.preview_invitation(token=token, accounts=self.accounts, signer=self.signer, clock=self.clock)

    def pending_invitations(self, *, principal: Principal, account_id: str) -> InvitationList:
        return invitations.list_pending(
            principal=principal, account_id=account_id, accounts=self.accounts, clock=self.clock
        )

    def revoke_invitation(self, *, principal: Principal, account_id: str, invitation_id: str) -> None:
        invitations.revoke(
            principal=principal,
            account_id=account_id,
            invitation_id=invitation_id,
            accounts=self.accounts,
            clock=self.clock,
        )

    def accept_invitation(self, *, identity: Identity, token: str, data: InvitationAccept) -> MemberPublic:
        return members.accept_invitation(
            identity=identity,
            token=token,
            data=data,
            accounts=self.accounts,
            users=self.users,
            account_events=self.events,
            signer=self.signer,
            clock=self.clock,
            email_profiles=self.profiles,
            billing=self.billing,
        )

    def list_members(self, *, principal: Principal, account_id: str) -> MemberList:
        return members.list_members(principal=principal, account_id=account_id, accounts=self.accounts)

    def remove_member(self, *, principal: Principal, account_id: str, user_id: str) -> None:
        members.remove_member(
            principal=principal,
            account_id=account_id,
            user_id=user_id,
            accounts=self.accounts,
            users=self.users,
            account_events=self.events,
            clock=self.clock,
        )

    def record_account_event(self, event: AccountEvent) -> bool:
        """Queue work: record the event once, then forward it to billing's queue (a repeat is harmless there).
        Answers whether the event was new."""
        new = members.record_account_event(event=event, accounts=self.accounts)
        self.billing_events.publish([event])
        return new

    def expire_invitations(self) -> int:
        return members.expire_invitations(accounts=self.accounts, clock=self.clock)
