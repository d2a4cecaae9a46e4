"""From a device token to the member it sends pings for (docs/devices.md).

A device token is accepted as each app can send it: HTTP Basic (user name = device id, password = token), a bearer
token, or a `token` query parameter. It is never logged: nothing here logs, and the HTTP helper logs only the
route template. Like the JWT path, the member's sign-in record is read on every call, so a revoked token, a removed
member or a closed account is refused on the next request. A JWT is never a device token (different form, no
lookup), and a device token is never a JWT (the verifier refuses it), so neither widens the other's access.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass

from core.domain.accounts import MemberStatus
from core.domain.devices import TOKEN_PREFIX, token_hash
from core.domain.errors import AccessEnded, Unauthenticated
from core.domain.identity import Principal
from core.ports import DeviceStore, UserStore

HOW = (
    "Send the device token: HTTP Basic (user name = device id, password = token), "
    "Authorization: Bearer <token>, or ?token=<token>."
)
MAX_TOKEN_CHARS = 128


@dataclass(frozen=True)
class DeviceCaller:
    """A member's device: whose pings it sends, and which device it is."""

    principal: Principal
    device_id: str


def _credentials(authorization: str | None, query_token: str | None) -> tuple[str, str | None]:
    """(token, Basic user name or None). The header wins over the query parameter."""
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "bearer" and value:
            return value, None
        if scheme.lower() == "basic" and value:
            try:
                decoded = base64.b64decode(value, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                raise Unauthenticated(HOW) from None
            user, sep, password = decoded.partition(":")
            if sep and password:
                return password, user
        raise Unauthenticated(HOW)
    if query_token:
        return query_token.strip(), None
    raise Unauthenticated(HOW)


def authenticate(
    *, authorization: str | None, query_token: str | None, devices: DeviceStore, users: UserStore
) -> DeviceCaller:
    token, user_name = _credentials(authorization, query_token)
    if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_CHARS:
        raise Unauthenticated(HOW)  # e.g. a JWT: never looked up
    digest = token_hash(token)
    lookup = devices.lookup(digest)
    if lookup is None:
        raise Unauthenticated(HOW)
    device = devices.get(user_id=lookup.user_id, device_id=lookup.device_id)
    if (
        device is None
        or not device.active
        or not hmac.compare_digest(device.token_hash, digest)
        or device.account_id != lookup.account_id
    ):
        raise Unauthenticated(HOW)
    if user_name and user_name != device.device_id:
        raise Unauthenticated(HOW)
    record = users.get_user(device.user_id)
    if record is None or record.registering or record.account_id != device.account_id:
        raise Unauthenticated(HOW)
    if record.status is not MemberStatus.ACTIVE:
        raise AccessEnded()
    principal = Principal(user_id=record.user_id, email=None, account_id=record.account_id, role=record.role)
    return DeviceCaller(principal=principal, device_id=device.device_id)
