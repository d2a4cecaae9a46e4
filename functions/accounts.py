import azure.functions as func

from core.domain.accounts import AccountCreate, AccountPublic, AccountUpdate, MePublic, MeUpdate, RegistrationResult
from core.domain.rate_limits import EMAIL_CHANGES, SIGN_UP_PER_IDENTITY, SIGN_UP_PER_NETWORK
from core.services.use_cases.accounts import AccountUseCases
from functions._http import Auth, Call, endpoint, use_cases

bp = func.Blueprint()
accounts = use_cases(AccountUseCases)


@endpoint(
    bp,
    "POST",
    "accounts",
    auth=Auth.IDENTITY,
    body=AccountCreate,
    response=RegistrationResult,
    status=201,
    extra_statuses=(409,),
    summary="Register an account with the caller as its Account Owner",
    tag="accounts",
    limits=(SIGN_UP_PER_NETWORK, SIGN_UP_PER_IDENTITY),
)
def register_account(call: Call) -> RegistrationResult:
    return accounts().register(identity=call.identity, data=call.body)


@endpoint(bp, "GET", "me", auth=Auth.PRINCIPAL, response=MePublic, summary="My personal information", tag="me")
def get_me(call: Call) -> MePublic:
    return accounts().me(principal=call.principal)


@endpoint(
    bp,
    "PATCH",
    "me",
    auth=Auth.PRINCIPAL,
    body=MeUpdate,
    response=MePublic,
    summary="Change my personal information (a new e-mail address waits for its verification link)",
    tag="me",
    limits=(EMAIL_CHANGES,),
)
def update_me(call: Call) -> MePublic:
    return accounts().update_me(principal=call.principal, changes=call.body)


@endpoint(
    bp,
    "PATCH",
    "accounts/{accountId}",
    auth=Auth.PRINCIPAL,
    body=AccountUpdate,
    response=AccountPublic,
    summary="Change the account's settings (Account Owner): the units every member's portal writes distances in",
    tag="accounts",
)
def update_account(call: Call) -> AccountPublic:
    return accounts().update_account(principal=call.principal, account_id=call.route["accountId"], changes=call.body)
