"""Privacy policy versions: public reading, posting (platform admin), acknowledgements and the daily notice timer.
See docs/email-and-policy.md."""

import logging

import azure.functions as func

from core.domain.policy import (
    PolicyAcknowledgementCreate,
    PolicyAcknowledgementPublic,
    PolicyNow,
    PolicyVersionCreate,
    PolicyVersionList,
    PolicyVersionPublic,
)
from core.services.use_cases.policy import PolicyUseCases
from functions._http import Auth, Call, endpoint, use_cases

bp = func.Blueprint()
policy = use_cases(PolicyUseCases)
log = logging.getLogger(__name__)


@endpoint(
    bp,
    "GET",
    "policy",
    auth=Auth.NONE,
    response=PolicyNow,
    summary="The privacy policy in force now, and the next version with its effective date",
    tag="policy",
)
def get_policy(call: Call) -> PolicyNow:
    return policy().now()


@endpoint(
    bp,
    "GET",
    "policy/versions",
    auth=Auth.NONE,
    response=PolicyVersionList,
    summary="Every posted version of the privacy policy, newest first",
    tag="policy",
)
def list_policy_versions(call: Call) -> PolicyVersionList:
    return policy().versions()


@endpoint(
    bp,
    "GET",
    "policy/versions/{versionId}",
    auth=Auth.NONE,
    response=PolicyVersionPublic,
    summary="One version of the privacy policy (Markdown)",
    tag="policy",
)
def get_policy_version(call: Call) -> PolicyVersionPublic:
    return policy().version(version_id=call.route["versionId"])


@endpoint(
    bp,
    "POST",
    "admin/policy/versions",
    auth=Auth.ADMIN,
    body=PolicyVersionCreate,
    response=PolicyVersionPublic,
    status=201,
    extra_statuses=(409,),
    summary="Post a new policy version; it takes effect 30 days later at the soonest (platform admin)",
    tag="policy",
)
def post_policy_version(call: Call) -> PolicyVersionPublic:
    return policy().post_version(identity=call.identity, data=call.body)


@endpoint(
    bp,
    "POST",
    "me/policy-acknowledgements",
    auth=Auth.PRINCIPAL,
    body=PolicyAcknowledgementCreate,
    response=PolicyAcknowledgementPublic,
    status=201,
    summary="Record that I saw a policy version in an app",
    tag="policy",
)
def acknowledge_policy(call: Call) -> PolicyAcknowledgementPublic:
    return policy().acknowledge(principal=call.principal, data=call.body)


@bp.timer_trigger(arg_name="timer", schedule="0 0 7 * * *", run_on_startup=False)
def send_policy_notices(timer: func.TimerRequest) -> None:
    """Daily: one notice per (user, version); repeated or overlapping runs never send a second one."""
    written = policy().send_notices()
    log.info("policy notices queued: %d", written)
