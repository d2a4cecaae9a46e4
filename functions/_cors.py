"""Cross-origin access for the owner portal (issue 15): the one place that decides CORS, on every host.

The portal is a static site on another origin that calls this API with a bearer token (no cookies), so a browser
asks first (an OPTIONS preflight) and then reads the answer only if it names the portal's origin. The allowed
origins are one setting, `PORTAL_ORIGINS` (comma-separated, exact scheme://host[:port]). Every HTTP trigger's answer
passes through `apply` (functions/_http.py) and the preflight is answered by `preflight` (functions/meta.py), so
the local host and the real one behave alike; the platform's own CORS list must stay empty in Azure, or it would
answer preflights before this code runs.
"""

from __future__ import annotations

from functools import lru_cache

import azure.functions as func

from core.settings import get_settings

ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE"
ALLOWED_HEADERS = "Authorization, Content-Type, If-None-Match, If-Match"
# Every response header the portal reads: the latest-positions ETag, track paging, the 503 back-off.
EXPOSED_HEADERS = "ETag, X-Continuation, Retry-After, Location"
PREFLIGHT_MAX_AGE_SECONDS = 600


@lru_cache(maxsize=8)
def _parse(raw: str) -> frozenset[str]:
    return frozenset(o.strip().rstrip("/").lower() for o in raw.split(",") if o.strip())


def allowed_origins() -> frozenset[str]:
    settings = get_settings()
    return _parse(settings.portal_origins)


def _allowed(origin: str | None) -> str | None:
    if not origin:
        return None
    return origin if origin.rstrip("/").lower() in allowed_origins() else None


def apply(req: func.HttpRequest, response: func.HttpResponse) -> func.HttpResponse:
    """Mark an answer readable by an allowed portal origin; any other origin's browser cannot read it."""
    response.headers["Vary"] = "Origin"
    origin = _allowed(req.headers.get("origin"))
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response


def preflight(req: func.HttpRequest) -> func.HttpResponse:
    """OPTIONS on any route: 204 with the permissions for an allowed origin, 204 without them for any other."""
    response = func.HttpResponse(
        status_code=204, headers={"Allow": "OPTIONS, " + ALLOWED_METHODS, "Cache-Control": "no-store"}
    )
    response = apply(req, response)
    if "Access-Control-Allow-Origin" in response.headers:
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE_SECONDS)
    return response
