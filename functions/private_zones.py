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
from core.services.use_cases.private_zones import PrivateZoneUseCases
from functions._http import Auth, Call, endpoint, use_cases

bp = func.Blueprint()
private_zones = use_cases(PrivateZoneUseCases)


@endpoint(
    bp,
    "GET",
    "me/private-zones",
    auth=Auth.PRINCIPAL,
    response=PrivateZoneList,
    tag="tracking",
    summary="My private zones in force (centre and radius; only I see where)",
)
def list_my_private_zones(call: Call) -> PrivateZoneList:
    return private_zones().mine(principal=call.principal)


@endpoint(
    bp,
    "POST",
    "me/private-zones",
    auth=Auth.PRINCIPAL,
    body=PrivateZoneIn,
    response=PrivateZonePublic,
    status=201,
    extra_statuses=(409,),
    tag="tracking",
    summary="Add a private zone (radius 100 m to 1 km, at most 5): no position inside it is stored from now on",
)
def add_my_private_zone(call: Call) -> PrivateZonePublic:
    return private_zones().add(principal=call.principal, data=call.body)


@endpoint(
    bp,
    "DELETE",
    "me/private-zones/{zoneId}",
    auth=Auth.PRINCIPAL,
    status=204,
    tag="tracking",
    summary="Remove a private zone from now on (pings taken while it was in force stay withheld)",
)
def remove_my_private_zone(call: Call) -> None:
    private_zones().remove(principal=call.principal, zone_id=call.route["zoneId"])


@endpoint(
    bp,
    "POST",
    "me/private-zones/{zoneId}/apply-to-history",
    auth=Auth.PRINCIPAL,
    body=ApplyToHistoryIn,
    response=HistoryAppliedPublic,
    extra_statuses=(409,),
    tag="tracking",
    summary="Apply a private zone to stored history (irreversible): stored positions inside it are removed",
)
def apply_my_private_zone_to_history(call: Call) -> HistoryAppliedPublic:
    return private_zones().apply_to_history(principal=call.principal, zone_id=call.route["zoneId"], data=call.body)


@endpoint(
    bp,
    "GET",
    "accounts/{accountId}/members/{userId}/private-zones",
    auth=Auth.PRINCIPAL,
    response=PrivateZoneCount,
    tag="tracking",
    summary="How many private zones a member has in force (owner, or the member); never where",
)
def count_member_private_zones(call: Call) -> PrivateZoneCount:
    return private_zones().count_of_member(
        principal=call.principal, account_id=call.route["accountId"], user_id=call.route["userId"]
    )
