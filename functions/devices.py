"""Device tokens and the ingest endpoints of existing tracking apps (OwnTracks, Overland, Traccar Client / OsmAnd,
GPSLogger). See docs/devices.md."""

from __future__ import annotations

import json
import logging
from typing import Any

import azure.functions as func

from core.domain import device_protocols as protocols
from core.domain.accounts import PublicModel
from core.domain.device_protocols import ParsedPings
from core.domain.devices import (
    AccountDeviceList,
    AccountDeviceQuery,
    AppProtocol,
    DeviceCreate,
    DeviceCreated,
    DeviceList,
)
from core.domain.errors import FieldError, ValidationFailed
from core.domain.rate_limits import DEVICE_TOKENS, INGEST_PER_DEVICE
from core.services.devices import DeviceIngest
from core.services.use_cases.devices import DeviceUseCases
from functions._http import PAGE_HEADERS, Auth, Call, endpoint, paged_response, use_cases

bp = func.Blueprint()
devices = use_cases(DeviceUseCases)
log = logging.getLogger(__name__)


class OverlandAnswer(PublicModel):
    result: str = "ok"


# ---------------------------------------------------------------- tokens


@endpoint(
    bp,
    "POST",
    "me/devices",
    auth=Auth.PRINCIPAL,
    body=DeviceCreate,
    response=DeviceCreated,
    status=201,
    extra_statuses=(409,),
    tag="devices",
    summary="Make a device token for an existing tracking app (the token is shown once)",
    limits=(DEVICE_TOKENS,),
)
def create_device(call: Call) -> DeviceCreated:
    return devices().create(principal=call.principal, data=call.body)


@endpoint(
    bp,
    "GET",
    "me/devices",
    auth=Auth.PRINCIPAL,
    response=DeviceList,
    tag="devices",
    summary="My devices: last seen, pings received, stored and dropped by reason",
)
def list_my_devices(call: Call) -> DeviceList:
    return devices().mine(principal=call.principal)


@endpoint(
    bp,
    "DELETE",
    "me/devices/{deviceId}",
    auth=Auth.PRINCIPAL,
    status=204,
    tag="devices",
    summary="Revoke one of my device tokens (effective on its next request)",
)
def revoke_my_device(call: Call) -> None:
    devices().revoke_mine(principal=call.principal, device_id=call.route["deviceId"])


@endpoint(
    bp,
    "GET",
    "accounts/{accountId}/devices",
    auth=Auth.PRINCIPAL,
    query=AccountDeviceQuery,
    response=AccountDeviceList,
    response_headers=PAGE_HEADERS,
    tag="devices",
    summary="The devices of the account's members, with the member's name, last seen, battery and counts by"
    " reason; by device id, paged: X-Continuation (owner)",
)
def list_account_devices(call: Call) -> func.HttpResponse:
    result = devices().of_account(principal=call.principal, account_id=call.route["accountId"], query=call.query)
    return paged_response(result, result.continuation)


@endpoint(
    bp,
    "DELETE",
    "accounts/{accountId}/members/{userId}/devices/{deviceId}",
    auth=Auth.PRINCIPAL,
    status=204,
    tag="devices",
    summary="Revoke a member's device token (owner)",
)
def revoke_member_device(call: Call) -> None:
    devices().revoke_member_device(
        principal=call.principal,
        account_id=call.route["accountId"],
        user_id=call.route["userId"],
        device_id=call.route["deviceId"],
    )


# ---------------------------------------------------------------- app ingest: parsing helpers


def _json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise ValidationFailed(
            "The body is not valid JSON (UTF-8, no NaN or Infinity).", errors=[FieldError("body", "malformed JSON")]
        ) from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)


def _is_json(call: Call) -> bool:
    ctype = (call.req.headers.get("content-type") or "").split(";")[0].strip().lower()
    return ctype == "application/json" or ctype.endswith("+json")


def _params(call: Call, raw: bytes) -> dict[str, str]:
    """Query parameters, plus form fields of a POST body (form fields win)."""
    params = {k: v for k, v in call.req.params.items() if k != "token"}
    params.update({k: v for k, v in protocols.form_fields(raw) if k != "token"})
    return params


