"""Privacy policy versions, acknowledgements and the daily notice timer (functions/policy.py)."""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.identity import Identity, Principal
from core.domain.policy import (
    PolicyAcknowledgementCreate,
    PolicyAcknowledgementPublic,
    PolicyNow,
    PolicyVersionCreate,
    PolicyVersionList,
    PolicyVersionPublic,
)
from core.ports import Clock, EmailProfiles, Outbox, PolicyStore
from core.services import policy
from core.services.outbox import Links


@dataclass(frozen=True)
class PolicyUseCases:
    store: PolicyStore
    profiles: EmailProfiles
    outbox: Outbox
    links: Links
    clock: Clock
    outbox_keep_days: int

    def now(self) -> PolicyNow:
        return policy.policy_now(policy=self.store, clock=self.clock)

    def versions(self) -> PolicyVersionList:
        return policy.list_versions(policy=self.store, clock=self.clock)

    def version(self, *, version_id: str) -> PolicyVersionPublic:
        return policy.get_version(version_id=version_id, policy=self.store, clock=self.clock)

    def post_version(self, *, identity: Identity, data: PolicyVersionCreate) -> PolicyVersionPublic:
        return policy.post_version(identity=identity, data=data, policy=self.store, clock=self.clock)

    def acknowledge(self, *, principal: Principal, data: PolicyAcknowledgementCreate) -> PolicyAcknowledgementPublic:
        return policy.acknowledge(principal=principal, data=data, policy=self.store, clock=self.clock)

    def send_notices(self) -> int:
        """Timer work: one notice per (user, version); answers how many were queued."""
        return policy.send_policy_notices(
            policy=self.store,
            email_profiles=self.profiles,
            outbox=self.outbox,
            email_links=self.links,
            clock=self.clock,
            outbox_keep_days=self.outbox_keep_days,
        )
