"""Registration and the caller's own personal information (functions/accounts.py)."""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.accounts import AccountCreate, MePublic, MeUpdate, RegistrationResult
from core.domain.identity import Identity, Principal
from core.ports import AccountStore, Clock, EmailProfiles, EventPublisher, UserStore
from core.services import accounts
from core.services.email_verification import EmailVerification


@dataclass(frozen=True)
class AccountUseCases:
    accounts: AccountStore
    users: UserStore
    events: EventPublisher
    profiles: EmailProfiles
    verification: EmailVerification
    clock: Clock
    minimum_age: int

    def register(self, *, identity: Identity, data: AccountCreate) -> RegistrationResult:
        return accounts.register_account(
            identity=identity,
            data=data,
            accounts=self.accounts,
            users=self.users,
            account_events=self.events,
            clock=self.clock,
            minimum_age=self.minimum_age,
            email_verification=self.verification,
        )

    def me(self, *, principal: Principal) -> MePublic:
        return accounts.get_me(principal=principal, accounts=self.accounts, email_profiles=self.profiles)

    def update_me(self, *, principal: Principal, changes: MeUpdate) -> MePublic:
        return accounts.update_me(
            principal=principal,
            changes=changes,
            accounts=self.accounts,
            clock=self.clock,
            email_verification=self.verification,
        )
