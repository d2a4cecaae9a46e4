"""Privacy and retention: retention settings, legal holds, account closure, data-subject requests, the daily purge
and the data-request queue. See docs/privacy-and-retention.md."""

import logging

import azure.functions as func

from core.domain.expiry import TtlRestampMessage
from core.domain.privacy import (
    AdminAccountView,
    ClosurePublic,
    ClosureRequest,
    ClosureTerms,
    DataRequestCreate,
    DataRequestList,
    DataRequestMessage,
    DataRequestPublic,
    HeldData,
    LegalHoldCreate,
    LegalHoldList,
    LegalHoldPublic,
    PurgeRunList,
    RetentionPublic,
    RetentionUpdate,
)
from core.domain.rate_limits import DATA_REQUESTS
from core.services.use_cases.privacy import PrivacyUseCases
from core.services.use_cases.retention import RetentionUseCases
from functions._http import Auth, Call, endpoint, use_cases

bp = func.Blueprint()
privacy = use_cases(PrivacyUseCases)
retention = use_cases(RetentionUseCases)
log = logging.getLogger(__name__)
HOST_MAX_DEQUEUE_COUNT = 5  # host.json extensions.queues.maxDequeueCount


@endpoint(
    bp,
    "GET",
    "accounts/{accountId}/retention",
    auth=Auth.PRINCIPAL,
    response=RetentionPublic,
    summary="The account's retention settings and the platform limits",
    tag="privacy",
)
def get_retention(call: Call) -> RetentionPublic:
    return retention().settings(principal=call.principal, account_id=call.route["accountId"])


@endpoint(
    bp,
    "PUT",
    "accounts/{accountId}/retention",
    auth=Auth.PRINCIPAL,
    body=RetentionUpdate,
    response=RetentionPublic,
    summary="Change the account's retention settings (owner)",
    tag="privacy",
)
def update_retention(call: Call) -> RetentionPublic:
    return retention().update(principal=call.principal, account_id=call.route["accountId"], changes=call.body)


@endpoint(
    bp,
    "GET",
    "accounts/{accountId}/closure",
    auth=Auth.PRINCIPAL,
    response=ClosureTerms,
    summary="What closing the account would end, and what the law keeps and for how long (owner; read-only)",
    tag="privacy",
)
def get_closure_terms(call: Call) -> ClosureTerms:
    return privacy().closure_terms(principal=call.principal, account_id=call.route["accountId"])


@endpoint(
    bp,
    "POST",
    "accounts/{accountId}/closure",
    auth=Auth.PRINCIPAL,
    body=ClosureRequest,
    response=ClosurePublic,
    extra_statuses=(409,),
    summary="Close the account: first call answers a confirmation phrase, the second (with it) closes (owner)",
    tag="privacy",
)
def close_account(call: Call) -> ClosurePublic:
    return privacy().close_account(principal=call.principal, account_id=call.route["accountId"], data=call.body)


@endpoint(
    bp,
    "POST",
    "me/data-requests",
    auth=Auth.FORMER_OR_PRINCIPAL,
    body=DataRequestCreate,
    response=DataRequestPublic,
    status=202,
    summary="Ask for access (export), erasure, rectification or the California disclosure (after leaving an account:"
    " export and erasure)",
    tag="privacy",
    limits=(DATA_REQUESTS,),
)
def create_data_request(call: Call) -> DataRequestPublic:
    return privacy().create_request(principal=call.subject, data=call.body)


@endpoint(
    bp,
    "GET",
    "me/data-requests",
    auth=Auth.FORMER_OR_PRINCIPAL,
    response=DataRequestList,
    summary="My data-subject requests with status and due date",
    tag="privacy",
)
def list_data_requests(call: Call) -> DataRequestList:
    return privacy().my_requests(principal=call.subject)


@endpoint(
    bp,
    "GET",
    "me/data-requests/{requestId}",
    auth=Auth.FORMER_OR_PRINCIPAL,
    response=DataRequestPublic,
    summary="One of my data-subject requests",
    tag="privacy",
)
def get_data_request(call: Call) -> DataRequestPublic:
    return privacy().my_request(principal=call.subject, request_id=call.route["requestId"])


@endpoint(
    bp,
    "GET",
    "me/held-data",
    auth=Auth.FORMER_OR_PRINCIPAL,
    response=HeldData,
    summary="What is still held about me, per kind, with counts and how long it is kept (also after leaving)",
    tag="privacy",
)
def get_held_data(call: Call) -> HeldData:
    return privacy().held_data(principal=call.subject)


@endpoint(
    bp,
    "POST",
    "platform/legal-holds",
    auth=Auth.ADMIN,
    body=LegalHoldCreate,
    response=LegalHoldPublic,
    status=201,
    summary="Place a legal hold on an account or one member (platform admin)",
    tag="privacy",
)
def place_legal_hold(call: Call) -> LegalHoldPublic:
    return retention().place_hold(identity=call.identity, data=call.body)


@endpoint(
    bp,
    "GET",
    "platform/accounts/{accountId}/legal-holds",
    auth=Auth.ADMIN,
    response=LegalHoldList,
    summary="An account's legal holds (platform admin)",
    tag="privacy",
)
def list_legal_holds(call: Call) -> LegalHoldList:
    return retention().holds(account_id=call.route["accountId"])


@endpoint(
    bp,
    "DELETE",
    "platform/accounts/{accountId}/legal-holds/{holdId}",
    auth=Auth.ADMIN,
    response=LegalHoldPublic,
    summary="Lift a legal hold (platform admin)",
    tag="privacy",
)
def lift_legal_hold(call: Call) -> LegalHoldPublic:
    return retention().lift_hold(
        identity=call.identity, account_id=call.route["accountId"], hold_id=call.route["holdId"]
    )


@endpoint(
    bp,
    "GET",
    "platform/accounts/{accountId}/privacy",
    auth=Auth.ADMIN,
    response=AdminAccountView,
    summary="Read an account, also a closed one within its retention window, for a dispute (platform admin)",
    tag="privacy",
)
def admin_view_account(call: Call) -> AdminAccountView:
    return privacy().admin_view_account(identity=call.identity, account_id=call.route["accountId"])


@endpoint(
    bp,
    "GET",
    "platform/purge-runs",
    auth=Auth.ADMIN,
    response=PurgeRunList,
    summary="The latest purge runs with counts per kind of data (platform admin)",
    tag="privacy",
)
def list_purge_runs(call: Call) -> PurgeRunList:
    return retention().purge_runs()


@bp.timer_trigger(arg_name="timer", schedule="0 30 2 * * *", run_on_startup=False)
def purge_expired_data(timer: func.TimerRequest) -> None:
    retention().daily_purge()


@bp.queue_trigger(arg_name="msg", queue_name="%QUEUE_DATA_REQUESTS%", connection="AzureWebJobsStorage")
def process_data_request(msg: func.QueueMessage) -> None:
    body = msg.get_body()
    if b'"restamp"' in body:  # a step of a ttl re-stamp job shares the queue (core/services/expiry.py)
        retention().restamp_step(message=TtlRestampMessage.model_validate_json(body))
        return
    message = DataRequestMessage.model_validate_json(body)
    privacy().handle_request_message(
        message=message, attempt=msg.dequeue_count or 1, max_attempts=HOST_MAX_DEQUEUE_COUNT
    )
