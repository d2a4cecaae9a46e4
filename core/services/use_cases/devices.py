"""Device tokens and the ingest of existing tracking apps (functions/devices.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from core.domain.device_protocols import ParsedPings
from core.domain.devices import AppProtocol, DeviceCreate, DeviceCreated, DeviceList
from core.domain.identity import Principal
from core.ports import (
    AccountStore,
    BillingStore,
    Clock,
    ConsentLedger,
    DeviceStore,
    JobSiteStore,
    PingQueue,
    PrivacyStore,
    PrivateZoneStore,
    TrackingScheduleStore,
)
from core.services import devices
from core.services.device_auth import DeviceCaller
from core.services.devices import DeviceIngest
from core.services.ingest_gate import IngestGateKeeper
from core.services.retention import RetentionPolicy


@dataclass(frozen=True)
class DeviceUseCases:
    devices: DeviceStore
    accounts: AccountStore
    consents: ConsentLedger
    schedules: TrackingScheduleStore
    queue: PingQueue
    privacy: PrivacyStore
    retention: RetentionPolicy
    billing: BillingStore
    zones: PrivateZoneStore
    job_sites: JobSiteStore
    future_skew: timedelta
    clock: Clock
    gate: IngestGateKeeper

    def create(self, *, principal: Principal, data: DeviceCreate) -> DeviceCreated:
        return devices.create_device(principal=principal, data=data, devices=self.devices, clock=self.clock)

    def mine(self, *, principal: Principal) -> DeviceList:
        return devices.list_my_devices(principal=principal, devices=self.devices)

    def revoke_mine(self, *, principal: Principal, device_id: str) -> None:
        devices.revoke_my_device(principal=principal, device_id=device_id, devices=self.devices, clock=self.clock)

    def of_account(self, *, principal: Principal, account_id: str) -> DeviceList:
        return devices.list_account_devices(
            principal=principal, account_id=account_id, accounts=self.accounts, devices=self.devices
        )

    def revoke_member_device(self, *, principal: Principal, account_id: str, user_id: str, device_id: str) -> None:
        devices.revoke_member_device(
            principal=principal,
            account_id=account_id,
            user_id=user_id,
            device_id=device_id,
            accounts=self.accounts,
            devices=self.devices,
            clock=self.clock,
        )

    def ingest(self, *, caller: DeviceCaller, parsed: ParsedPings, protocol: AppProtocol) -> DeviceIngest:
        return devices.ingest_from_device(
            caller=caller,
            parsed=parsed,
            protocol=protocol,
            devices=self.devices,
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
            job_sites=self.job_sites,
            ingest_gate=self.gate,
        )
