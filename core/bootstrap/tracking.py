"""Location tracking's stores and queue (docs/tracking.md): the access log, pings, latest positions, withheld pings,
the coarsened history, page views, device tokens, the location-pings queue, and the consent ledger, tracking
schedules and private zones (whose changes the ingest gate follows: core/services/reactions.py)."""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from core.bootstrap.adapter import adapter
from core.bootstrap.clients import Clients

if TYPE_CHECKING:
    from core.adapters.cosmos_coarse_history import CosmosCoarseHistoryStore
    from core.adapters.cosmos_devices import CosmosDeviceStore
    from core.adapters.cosmos_live_map import CosmosLiveMapVersions
    from core.adapters.cosmos_page_views import CosmosPageViewStore
    from core.adapters.cosmos_private_zones import CosmosPrivateZoneStore, CosmosWithheldPingStore
    from core.adapters.cosmos_tracking import (
        CosmosAccessLog,
        CosmosConsentLedger,
        CosmosLatestPositionStore,
        CosmosPingStore,
        CosmosTrackingScheduleStore,
    )
    from core.adapters.queues import QueuePingSender
    from core.services.access_log import AccessLogWindows


class TrackingPorts(Clients):
    @adapter
    def consents(self) -> CosmosConsentLedger:
        """The consent ledger (append-only); ask it with core.services.consent.consent_granted_at."""
        from core.adapters.cosmos_tracking import CosmosConsentLedger

        return CosmosConsentLedger(self.database)

    @adapter
    def tracking_schedules(self) -> CosmosTrackingScheduleStore:
        from core.adapters.cosmos_tracking import CosmosTrackingScheduleStore

        keep = timedelta(days=self.settings.retention_location_max_days)  # no ping older than this is accepted
        return CosmosTrackingScheduleStore(self.database, clock=self.clock, keep=keep)

    @adapter
    def private_zones(self) -> CosmosPrivateZoneStore:
        """Members' private zones (docs/private-zones.md)."""
        from core.adapters.cosmos_private_zones import CosmosPrivateZoneStore

        return CosmosPrivateZoneStore(self.database)

    @adapter
    def access_log_store(self) -> CosmosAccessLog:
        """The stored access log (the `access-log` container)."""
        from core.adapters.cosmos_tracking import CosmosAccessLog

        return CosmosAccessLog(self.database, self.expiry_stamp)

    @cached_property
    def access_log(self) -> AccessLogWindows:
        """Reads of a worker's location, photos and notes by someone else; append a core.domain.tracking
        AccessLogEntry. Coalesced per viewer, worker, kind and window, in this process's memory between the window's
        first read and its end (core/services/access_log.py): one object per process."""
        from core.services.access_log import AccessLogWindows

        window = timedelta(minutes=self.settings.access_log_window_minutes)
        return AccessLogWindows(self.access_log_store, window=window)

    @adapter
    def withheld_pings(self) -> CosmosWithheldPingStore:
        """Pings withheld inside private zones: id and time, no position (docs/private-zones.md)."""
        from core.adapters.cosmos_private_zones import CosmosWithheldPingStore

        return CosmosWithheldPingStore(self.database, self.expiry_stamp)

    @adapter
    def coarse_history(self) -> CosmosCoarseHistoryStore:
        """Coarsened history (docs/coarsened-history.md)."""
        from core.adapters.cosmos_coarse_history import CosmosCoarseHistoryStore

        return CosmosCoarseHistoryStore(self.database, self.expiry_stamp)

    @adapter
    def pings(self) -> CosmosPingStore:
        from core.adapters.cosmos_tracking import CosmosPingStore

        return CosmosPingStore(self.database, self.expiry_stamp)

    @adapter
    def latest_positions(self) -> CosmosLatestPositionStore:
        from core.adapters.cosmos_tracking import CosmosLatestPositionStore

        return CosmosLatestPositionStore(self.database, self.expiry_stamp)

    @adapter
    def live_map_versions(self) -> CosmosLiveMapVersions:
        """The live map's version: one point read per poll (core/adapters/cosmos_live_map.py)."""
        from core.adapters.cosmos_live_map import CosmosLiveMapVersions

        return CosmosLiveMapVersions(self.database)

    @adapter
    def page_views(self) -> CosmosPageViewStore:
        """Optional analytics' page views (docs/privacy-signals.md)."""
        from core.adapters.cosmos_page_views import CosmosPageViewStore

        return CosmosPageViewStore(self.database, keep_days=self.settings.retention_page_views_days, now=self.clock.now)

    @adapter
    def devices(self) -> CosmosDeviceStore:
        """Device tokens of existing tracking apps (docs/devices.md)."""
        from core.adapters.cosmos_devices import CosmosDeviceStore

        return CosmosDeviceStore(self.database)

    @adapter
    def ping_queue(self) -> QueuePingSender:
        from core.adapters.queues import QueuePingSender, queue_client

        return QueuePingSender(queue_client(self.queue_service, self.settings.queue_location_pings))
