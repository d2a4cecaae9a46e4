"""Builds the OpenAPI 3.1 document from the endpoint registry and the same pydantic models the handlers use."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from core.domain.tracking_formats import GEOJSON_MEDIA_TYPE
from functions._http import ENDPOINTS, Auth, EndpointSpec

_PARAM = re.compile(r"\{\*?([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\??\}")

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}

# Bodies of non-model responses that are still JSON: documented by shape, not as an opaque string.
_MEDIA_SCHEMAS: dict[str, dict[str, Any]] = {
    GEOJSON_MEDIA_TYPE: {
        "type": "object",
        "description": "A GeoJSON FeatureCollection (RFC 7946); `continuation` is a foreign member for the next page.",
        "required": ["type", "features"],
        "properties": {
            "type": {"const": "FeatureCollection"},
            "features": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["type", "geometry", "properties"],
                    "properties": {
                        "type": {"const": "Feature"},
                        "geometry": {"type": "object"},
                        "properties": {"type": "object"},
                    },
                },
            },
            "continuation": {"type": "string"},
        },
    },
}

_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No content",
    302: "Found",
    400: "Bad request",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    410: "Gone",
    413: "Body too large",
    415: "Unsupported media type",
    422: "Validation failed",
    429: "Too many requests",
    503: "Unavailable",
}


def openapi_path(route: str) -> str:
    return "/api/" + _PARAM.sub(lambda m: "{" + m.group(1) + "}", route)


def _problem(status: int) -> dict[str, Any]:
    return {
        "description": _STATUS_TEXT.get(status, "Error"),
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def build_openapi(title: str = "IndusTrack API", version: str = "1.0.0") -> dict[str, Any]:
    specs = [e for e in ENDPOINTS if not e.name.startswith("_")]
    mode_models: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = []
    for e in specs:
        if e.body is not None:
            mode_models.append((e.body, "validation"))
        if e.response is not None:
            mode_models.append((e.response, "serialization"))
    keys, schema = (
        models_json_schema(list(dict.fromkeys(mode_models)), ref_template="#/components/schemas/{model}")
        if mode_models
        else ({}, {})
    )
    components: dict[str, Any] = dict(schema.get("$defs", {}))
    components["Problem"] = PROBLEM_SCHEMA
    paths: dict[str, dict[str, Any]] = {}
    for e in specs:
        paths.setdefault(openapi_path(e.route), {})[e.method.lower()] = _operation(e, keys)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                **DEVICE_SCHEMES,
            },
        },
    }


DEVICE_SCHEMES: dict[str, Any] = {  # device tokens of existing tracking apps (docs/devices.md)
    "deviceBasic": {"type": "http", "scheme": "basic", "description": "user name = device id, password = token"},
    "deviceBearer": {"type": "http", "scheme": "bearer", "description": "a device token (itd_...)"},
    "deviceQuery": {"type": "apiKey", "in": "query", "name": "token", "description": "a device token (itd_...)"},
}


def _not_null(prop: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent or a string, never JSON null: `X | None` models document only the X branch."""
    options = [o for o in prop.get("anyOf", []) if o != {"type": "null"}]
    if len(options) != 1 or len(options) == len(prop.get("anyOf", [])):
        return prop
    out = {k: v for k, v in prop.items() if k != "anyOf" and not (k == "default" and v is None)}
    return {**options[0], **out}


def _operation(e: EndpointSpec, keys: dict[Any, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": e.name, "summary": e.summary, "tags": [e.tag]}
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for name in _PARAM.findall(e.route)
    ]
    if e.query is not None:
        qschema = e.query.model_json_schema(mode="validation")
        required = set(qschema.get("required", []))
        for name, prop in qschema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required, "schema": _not_null(prop)})
    if params:
        op["parameters"] = params
    if e.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": keys[(e.body, "validation")]}},
        }
    responses: dict[str, Any] = {}
    if e.status == 204 or (e.response is None and e.produces == ("application/json",)):
        responses[str(e.status)] = {"description": _STATUS_TEXT.get(e.status, "OK")}
    elif e.response is not None:
        responses[str(e.status)] = {
            "description": _STATUS_TEXT.get(e.status, "OK"),
            "content": {"application/json": {"schema": keys[(e.response, "serialization")]}},
        }
    else:
        responses[str(e.status)] = {
            "description": _STATUS_TEXT.get(e.status, "OK"),
            "content": {ct: {"schema": _MEDIA_SCHEMAS.get(ct, {"type": "string"})} for ct in e.produces},
        }
    if e.response_headers:
        responses[str(e.status)]["headers"] = {
            name: {"description": text, "schema": {"type": "string"}} for name, text in e.response_headers
        }
    # 503: every trigger answers it (with Retry-After) when a backing service is unreachable (functions/_http.py).
    errors = {400, 404, 422, 503} | set(e.extra_statuses)
    if e.body is not None:
        errors |= {413, 415}
    if e.limits:  # abuse limits (docs/abuse-limits.md): 429 with Retry-After
        errors |= {429}
    if e.auth is not Auth.NONE:
        errors |= {401, 403}
        op["security"] = [{name: []} for name in DEVICE_SCHEMES] if e.auth is Auth.DEVICE else [{"bearer": []}]
        if e.auth is Auth.OPTIONAL:
            op["security"].append({})  # the token is optional (an empty requirement: none)
    for status in sorted(errors):
        if status == 304:  # a conditional GET's answer (If-None-Match), no body
            responses["304"] = {"description": "Not modified"}
            continue
        if status == 503 and e.response is not None and e.status == 200 and e.name == "health":
            responses["503"] = {
                "description": "Degraded",
                "content": {"application/json": {"schema": keys[(e.response, "serialization")]}},
            }
        else:
            responses[str(status)] = _problem(status)
        if status in (429, 503):
            responses[str(status)]["headers"] = {
                "Retry-After": {
                    "description": "Seconds after which the same call may succeed",
                    "schema": {"type": "string"},
                }
            }
    if e.limits:
        names = ", ".join(f"{p.name} (per {p.per.value})" for p in e.limits)
        responses["429"]["description"] = f"Too many requests; abuse limits {names}, docs/abuse-limits.md"
    op["responses"] = responses
    return op
