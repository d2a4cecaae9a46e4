import azure.functions as func

from core.services.health import HealthReport
from core.services.use_cases.health import HealthUseCases
from functions._http import Auth, Call, endpoint, json_response, use_cases

bp = func.Blueprint()
checks = use_cases(HealthUseCases)


@endpoint(
    bp,
    "GET",
    "health",
    auth=Auth.NONE,
    summary="Status of the app and its dependencies",
    tag="ops",
    response=HealthReport,
    extra_statuses=(503,),
)
def health(call: Call) -> func.HttpResponse:
    report = checks().check()
    return json_response(report, 200 if report.status == "ok" else 503)
