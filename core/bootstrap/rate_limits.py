"""Abuse limits (docs/abuse-limits.md): the counters' store and each policy's rate, read from the settings."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from core.bootstrap.adapter import adapter
from core.bootstrap.clients import Clients
from core.domain import rate_limits as limits
from core.domain.rate_limits import Rate

if TYPE_CHECKING:
    from core.adapters.azure_maps import EntraMapTokens
    from core.adapters.cosmos_rate_limits import CosmosRateLimiter
    from core.services.rate_limits import LeasedRateLimiter


class RateLimitPorts(Clients):
    @adapter
    def map_tokens(self) -> EntraMapTokens:
        """Azure Maps tokens for the portal's base map (not a limit: the one small port of the maps area)."""
        from core.adapters.azure_maps import EntraMapTokens
        from core.adapters.identity import shared_credential

        return EntraMapTokens(shared_credential())

    @property
    def maps_client_id(self) -> str | None:
        return self.settings.azure_maps_client_id

    @adapter
    def rate_limit_store(self) -> CosmosRateLimiter:
        """The shared counters (the `rate-limits` container)."""
        from core.adapters.cosmos_rate_limits import CosmosRateLimiter

        return CosmosRateLimiter(self.database)

    @cached_property
    def rate_limiter(self) -> LeasedRateLimiter:
        """The counters as the use cases count on them: generous limits leased ten calls at a time by this process
        (core/services/rate_limits.py), the others one by one: one object per process."""
        from core.services.rate_limits import LeasedRateLimiter

        return LeasedRateLimiter(self.rate_limit_store, clock=self.clock)

    @cached_property
    def rate_limits(self) -> dict[str, Rate]:
        """Each policy's rate (core/domain/rate_limits.py) by the policy's name, from its setting."""
        s = self.settings
        return {
            limits.SIGN_UP_PER_NETWORK.name: Rate.parse(s.rate_limit_sign_up_per_network),
            limits.SIGN_UP_PER_IDENTITY.name: Rate.parse(s.rate_limit_sign_up_per_identity),
            limits.INVITATIONS.name: Rate.parse(s.rate_limit_invitations),
            limits.EMAIL_CHANGES.name: Rate.parse(s.rate_limit_email_changes),
            limits.DATA_REQUESTS.name: Rate.parse(s.rate_limit_data_requests),
            limits.DEVICE_TOKENS.name: Rate.parse(s.rate_limit_device_tokens),
            limits.PAGE_VIEWS.name: Rate.parse(s.rate_limit_page_views_per_network),
            limits.INVITATION_LINKS.name: Rate.parse(s.rate_limit_invitation_links_per_network),
            limits.INGEST_PER_DEVICE.name: Rate.parse(s.rate_limit_ingest_per_device),
            limits.INGEST_PER_MEMBER.name: Rate.parse(s.rate_limit_ingest_per_member),
        }
