"""The portal's base map in Azure (docs/portal.md, "Base map"): any signed-in member's browser may draw Azure Maps
tiles, with a token the app obtains through its managed identity. The token grants reading the map (Azure Maps Data
Reader) and nothing of the product's data."""

from __future__ import annotations

from core.domain.errors import NotFound
from core.domain.identity import Principal
from core.domain.maps import MapTokenPublic
from core.ports import MapTokens


def issue_map_token(*, principal: Principal, map_tokens: MapTokens, maps_client_id: str | None) -> MapTokenPublic:
    del principal  # any active member: the endpoint's authentication is the whole rule
    if not maps_client_id:  # no Azure Maps account (the local stack): the portal draws its offline base map
        raise NotFound()
    token = map_tokens.current()
    return MapTokenPublic(access_token=token.access_token, expires_on=token.expires_on, client_id=maps_client_id)
