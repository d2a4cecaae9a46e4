import azure.functions as func

from core.services.health import HealthReport
from functions._http import Auth, Call, endpoint, json_response

bp = func.Blueprint()


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
    report = call.use_cases.health.check()
    return json_response(report, 200 if report.status == "ok" else 503)