def _ingest(call: Call, parsed: ParsedPings, protocol: AppProtocol) -> DeviceIngest:
    return devices().ingest(caller=call.device, parsed=parsed, protocol=protocol)


def _answer(body: str, content_type: str = "application/json") -> func.HttpResponse:
    return func.HttpResponse(
        body=body, status_code=200, headers={"Content-Type": content_type, "Cache-Control": "no-store"}
    )


# ---------------------------------------------------------------- app ingest endpoints


@endpoint(
    bp,
    "POST",
    "ingest/owntracks",
    auth=Auth.DEVICE,
    raw_body=True,
    tag="devices",
    extra_statuses=(413,),
    summary="OwnTracks HTTP mode: one JSON message per POST; answers 200 [] or, when the member's job sites"
    " changed since this device last received them, [setWaypoints cmd] (docs/devices.md)",
    limits=(INGEST_PER_DEVICE,),
)
def ingest_owntracks(call: Call) -> func.HttpResponse:
    parsed = protocols.parse_owntracks(_json(call.raw), call.device.device_id)
    done = _ingest(call, parsed, AppProtocol.OWNTRACKS)
    return _answer(json.dumps(done.commands, separators=(",", ":"), ensure_ascii=False))


@endpoint(
    bp,
    "POST",
    "ingest/overland",
    auth=Auth.DEVICE,
    raw_body=True,
    tag="devices",
    response=OverlandAnswer,
    extra_statuses=(413,),
    summary='Overland: {"locations": [GeoJSON Feature, ...]}; answers {"result": "ok"}',
    limits=(INGEST_PER_DEVICE,),
)
def ingest_overland(call: Call) -> func.HttpResponse:
    parsed = protocols.parse_overland(_json(call.raw), call.device.device_id)
    _ingest(call, parsed, AppProtocol.OVERLAND)
    return _answer(json.dumps({"result": "ok"}))


def _traccar(call: Call) -> func.HttpResponse:
    raw = call.raw
    device_id = call.device.device_id
    if call.req.method == "POST" and _is_json(call):
        parsed = protocols.parse_traccar_json(_json(raw), device_id)
    else:
        parsed = protocols.parse_traccar_params(_params(call, raw), device_id)
    _ingest(call, parsed, AppProtocol.TRACCAR)
    return _answer("", "text/plain")


@endpoint(
    bp,
    "GET",
    "ingest/traccar",
    auth=Auth.DEVICE,
    raw_body=True,
    tag="devices",
    summary="Traccar Client / OsmAnd protocol, query parameters (lat, lon, timestamp, speed in knots, ...)",
    limits=(INGEST_PER_DEVICE,),
)
def ingest_traccar_get(call: Call) -> func.HttpResponse:
    return _traccar(call)


@endpoint(
    bp,
    "POST",
    "ingest/traccar",
    auth=Auth.DEVICE,
    raw_body=True,
    tag="devices",
    extra_statuses=(413,),
    summary="Traccar Client / OsmAnd protocol: form fields, or the JSON body of Traccar Client 9+",
    limits=(INGEST_PER_DEVICE,),
)
def ingest_traccar_post(call: Call) -> func.HttpResponse:
    return _traccar(call)


def _gpslogger(call: Call) -> func.HttpResponse:
    parsed = protocols.parse_gpslogger(_params(call, call.raw), call.device.device_id)
    _ingest(call, parsed, AppProtocol.GPSLOGGER)
    return _answer("", "text/plain")


@endpoint(
    bp,
    "GET",
    "ingest/gpslogger",
    auth=Auth.DEVICE,
    raw_body=True,
    tag="devices",
    summary="GPSLogger custom URL (lat, lon, time, acc, alt, spd, dir, batt, prov)",
    limits=(INGEST_PER_DEVICE,),
)
def ingest_gpslogger_get(call: Call) -> func.HttpResponse:
    return _gpslogger(call)


@endpoint(
    bp,
    "POST",
    "ingest/gpslogger",
    auth=Auth.DEVICE,
    raw_body=True,
    tag="devices",
    extra_statuses=(413,),
    summary="GPSLogger custom URL with the same fields as a form body",
    limits=(INGEST_PER_DEVICE,),
)
def ingest_gpslogger_post(call: Call) -> func.HttpResponse:
    return _gpslogger(call)
