"""Location tracking: tracking schedule, ping ingest, the queue-triggered pings writer, tracks and latest positions.
See docs/tracking.md."""

import logging

import azure.functions as func

from core.domain.rate_limits import INGEST_PER_MEMBER
from core.domain.tracking import (
    IngestResult,
    LatestPositionList,
    PingBatch,
    TrackDocument,
    TrackingSchedulePublic,
    TrackingScheduleUpdate,
    TrackQuery,
)
from core.domain.tracking_formats import GEOJSON_MEDIA_TYPE, GPX_MEDIA_TYPE, decode_ping_message
from core.domain.tracking_preview import TrackingPreview, TrackingPreviewRequest
from core.services.use_cases.tracking import TrackingUseCases
from functions._http import Auth, Call, endpoint, use_cases

bp = func.Blueprint()
tracking = use_cases(TrackingUseCases)
log = logging.getLogger(__name__)
TRACK_TYPES = (GEOJSON_MEDIA_TYPE, GPX_MEDIA_TYPE)
TRACK_HEADERS = (
    (
        "X-Continuation",
        "Present when there is a next page: pass it unchanged as ?continuation= with the"
        " same query (opaque and signed; any other value is a 422)",
    ),
)


def _track_response(doc: TrackDocument) -> func.HttpResponse:
    headers = {"Content-Type": doc.media_type, "Cache-Control": "no-store"}
    if doc.continuation:
        headers["X-Continuation"] = doc.continuation
    return func.HttpResponse(body=doc.body, status_code=200, headers=headers)


@endpoint(
    bp,
    "PUT",
    "me/tracking-schedule",
    auth=Auth.PRINCIPAL,
    body=TrackingScheduleUpdate,
    response=TrackingSchedulePublic,
    summary="Set my tracking windows (IANA time zone)",
    tag="tracking",
)
def put_tracking_schedule(call: Call) -> TrackingSchedulePublic:
    return tracking().put_schedule(principal=call.principal, data=call.body)


@endpoint(
    bp,
    "GET",
    "me/tracking-schedule",
    auth=Auth.PRINCIPAL,
    response=TrackingSchedulePublic,
    summary="My tracking windows (restricted=false: whenever location access is granted)",
    tag="tracking",
)
def get_tracking_schedule(call: Call) -> TrackingSchedulePublic:
    return tracking().schedule(principal=call.principal)


@endpoint(
    bp,
    "DELETE",
    "me/tracking-schedule",
    auth=Auth.PRINCIPAL,
    status=204,
    summary="Remove my tracking windows",
    tag="tracking",
)
def delete_tracking_schedule(call: Call) -> None:
    tracking().delete_schedule(principal=call.principal)


@endpoint(
    bp,
    "POST",
    "me/tracking-schedule/preview",
    auth=Auth.PRINCIPAL,
    body=TrackingPreviewRequest,
    response=TrackingPreview,
    status=200,
    summary="Lay windows (saved or not) on the coming days in real time, clock changes included; stores nothing",
    tag="tracking",
)
def preview_tracking_schedule(call: Call) -> TrackingPreview:
    return tracking().preview(data=call.body)


@endpoint(
    bp,
    "POST",
    "me/locations",
    auth=Auth.PRINCIPAL,
    body=PingBatch,
    response=IngestResult,
    status=202,
    summary="Send 1 to 1,000 location pings; answers what was accepted, rejected, dropped",
    tag="tracking",
    limits=(INGEST_PER_MEMBER,),
)
def ingest_locations(call: Call) -> IngestResult:
    return tracking().ingest(principal=call.principal, batch=call.body)


@endpoint(
    bp,
    "GET",
    "me/track",
    auth=Auth.PRINCIPAL,
    query=TrackQuery,
    produces=TRACK_TYPES,
    response_headers=TRACK_HEADERS,
    summary="My track as GeoJSON or GPX 1.1 (paged: X-Continuation)",
    tag="tracking",
)
def get_my_track(call: Call) -> func.HttpResponse:
    return _track_response(tracking().my_track(principal=call.principal, query=call.query))


@endpoint(
    bp,
    "GET",
    "accounts/{accountId}/members/{userId}/track",
    auth=Auth.PRINCIPAL,
    query=TrackQuery,
    produces=TRACK_TYPES,
    response_headers=TRACK_HEADERS,
    summary="A member's track as GeoJSON or GPX 1.1 (owner; logged)",
    tag="tracking",
)
def get_member_track(call: Call) -> func.HttpResponse:
    return _track_response(
        tracking().member_track(
            principal=call.principal, account_id=call.route["accountId"], user_id=call.route["userId"], query=call.query
        )
    )


@endpoint(
    bp,
    "GET",
    "accounts/{accountId}/locations/latest",
    auth=Auth.PRINCIPAL,
    response=LatestPositionList,
    extra_statuses=(304,),
    response_headers=(
        (
            "ETag",
            "Changes only with a new position or member: send it back as If-None-Match to get 304 while nothing moved"
            " (the 304 costs one point read and is not logged again)",
        ),
    ),
    summary="Latest position of every member, with age (owner; logged)",
    tag="tracking",
)
def get_latest_positions(call: Call) -> func.HttpResponse:
    answer = tracking().latest_positions(
        principal=call.principal,
        account_id=call.route["accountId"],
        if_none_match=call.req.headers.get("if-none-match"),
    )
    headers = {"ETag": answer.etag, "Cache-Control": "no-cache"}
    if answer.positions is None:
        return func.HttpResponse(status_code=304, headers=headers)
    return func.HttpResponse(
        body=answer.positions.model_dump_json(by_alias=True),
        status_code=200,
        headers={**headers, "Content-Type": "application/json"},
    )


@bp.queue_trigger(arg_name="msg", queue_name="%QUEUE_LOCATION_PINGS%", connection="AzureWebJobsStorage")
def write_pings(msg: func.QueueMessage) -> None:
    """Malformed messages and storage failures raise: the host retries, then moves the message to the poison
    queue (replay with `make replay-poison QUEUE=location-pings`). The messages of one delivery batch are written
    together: this returns once a write holding this message's pings succeeded (core/services/ping_writer.py)."""
    tracking().writer.write(decode_ping_message(msg.get_body()))
