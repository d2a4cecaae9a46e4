"""Retention settings, legal holds and the purge runs' log (functions/privacy.py). The daily purge timer's work is
`core.services.purge.DailyPurge`, built by the composition root next to this object."""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.identity import Identity, Principal
from core.domain.privacy import (
    LegalHoldCreate,
    LegalHoldList,
    LegalHoldPublic,
    PurgeRunList,
    RetentionPublic,
    RetentionUpdate,
)
from core.ports import AccountStore, Clock, PrivacyStore
from core.services import purge, retention
from core.services.retention import RetentionPolicy


@dataclass(frozen=True)
class RetentionUseCases:
    privacy: PrivacyStore
    accounts: AccountStore
    policy: RetentionPolicy
    clock: Clock

    def settings(self, *, principal: Principal, account_id: str) -> RetentionPublic:
        return retention.get_retention(
            principal=principal, account_id=account_id, privacy=self.privacy, retention_policy=self.policy
        )

    def update(self, *, principal: Principal, account_id: str, changes: RetentionUpdate) -> RetentionPublic:
        return retention.update_retention(
            principal=principal,
            account_id=account_id,
            changes=changes,
            privacy=self.privacy,
            retention_policy=self.policy,
            clock=self.clock,
        )

    def place_hold(self, *, identity: Identity, data: LegalHoldCreate) -> LegalHoldPublic:
        return retention.place_hold(
            identity=identity, data=data, privacy=self.privacy, accounts=self.accounts, clock=self.clock
        )

    def holds(self, *, account_id: str) -> LegalHoldList:
        return retention.list_holds(account_id=account_id, privacy=self.privacy)

    def lift_hold(self, *, identity: Identity, account_id: str, hold_id: str) -> LegalHoldPublic:
        return retention.lift_hold(
            identity=identity, account_id=account_id, hold_id=hold_id, privacy=self.privacy, clock=self.clock
        )

    def purge_runs(self) -> PurgeRunList:
        return purge.list_runs(privacy=self.privacy)
