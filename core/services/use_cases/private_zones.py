"""A worker's private zones and the owner's count (functions/private_zones.py). See docs/private-zones.md."""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.identity import Principal
from core.domain.private_zones import (
    ApplyToHistoryIn,
    HistoryAppliedPublic,
    PrivateZoneCount,
    PrivateZoneIn,
    PrivateZoneList,
    PrivateZonePublic,
)
from core.ports import (
    AccountStore,
    Clock,
    LatestPositionStore,
    MediaStore,
    PhotoBlobs,
    PingStore,
    PrivacyStore,
    PrivateZoneStore,
    WithheldPingStore,
)
from core.services import private_zones
from core.services.retention import RetentionPolicy


@dataclass(frozen=True)
class PrivateZoneUseCases:
    zones: PrivateZoneStore
    accounts: AccountStore
    pings: PingStore
    positions: LatestPositionStore
    withheld: WithheldPingStore
    media: MediaStore
    blobs: PhotoBlobs
    privacy: PrivacyStore
    retention: RetentionPolicy
    clock: Clock

    def mine(self, *, principal: Principal) -> PrivateZoneList:
        return private_zones.list_zones(principal=principal, private_zones=self.zones)

    def add(self, *, principal: Principal, data: PrivateZoneIn) -> PrivateZonePublic:
        return private_zones.add_zone(principal=principal, data=data, private_zones=self.zones, clock=self.clock)

    def remove(self, *, principal: Principal, zone_id: str) -> None:
        private_zones.remove_zone(principal=principal, zone_id=zone_id, private_zones=self.zones, clock=self.clock)

    def apply_to_history(self, *, principal: Principal, zone_id: str, data: ApplyToHistoryIn) -> HistoryAppliedPublic:
        return private_zones.apply_to_history(
            principal=principal,
            zone_id=zone_id,
            data=data,
            private_zones=self.zones,
            pings=self.pings,
            latest_positions=self.positions,
            withheld_pings=self.withheld,
            media=self.media,
            clock=self.clock,
            accounts=self.accounts,
            privacy=self.privacy,
            retention_policy=self.retention,
            photo_blobs=self.blobs,
        )

    def count_of_member(self, *, principal: Principal, account_id: str, user_id: str) -> PrivateZoneCount:
        return private_zones.count_member_zones(
            principal=principal,
            account_id=account_id,
            user_id=user_id,
            accounts=self.accounts,
            private_zones=self.zones,
        )
