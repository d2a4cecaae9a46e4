"""Helpers for the tracking integration tests: consent, pings along a short route, waiting for the writer."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.helpers import wait_for
from tests.integration.conftest import User

CONSENT = {"deviceId": "phone-1", "appVersion": "5.0.0"}


def iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def set_location_consent(api: httpx.Client, user: User, granted: bool) -> None:
    r = api.put("/me/consents/location", json={**CONSENT, "granted": granted}, headers=user.auth)
    assert r.status_code == 200, r.text


def ping(t: datetime, n: int = 0, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "timestamp": iso(t),
        "latitude": 44.9778 + n * 0.0005,
        "longitude": -93.2650 + n * 0.0003,
        "horizontalAccuracy": 8.5,
        "altitude": 260.0,
        "speed": 1.4,
        "heading": 45.0,
        "batteryLevel": 80,
        "source": "gps",
    }
    body.update(overrides)
    return body


def route(start: datetime, count: int, step: timedelta = timedelta(seconds=30)) -> list[dict[str, Any]]:
    return [ping(start + i * step, i) for i in range(count)]


def post(api: httpx.Client, user: User, pings: list[dict[str, Any]]) -> dict[str, Any]:
    r = api.post("/me/locations", json={"pings": pings}, headers=user.auth)
    assert r.status_code == 202, r.text
    result: dict[str, Any] = r.json()
    return result


def track_ids(api: httpx.Client, user: User, start: datetime, end: datetime) -> list[str]:
    """The worker's own stored ping ids in the range, in time order, over every page."""
    ids: list[str] = []
    token: str | None = None
    while True:
        params = {"from": iso(start), "to": iso(end), "limit": "10000"}
        if token:
            params["continuation"] = token
        r = api.get("/me/track", params=params, headers=user.auth)
        assert r.status_code == 200, r.text
        doc = r.json()
        ids.extend(f["properties"]["id"] for f in doc["features"] if f["properties"]["kind"] == "ping")
        token = r.headers.get("x-continuation")
        if not token:
            return ids


def wait_for_stored(
    api: httpx.Client, user: User, expected: set[str], start: datetime, end: datetime, timeout: float = 30
) -> list[str]:
    """Wait until exactly the expected pings are stored (then a little more would show extras)."""

    def done() -> list[str] | None:
        ids = track_ids(api, user, start, end)
        return ids if set(ids) == expected else None

    return wait_for(done, timeout=timeout, interval=0.3, what=f"{len(expected)} stored pings")


def latest(api: httpx.Client, owner: User) -> dict[str, Any]:
    r = api.get(f"/accounts/{owner.account_id}/locations/latest", headers=owner.auth)
    assert r.status_code == 200, r.text
    return {i["userId"]: i for i in r.json()["items"]}


def dumps(value: Any) -> str:
    return json.dumps(value)
