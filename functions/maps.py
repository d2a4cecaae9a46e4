"""The portal's base map in Azure: a short-lived Azure Maps token for a signed-in member's browser (docs/portal.md).
The caller's token is checked first; then 404 where no Azure Maps account is configured (the local stack)."""

import azure.functions as func

from core.domain.maps import MapTokenPublic
from core.services.use_cases.maps import MapUseCases
from functions._http import Auth, Call, endpoint, use_cases

bp = func.Blueprint()
maps = use_cases(MapUseCases)


@endpoint(
    bp,
    "GET",
    "maps/token",
    auth=Auth.PRINCIPAL,
    response=MapTokenPublic,
    extra_statuses=(404,),
    summary="A short-lived Azure Maps token for the portal's base map (Microsoft Entra ID, no key)",
    tag="maps",
)
def map_token(call: Call) -> MapTokenPublic:
    return maps().token(principal=call.principal)
