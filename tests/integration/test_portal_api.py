"""What the owner portal needs from the API (issue 15): CORS for the configured portal origins only, on the
preflight and on every answer, and a latest-positions ETag that turns an unchanged poll into a 304."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.helpers import wait_for
from tests.integration.conftest import User
from tests.integration.tracking_helpers import latest, ping, post, set_location_consent

PORTAL = "http://localhost:4280"  # in local.settings.sample.json's PORTAL_ORIGINS
STRANGER = "https://evil.example"


def test_preflight_allows_the_portal_origin_only(api: httpx.Client, owner: User) -> None:
    route = f"/accounts/{owner.account_id}/members"
    ok = api.options(
        route,
        headers={
            "Origin": PORTAL,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == PORTAL
    assert "Authorization" in ok.headers["access-control-allow-headers"]
    assert "DELETE" in ok.headers["access-control-allow-methods"]
    bad = api.options(route, headers={"Origin": STRANGER, "Access-Control-Request-Method": "GET"})
    assert bad.status_code == 204 and "access-control-allow-origin" not in bad.headers

    read = api.get(route, headers={**owner.auth, "Origin": PORTAL})
    assert read.status_code == 200 and read.headers["access-control-allow-origin"] == PORTAL
    assert {"ETag", "X-Continuation", "Retry-After"} <= {
        h.strip() for h in read.headers["access-control-expose-headers"].split(",")
    }
    assert "access-control-allow-origin" not in api.get(route, headers={**owner.auth, "Origin": STRANGER}).headers
    # Errors and unknown routes carry it too, so the portal can read a problem body.
    assert api.get(route, headers={"Origin": PORTAL}).headers["access-control-allow-origin"] == PORTAL
    assert api.get("/no-such-route", headers={"Origin": PORTAL}).headers["access-control-allow-origin"] == PORTAL


def test_latest_positions_answer_304_until_something_moves(api: httpx.Client, owner: User, member: User) -> None:
    route = f"/accounts/{owner.account_id}/locations/latest"
    first = api.get(route, headers=owner.auth)
    assert first.status_code == 200 and first.headers["etag"].startswith('"')
    same = api.get(route, headers={**owner.auth, "If-None-Match": first.headers["etag"]})
    assert same.status_code == 304 and same.content == b"" and same.headers["etag"] == first.headers["etag"]

    set_location_consent(api, member, True)
    post(api, member, [ping(datetime.now(UTC) + timedelta(milliseconds=50))])  # after the consent
    wait_for(lambda: latest(api, owner)[member.user_id]["position"], timeout=30, what="the member's position")
    moved = api.get(route, headers={**owner.auth, "If-None-Match": first.headers["etag"]})
    assert moved.status_code == 200 and moved.headers["etag"] != first.headers["etag"]
    assert any(i["position"] for i in moved.json()["items"])
