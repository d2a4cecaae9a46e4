"""The stores whose writes the ingest gate must see (docs/tracking.md, "The ingest gate"): retention settings,
consents, tracking schedules, private zones and billing records, each handed out wrapped so a change keeps the gate
current, and the gate itself, built from the undecorated stores (the sources of truth)."""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from core.bootstrap.adapter import adapter
from core.bootstrap.clients import Clients

if TYPE_CHECKING:
    from core.adapters.cosmos_billing import CosmosBillingStore
    from core.adapters.cosmos_privacy import CosmosPrivacyStore
    from core.adapters.cosmos_private_zones import CosmosPrivateZoneStore
    from core.adapters.cosmos_tracking import CosmosConsentLedger, CosmosTrackingScheduleStore
    from core.services.ingest_gate import (
        GateKeepingBillingStore,
        GateKeepingConsentLedger,
        GateKeepingPrivacyStore,
        GateKeepingScheduleStore,
        GateKeepingZoneStore,
        IngestGateKeeper,
    )


class IngestGatePorts(Clients):
    @adapter
    def _privacy_source(self) -> CosmosPrivacyStore:
        from core.adapters.cosmos_privacy import CosmosPrivacyStore

        return CosmosPrivacyStore(self.database)

    @adapter
    def _consent_source(self) -> CosmosConsentLedger:
        from core.adapters.cosmos_tracking import CosmosConsentLedger

        return CosmosConsentLedger(self.database)

    @adapter
    def _schedule_source(self) -> CosmosTrackingScheduleStore:
        from core.adapters.cosmos_tracking import CosmosTrackingScheduleStore

        keep = timedelta(days=self.settings.retention_location_max_days)  # no ping older than this is accepted
        return CosmosTrackingScheduleStore(self.database, clock=self.clock, keep=keep)

    @adapter
    def _zone_source(self) -> CosmosPrivateZoneStore:
        from core.adapters.cosmos_private_zones import CosmosPrivateZoneStore

        return CosmosPrivateZoneStore(self.database)

    @adapter
    def _billing_source(self) -> CosmosBillingStore:
        from core.adapters.cosmos_billing import CosmosBillingStore

        return CosmosBillingStore(self.database)

    @cached_property
    def ingest_gate(self) -> IngestGateKeeper:
        """What the ingest call decides with, in one request (docs/tracking.md, "The ingest gate"); built from the
        undecorated stores (the sources of truth)."""
        from core.adapters.cosmos_ingest_gate import CosmosIngestGateStore
        from core.services.ingest_gate import IngestGateKeeper

        return IngestGateKeeper(
            store=CosmosIngestGateStore(self.database),
            billing=self._billing_source,
            privacy=self._privacy_source,
            consents=self._consent_source,
            schedules=self._schedule_source,
            zones=self._zone_source,
            clock=self.clock,
        )

    @cached_property
    def privacy(self) -> GateKeepingPrivacyStore:
        """Retention changes keep the ingest gate current (core/services/ingest_gate.py)."""
        from core.services.ingest_gate import GateKeepingPrivacyStore

        return GateKeepingPrivacyStore(self._privacy_source, self.ingest_gate)

    @cached_property
    def consents(self) -> GateKeepingConsentLedger:
        """The consent ledger (append-only); ask it with core.services.consent.consent_granted_at. Appends keep the
        ingest gate current."""
        from core.services.ingest_gate import GateKeepingConsentLedger

        return GateKeepingConsentLedger(self._consent_source, self.ingest_gate)

    @cached_property
    def tracking_schedules(self) -> GateKeepingScheduleStore:
        from core.services.ingest_gate import GateKeepingScheduleStore

        return GateKeepingScheduleStore(self._schedule_source, self.ingest_gate)

    @cached_property
    def private_zones(self) -> GateKeepingZoneStore:
        """Members' private zones (docs/private-zones.md); saves keep the ingest gate current."""
        from core.services.ingest_gate import GateKeepingZoneStore

        return GateKeepingZoneStore(self._zone_source, self.ingest_gate)

    @cached_property
    def billing(self) -> GateKeepingBillingStore:
        """Billing records; status changes (suspension and its end) keep the ingest gate current."""
        from core.services.ingest_gate import GateKeepingBillingStore

        return GateKeepingBillingStore(self._billing_source, self.ingest_gate)
