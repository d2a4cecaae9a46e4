"""The worker's consents and the access log of reads of their data (functions/consent.py)."""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.consent import ConsentsPublic, ConsentStatePublic, ConsentUpdate
from core.domain.identity import Principal
from core.domain.tracking import AccessLogPage
from core.ports import AccessLog, AccountStore, Clock, ConsentLedger, PolicyStore
from core.services import access_log, consent
from core.services.paging import PageTokens
from core.services.policy import current_policy_version


@dataclass(frozen=True)
class ConsentUseCases:
    ledger: ConsentLedger
    access_log: AccessLog
    accounts: AccountStore
    policies: PolicyStore
    pages: PageTokens
    clock: Clock

    def set_consent(self, *, principal: Principal, capability: str, data: ConsentUpdate) -> ConsentStatePublic:
        """Appends to the ledger with the policy version in force now (computed from the clock)."""
        return consent.set_consent(
            principal=principal,
            capability=capability,
            data=data,
            consents=self.ledger,
            clock=self.clock,
            policy_version=current_policy_version(policy=self.policies, clock=self.clock),
        )

    def consents(self, *, principal: Principal) -> ConsentsPublic:
        return consent.get_consents(principal=principal, consents=self.ledger)

    def my_access_log(self, *, principal: Principal, continuation: str | None, limit: int) -> AccessLogPage:
        return access_log.read_my_access_log(
            principal=principal,
            access_log=self.access_log,
            accounts=self.accounts,
            continuation=continuation,
            limit=limit,
            page_tokens=self.pages,
        )
