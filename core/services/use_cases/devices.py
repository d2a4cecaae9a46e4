"""Device tokens and the ingest of existing tracking apps (functions/devices.py)."""

from __future__ import annotations

from core.services import devices
from core.services.wiring import UseCases, inject


class DeviceUseCases(UseCases):
    create = inject(devices.create_device)
    mine = inject(devices.list_my_devices)
    revoke_mine = inject(devices.revoke_my_device)
    of_account = inject(devices.list_account_devices)
    revoke_member_device = inject(devices.revoke_member_device)
    ingest = inject(devices.ingest_from_device)
