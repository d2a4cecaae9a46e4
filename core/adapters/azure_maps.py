"""Azure Maps tokens with the app's managed identity (Microsoft Entra ID authentication, Azure Maps Data Reader role on
the Maps account, infra/modules/maps.bicep). The portal's browser gets the token from GET /api/maps/token and sends it
with x-ms-client-id; no Azure Maps key exists anywhere (the account has local authentication disabled).

One token is cached per process until a few minutes before it expires, so the credential is asked about once an hour
whatever the number of map views."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from azure.core.exceptions import ClientAuthenticationError

from core.domain.errors import DependencyUnavailable
from core.domain.maps import MapToken

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

AZURE_MAPS_SCOPE = "https://atlas.microsoft.com/.default"
RENEW_BEFORE_SECONDS = 300


class EntraMapTokens:
    """`wall_time` is the real time in epoch seconds (the token's expiry is real time, never the local test clock)."""

    def __init__(self, credential: TokenCredential, wall_time: Callable[[], float] = time.time) -> None:
        self._credential = credential
        self._wall_time = wall_time
        self._lock = threading.Lock()
        self._token: MapToken | None = None
        self._expires_at = 0.0

    def current(self) -> MapToken:
        with self._lock:
            if self._token is None or self._expires_at - RENEW_BEFORE_SECONDS <= self._wall_time():
                try:
                    raw = self._credential.get_token(AZURE_MAPS_SCOPE)
                except ClientAuthenticationError as e:  # the identity endpoint is down or the role is missing
                    raise DependencyUnavailable("Azure Maps sign-in is unavailable") from e
                self._expires_at = float(raw.expires_on)
                self._token = MapToken(
                    access_token=raw.token, expires_on=datetime.fromtimestamp(raw.expires_on, tz=UTC)
                )
            return self._token
