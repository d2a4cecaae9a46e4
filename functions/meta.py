import json

import azure.functions as func

from core.domain.errors import NotFound
from functions import _cors
from functions._http import Auth, Call, endpoint, problem_for
from functions._openapi import build_openapi

bp = func.Blueprint()


@endpoint(bp, "GET", "openapi.json", auth=Auth.NONE, summary="This API's OpenAPI 3.1 document", tag="ops")
def openapi_document(call: Call) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(build_openapi()), mimetype="application/json")


@bp.route(route="{*path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], auth_level=func.AuthLevel.ANONYMOUS)
def unknown_route(req: func.HttpRequest) -> func.HttpResponse:
    """Lowest-precedence route: anything no other function matched gets the same problem shape."""
    return _cors.apply(req, problem_for(NotFound()))


@bp.route(route="{*path}", methods=["OPTIONS"], auth_level=func.AuthLevel.ANONYMOUS)
def cors_preflight(req: func.HttpRequest) -> func.HttpResponse:
    """The browser's CORS preflight on any route (functions/_cors.py; issue 15)."""
    return _cors.preflight(req)
