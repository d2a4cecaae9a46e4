import azure.functions as func

from core.domain.accounts import AccountCreate, MePublic, MeUpdate, RegistrationResult
from core.services import accounts
from functions._http import Auth, Call, endpoint

bp = func.Blueprint()


@endpoint(bp, "POST", "accounts", auth=Auth.IDENTITY, body=AccountCreate, response=RegistrationResult, status=201,
          extra_statuses=(409,),
          summary="Register an account with the caller as its Account Owner", tag="accounts")
def register_account(call: Call) -> RegistrationResult:
    d = call.deps
    return accounts.register_account(identity=call.identity, data=call.body, accounts=d.accounts, users=d.users,
                                     events=d.account_events, clock=d.clock,
                                     minimum_age=d.settings.minimum_age_years, verification=d.email_verification)


@endpoint(bp, "GET", "me", auth=Auth.PRINCIPAL, response=MePublic, summary="My personal information", tag="me")
def get_me(call: Call) -> MePublic:
    return accounts.get_me(principal=call.principal, accounts=call.deps.accounts, profiles=call.deps.email_profiles)


@endpoint(bp, "PATCH", "me", auth=Auth.PRINCIPAL, body=MeUpdate, response=MePublic,
          summary="Change my personal information (a new e-mail address waits for its verification link)", tag="me")
def update_me(call: Call) -> MePublic:
    return accounts.update_me(principal=call.principal, changes=call.body, accounts=call.deps.accounts,
                              clock=call.deps.clock, verification=call.deps.email_verification)
