"""The ingest gate (docs/tracking.md, "The ingest gate"), built from the sources of truth it copies: the root's
billing and privacy (retention) stores, the consent ledger, tracking schedules and private zones, each built in its
own area's module. The writes that change a source keep the gate current through the reactions table
(core/services/reactions.py)."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from core.bootstrap.privacy import PrivacyPorts
from core.bootstrap.tracking import TrackingPorts

if TYPE_CHECKING:
    from core.services.ingest_gate import IngestGateKeeper


class IngestGatePorts(PrivacyPorts, TrackingPorts):
    @cached_property
    def ingest_gate(self) -> IngestGateKeeper:
        """What the ingest call decides with, in one request; reads the root's stores (the sources of truth)."""
        from core.adapters.cosmos_ingest_gate import CosmosIngestGateStore
        from core.services.ingest_gate import IngestGateKeeper

        return IngestGateKeeper(
            store=CosmosIngestGateStore(self.database),
            billing=self.billing,
            privacy=self.privacy,
            consents=self.consents,
            schedules=self.tracking_schedules,
            zones=self.private_zones,
            clock=self.clock,
        )
