"""Photos: upload grants (the app PUTs straight to Blob Storage), completion, verification on the queue, and
reads with short-lived links. See docs/photos-and-notes.md."""

import logging

import azure.functions as func

from core import schema
from core.domain.media import MediaQuery, PhotoCreate, PhotoDetail, PhotoPage, PhotoPublic, PhotoUploadGrant
from core.services.photos import parse_job
from core.services.use_cases.photos import PhotoUseCases
from functions._http import Auth, Call, endpoint, use_cases

bp = func.Blueprint()
photos = use_cases(PhotoUseCases)
log = logging.getLogger(__name__)


@endpoint(
    bp,
    "POST",
    "me/photos",
    auth=Auth.PRINCIPAL,
    body=PhotoCreate,
    response=PhotoUploadGrant,
    status=201,
    summary="Get a short-lived link to upload one photo (camera consent required)",
    tag="photos",
)
def request_photo_upload(call: Call) -> PhotoUploadGrant:
    return photos().request_upload(principal=call.principal, data=call.body)


@endpoint(
    bp,
    "POST",
    "me/photos/{photoId}/complete",
    auth=Auth.PRINCIPAL,
    response=PhotoPublic,
    status=202,
    extra_statuses=(409,),
    summary="Tell the service the upload finished; verification runs on a queue",
    tag="photos",
)
def complete_photo_upload(call: Call) -> PhotoPublic:
    return photos().complete_upload(principal=call.principal, photo_id=call.route["photoId"])


@endpoint(
    bp,
    "GET",
    "accounts/{accountId}/photos",
    auth=Auth.PRINCIPAL,
    query=MediaQuery,
    response=PhotoPage,
    summary="Photos with metadata, newest capture first (owner: all workers; member: their own)",
    tag="photos",
)
def list_photos(call: Call) -> PhotoPage:
    return photos().list_photos(principal=call.principal, account_id=call.route["accountId"], query=call.query)


@endpoint(
    bp,
    "GET",
    "accounts/{accountId}/photos/{photoId}",
    auth=Auth.PRINCIPAL,
    response=PhotoDetail,
    summary="One photo's metadata and 5-minute read-only links to its thumbnail and display copy",
    tag="photos",
)
def get_photo(call: Call) -> PhotoDetail:
    return photos().photo(principal=call.principal, account_id=call.route["accountId"], photo_id=call.route["photoId"])


@bp.queue_trigger(arg_name="msg", queue_name="%QUEUE_PHOTO_UPLOADS%", connection="AzureWebJobsStorage")
def process_photo_upload(msg: func.QueueMessage) -> None:
    """Our /complete message or an Event Grid BlobCreated event. Storage or database failures raise: the host
    retries, then moves the message to the poison queue."""
    job = parse_job(msg.get_body(), quarantine_container=schema.PHOTO_QUARANTINE_BLOB_CONTAINER)
    if job is None:
        log.info("photo-upload message %s is not about a quarantine upload; ignored", msg.id)
        return
    outcome = photos().process(job=job)
    log.info("photo %s processed: %s", job.photo_id, outcome)


@bp.queue_trigger(arg_name="msg", queue_name="%QUEUE_PHOTO_UPLOADS%-poison", connection="AzureWebJobsStorage")
def settle_failed_photo_upload(msg: func.QueueMessage) -> None:
    """A processing message the host gave up on (maxDequeueCount failures): its photo is rejected with the reason
    `processing-failed` instead of staying pending. Storage failures raise (retried, then `...-poison-poison`)."""
    job = parse_job(msg.get_body(), quarantine_container=schema.PHOTO_QUARANTINE_BLOB_CONTAINER)
    if job is None:
        log.info("poisoned photo-upload message %s is not about a quarantine upload; dropped", msg.id)
        return
    outcome = photos().settle_failed(job=job)
    log.info("photo %s after failed processing: %s", job.photo_id, outcome)
