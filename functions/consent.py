"""Consent: the worker's grants and revocations (append-only ledger) and the access log of reads of their data.
See docs/tracking.md."""

import azure.functions as func

from core.domain.consent import ConsentsPublic, ConsentStatePublic, ConsentUpdate
from core.domain.tracking import AccessLogPage, AccessLogQuery
from core.services.use_cases.consent import ConsentUseCases
from functions._http import Auth, Call, endpoint, use_cases

bp = func.Blueprint()
consent = use_cases(ConsentUseCases)


@endpoint(
    bp,
    "PUT",
    "me/consents/{capability}",
    auth=Auth.PRINCIPAL,
    body=ConsentUpdate,
    response=ConsentStatePublic,
    summary="Grant or revoke location or camera access (appended to the ledger)",
    tag="consent",
)
def set_consent(call: Call) -> ConsentStatePublic:
    return consent().set_consent(principal=call.principal, capability=call.route["capability"], data=call.body)


@endpoint(
    bp,
    "GET",
    "me/consents",
    auth=Auth.PRINCIPAL,
    response=ConsentsPublic,
    summary="My current consent state and the full ledger history",
    tag="consent",
)
def get_consents(call: Call) -> ConsentsPublic:
    return consent().consents(principal=call.principal)


@endpoint(
    bp,
    "GET",
    "me/access-log",
    auth=Auth.PRINCIPAL,
    query=AccessLogQuery,
    response=AccessLogPage,
    summary="Who viewed my location, photos and notes, newest first",
    tag="consent",
)
def get_access_log(call: Call) -> AccessLogPage:
    return consent().my_access_log(
        principal=call.principal, continuation=call.query.continuation, limit=call.query.limit
    )
