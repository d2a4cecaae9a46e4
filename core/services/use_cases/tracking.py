"""A worker's tracking schedule and ping ingest, tracks and the owner's latest positions (functions/tracking.py).
The pings writer (the location-pings queue) is its own object, `core.services.ping_writer.PingWriter`: one per
process, so the messages of one delivery batch are written together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from core.domain.identity import Principal
from core.domain.tracking import (
    IngestResult,
    LatestPositionList,
    PingBatch,
    TrackDocument,
    TrackingSchedulePublic,
    TrackingScheduleUpdate,
    TrackQuery,
)
from core.domain.tracking_preview import TrackingPreview, TrackingPreviewRequest
from core.ports import (
    AccessLog,
    AccountStore,
    BillingStore,
    Clock,
    CoarseHistoryStore,
    ConsentLedger,
    LatestPositionStore,
    PingQueue,
    PingStore,
    PrivacyStore,
    PrivateZoneStore,
    TrackingScheduleStore,
    WithheldPingStore,
)
from core.services import tracking, tracking_preview, tracks
from core.services.ingest_gate import IngestGateKeeper
from core.services.paging import PageTokens
from core.services.retention import RetentionPolicy


@dataclass(frozen=True)
class TrackingUseCases:
    accounts: AccountStore
    consents: ConsentLedger
    schedules: TrackingScheduleStore
    queue: PingQueue
    privacy: PrivacyStore
    retention: RetentionPolicy
    billing: BillingStore
    zones: PrivateZoneStore
    gate: IngestGateKeeper
    pings: PingStore
    positions: LatestPositionStore
    access_log: AccessLog
    withheld: WithheldPingStore
    coarse: CoarseHistoryStore
    pages: PageTokens
    future_skew: timedelta
    clock: Clock

    def put_schedule(self, *, principal: Principal, data: TrackingScheduleUpdate) -> TrackingSchedulePublic:
        return tracking.put_schedule(
            principal=principal, data=data, tracking_schedules=self.schedules, clock=self.clock
        )

    def schedule(self, *, principal: Principal) -> TrackingSchedulePublic:
        return tracking.get_schedule(principal=principal, tracking_schedules=self.schedules)

    def delete_schedule(self, *, principal: Principal) -> None:
        tracking.delete_schedule(principal=principal, tracking_schedules=self.schedules)

    def preview(self, *, data: TrackingPreviewRequest) -> TrackingPreview:
        """Lays windows on the coming days; stores nothing."""
        return tracking_preview.preview_windows(data=data, clock=self.clock)

    def ingest(self, *, principal: Principal, batch: PingBatch) -> IngestResult:
        return tracking.ingest_pings(
            principal=principal,
            batch=batch,
            accounts=self.accounts,
            consents=self.consents,
            tracking_schedules=self.schedules,
            ping_queue=self.queue,
            privacy=self.privacy,
            retention_policy=self.retention,
            clock=self.clock,
            future_skew=self.future_skew,
            billing=self.billing,
            private_zones=self.zones,
            ingest_gate=self.gate,
        )

    def my_track(self, *, principal: Principal, query: TrackQuery) -> TrackDocument:
        return tracks.read_my_track(
            principal=principal,
            query=query,
            pings=self.pings,
            clock=self.clock,
            page_tokens=self.pages,
            withheld_pings=self.withheld,
            coarse_history=self.coarse,
        )

    def member_track(self, *, principal: Principal, account_id: str, user_id: str, query: TrackQuery) -> TrackDocument:
        return tracks.read_member_track(
            principal=principal,
            account_id=account_id,
            user_id=user_id,
            query=query,
            accounts=self.accounts,
            pings=self.pings,
            access_log=self.access_log,
            clock=self.clock,
            page_tokens=self.pages,
            withheld_pings=self.withheld,
            coarse_history=self.coarse,
        )

    def latest_positions(self, *, principal: Principal, account_id: str) -> LatestPositionList:
        return tracks.latest_positions(
            principal=principal,
            account_id=account_id,
            accounts=self.accounts,
            latest_positions=self.positions,
            access_log=self.access_log,
            clock=self.clock,
        )
