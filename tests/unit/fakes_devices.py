"""In-memory fake of the DeviceStore port (unit tests of core/services/devices.py and device_auth.py only)."""

from __future__ import annotations

from datetime import datetime

from core.domain.devices import AppProtocol, Device, DeviceCounters, DeviceTokenLookup, battery_update


class FakeDeviceStore:
    def __init__(self) -> None:
        self.devices: dict[tuple[str, str], Device] = {}
        self.lookups: dict[str, DeviceTokenLookup] = {}

    def create(self, device: Device) -> None:
        self.devices[(device.user_id, device.device_id)] = device
        self.lookups[device.token_hash] = DeviceTokenLookup(
            token_hash=device.token_hash,
            account_id=device.account_id,
            user_id=device.user_id,
            device_id=device.device_id,
        )

    def lookup(self, token_hash: str) -> DeviceTokenLookup | None:
        return self.lookups.get(token_hash)

    def get(self, *, user_id: str, device_id: str) -> Device | None:
        return self.devices.get((user_id, device_id))

    def list_for_user(self, user_id: str) -> list[Device]:
        return sorted((d for (u, _), d in self.devices.items() if u == user_id), key=lambda d: d.created_at)

    def list_for_account(self, account_id: str, *, after: str | None, limit: int) -> tuple[list[Device], str | None]:
        mine = sorted((d for d in self.devices.values() if d.account_id == account_id), key=lambda d: d.device_id)
        rest = [d for d in mine if d.device_id > (after or "")]
        page = rest[:limit]
        return page, (page[-1].device_id if len(rest) > limit else None)

    def revoke(self, device: Device) -> None:
        self.devices[(device.user_id, device.device_id)] = device
        self.lookups.pop(device.token_hash, None)

    def record_use(
        self,
        *,
        user_id: str,
        device_id: str,
        counters: DeviceCounters,
        at: datetime,
        protocol: AppProtocol,
        waypoints_version: str | None = None,
        battery: tuple[float, datetime] | None = None,
    ) -> bool:
        device = self.devices.get((user_id, device_id))
        if device is None:
            return False
        changed = waypoints_version is not None and waypoints_version != device.waypoints_version
        self.devices[(user_id, device_id)] = device.model_copy(
            update={
                "counters": device.counters.plus(counters),
                "last_seen_at": at,
                "last_protocol": protocol,
                "waypoints_version": waypoints_version if changed else device.waypoints_version,
                **battery_update(device, battery),
            }
        )
        return changed
