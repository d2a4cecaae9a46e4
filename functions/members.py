import logging

import azure.functions as func

from core.domain.accounts import (
    AccountEvent,
    InvitationAccept,
    InvitationCreate,
    InvitationList,
    InvitationPreview,
    InvitationPublic,
    MemberList,
    MemberPublic,
)
from core.domain.member_rows import MemberOverview, MemberOverviewQuery
from core.domain.privacy import MembershipEnded
from core.domain.rate_limits import INVITATION_LINKS, INVITATIONS
from core.services.use_cases.members import MemberUseCases
from functions._http import Auth, Call, endpoint, paged_response, use_cases

bp = func.Blueprint()
members = use_cases(MemberUseCases)
log = logging.getLogger(__name__)


@endpoint(
    bp,
    "POST",
    "accounts/{accountId}/invitations",
    auth=Auth.PRINCIPAL,
    body=InvitationCreate,
    response=InvitationPublic,
    status=201,
    summary="Invite a member by e-mail (owner)",
    tag="members",
    limits=(INVITATIONS,),
)
def invite_member(call: Call) -> InvitationPublic:
    return members().invite(principal=call.principal, account_id=call.route["accountId"], data=call.body)


@endpoint(
    bp,
    "GET",
    "invitations/{token}",
    auth=Auth.NONE,
    response=InvitationPreview,
    extra_statuses=(410,),
    summary="What the e-mailed invitation link opens: the company, who invites, what joining means under the policy "
    "in force, and how to accept (410 invitation-expired, invitation-revoked, invitation-used)",
    tag="members",
    limits=(INVITATION_LINKS,),
)
def preview_invitation(call: Call) -> InvitationPreview:
    return members().preview_invitation(token=call.route["token"])


@endpoint(
    bp,
    "GET",
    "accounts/{accountId}/invitations",
    auth=Auth.PRINCIPAL,
    response=InvitationList,
    summary="List the account's pending invitations (owner)",
    tag="members",
)
def list_invitations(call: Call) -> InvitationList:
    return members().pending_invitations(principal=call.principal, account_id=call.route["accountId"])


@endpoint(
    bp,
    "DELETE",
    "accounts/{accountId}/invitations/{invitationId}",
    auth=Auth.PRINCIPAL,
    status=204,
    summary="Revoke a pending invitation; its link stops working (owner)",
    tag="members",
)
def revoke_invitation(call: Call) -> None:
    members().revoke_invitation(
        principal=call.principal, account_id=call.route["accountId"], invitation_id=call.route["invitationId"]
    )


@endpoint(
    bp,
    "POST",
    "invitations/{token}/accept",
    auth=Auth.IDENTITY,
    body=InvitationAccept,
    response=MemberPublic,
    status=201,
    extra_statuses=(409, 410),
    summary="Join the inviting account as a member (410 invitation-expired, invitation-revoked, invitation-used)",
    tag="members",
    limits=(INVITATION_LINKS,),
)
def accept_invitation(call: Call) -> MemberPublic:
    return members().accept_invitation(identity=call.identity, token=call.route["token"], data=call.body)


@endpoint(
    bp,
    "GET",
    "accounts/{accountId}/members",
    auth=Auth.PRINCIPAL,
    response=MemberList,
    summary="List the account's active members (owner)",
    tag="members",
)
def list_members(call: Call) -> MemberList:
    return members().list_members(principal=call.principal, account_id=call.route["accountId"])


@endpoint(
    bp,
    "GET",
    "accounts/{accountId}/member-overview",
    auth=Auth.PRINCIPAL,
    query=MemberOverviewQuery,
    response=MemberOverview,
    response_headers=(
        (
            "X-Continuation",
            "Present when there is a next page: pass it unchanged as ?continuation= with the same q and sort",
        ),
    ),
    summary="The members page in one request: each active member with last position (age, place), sharing state"
    " and private-zone count; search, sort, paged by the server (owner; logged)",
    tag="members",
)
def member_overview(call: Call) -> func.HttpResponse:
    result = members().overview(principal=call.principal, account_id=call.route["accountId"], query=call.query)
    return paged_response(result, result.continuation)


@endpoint(
    bp,
    "DELETE",
    "accounts/{accountId}/members/{userId}",
    auth=Auth.PRINCIPAL,
    status=204,
    extra_statuses=(409,),
    summary="Remove a member; their access ends at once (owner)",
    tag="members",
)
def remove_member(call: Call) -> None:
    members().remove_member(principal=call.principal, account_id=call.route["accountId"], user_id=call.route["userId"])


@endpoint(
    bp,
    "POST",
    "me/leave",
    auth=Auth.PRINCIPAL,
    response=MembershipEnded,
    extra_statuses=(409,),
    summary="Leave the account: your access ends at once, as after a removal (members; an owner closes instead)",
    tag="members",
)
def leave_account(call: Call) -> MembershipEnded:
    return members().leave(principal=call.principal)


@bp.queue_trigger(arg_name="msg", queue_name="%QUEUE_ACCOUNT_EVENTS%", connection="AzureWebJobsStorage")
def process_account_event(msg: func.QueueMessage) -> None:
    """Unknown or malformed messages raise: the host retries them and then moves them to the poison queue."""
    event = AccountEvent.model_validate_json(msg.get_body())
    new = members().record_account_event(event=event)  # also forwarded to billing's own queue
    log.info("account event %s (%s) recorded, new=%s", event.event_id, event.type.value, new)


@bp.timer_trigger(arg_name="timer", schedule="0 15 3 * * *", run_on_startup=False)
def expire_invitations(timer: func.TimerRequest) -> None:
    changed = members().expire_invitations()
    log.info("expired %d invitations", changed)
