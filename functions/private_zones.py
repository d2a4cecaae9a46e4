"""Private zones (issue 20): the worker's own zones; the owner sees only how many. See docs/private-zones.md."""

import azure.functions as func

from core.domain.private_zones import (
    ApplyToHistoryIn,
    HistoryAppliedPublic,
    PrivateZoneCount,
    PrivateZoneIn,
    PrivateZoneList,
    PrivateZonePublic,
)
from core.services import private_zones
from functions._http import Auth, Call, endpoint

bp = func.Blueprint()


@endpoint(bp, "GET", "me/private-zones", auth=Auth.PRINCIPAL, response=PrivateZoneList, tag="tracking",
          summary="My private zones in force (centre and radius; only I see where)")
def list_my_private_zones(call: Call) -> PrivateZoneList:
    return private_zones.list_zones(principal=call.principal, zones=call.deps.private_zones)


@endpoint(bp, "POST", "me/private-zones", auth=Auth.PRINCIPAL, body=PrivateZoneIn, response=PrivateZonePublic,
          status=201, extra_statuses=(409,), tag="tracking",
          summary="Add a private zone (radius 100 m to 1 km, at most 5): no position inside it is stored from now on")
def add_my_private_zone(call: Call) -> PrivateZonePublic:
    d = call.deps
    return private_zones.add_zone(principal=call.principal, data=call.body, zones=d.private_zones, clock=d.clock)


@endpoint(bp, "DELETE", "me/private-zones/{zoneId}", auth=Auth.PRINCIPAL, status=204, tag="tracking",
          summary="Remove a private zone from now on (pings taken while it was in force stay withheld)")
def remove_my_private_zone(call: Call) -> None:
    d = call.deps
    private_zones.remove_zone(principal=call.principal, zone_id=call.route["zoneId"], zones=d.private_zones,
                              clock=d.clock)


@endpoint(bp, "POST", "me/private-zones/{zoneId}/apply-to-history", auth=Auth.PRINCIPAL, body=ApplyToHistoryIn,
          response=HistoryAppliedPublic, extra_statuses=(409,), tag="tracking",
          summary="Apply a private zone to stored history (irreversible): stored positions inside it are removed")
def apply_my_private_zone_to_history(call: Call) -> HistoryAppliedPublic:
    d = call.deps
    return private_zones.apply_to_history(principal=call.principal, zone_id=call.route["zoneId"], data=call.body,
                                          zones=d.private_zones, pings=d.pings, positions=d.latest_positions,
                                          withheld=d.withheld_pings, media=d.media, clock=d.clock,
                                          accounts=d.accounts, privacy=d.privacy, retention=d.retention_policy,
                                          blobs=d.photo_blobs)


@endpoint(bp, "GET", "accounts/{accountId}/members/{userId}/private-zones", auth=Auth.PRINCIPAL,
          response=PrivateZoneCount, tag="tracking",
          summary="How many private zones a member has in force (owner, or the member); never where")
def count_member_private_zones(call: Call) -> PrivateZoneCount:
    d = call.deps
    return private_zones.count_member_zones(principal=call.principal, account_id=call.route["accountId"],
                                            user_id=call.route["userId"], accounts=d.accounts, zones=d.private_zones)
