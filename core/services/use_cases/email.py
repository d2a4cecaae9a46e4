"""E-mail preferences, address verification, unsubscribe and open/click tracking, and the small pages those links
answer a browser with (functions/email.py). The outbox queue's sender is `core.services.outbox.OutboxSender`."""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.email import (
    EmailPreferencesPublic,
    EmailPreferencesUpdate,
    OutboxEntryAdmin,
    UnsubscribeResult,
    VerificationPending,
    VerificationResult,
)
from core.domain.identity import Principal
from core.ports import AccountStore, Clock, EmailProfiles, EmailRenderer, Outbox
from core.services import email_preferences, email_tracking, email_verification, outbox
from core.services.email_verification import EmailVerification
from core.signing import LinkSigner


@dataclass(frozen=True)
class EmailUseCases:
    accounts: AccountStore
    profiles: EmailProfiles
    outbox: Outbox
    verification: EmailVerification
    signer: LinkSigner
    clock: Clock
    renderer: EmailRenderer

    def preferences(self, *, principal: Principal) -> EmailPreferencesPublic:
        return email_preferences.get_preferences(principal=principal, email_profiles=self.profiles)

    def update_preferences(self, *, principal: Principal, data: EmailPreferencesUpdate) -> EmailPreferencesPublic:
        return email_preferences.update_preferences(
            principal=principal, data=data, email_profiles=self.profiles, clock=self.clock
        )

    def resend_verification(self, *, principal: Principal) -> VerificationPending:
        return email_verification.resend_verification(
            principal=principal, accounts=self.accounts, email_verification=self.verification, clock=self.clock
        )

    def verify(self, *, token: str) -> VerificationResult:
        return email_verification.verify_email(
            token=token,
            email_profiles=self.profiles,
            accounts=self.accounts,
            outbox=self.outbox,
            signer=self.signer,
            clock=self.clock,
        )

    def unsubscribe(self, *, token: str) -> UnsubscribeResult:
        return email_preferences.unsubscribe(
            token=token, outbox=self.outbox, email_profiles=self.profiles, signer=self.signer, clock=self.clock
        )

    def record_open(self, *, token: str) -> bool:
        return email_tracking.record_open(token=token, outbox=self.outbox, signer=self.signer, clock=self.clock)

    def record_click(self, *, token: str) -> str:
        """The signed target to redirect to."""
        return email_tracking.record_click(token=token, outbox=self.outbox, signer=self.signer, clock=self.clock)

    def outbox_entry(self, *, outbox_id: str) -> OutboxEntryAdmin:
        return outbox.admin_view(outbox_id=outbox_id, outbox=self.outbox)

    def page(self, *, title: str, message: str, button: str | None = None) -> str:
        """The HTML page a link opened in a browser answers with (confirm, unsubscribe)."""
        return self.renderer.page(title=title, message=message, button=button)
