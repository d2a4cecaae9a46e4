"""A Wi-Fi-sourced ping over HTTP: accepted, stored by the writer, and read back with its source."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.integration.conftest import User
from tests.integration.tracking_helpers import iso, ping, post, set_location_consent, wait_for_stored


def test_a_wifi_ping_is_accepted_and_stored_with_its_source(api: httpx.Client, member: User) -> None:
    set_location_consent(api, member, True)
    begin = datetime.now(UTC)
    wifi = ping(
        begin + timedelta(milliseconds=50),
        source="wifi",
        horizontalAccuracy=65.0,
        altitude=None,
        speed=None,
        heading=None,
    )
    gps = ping(begin + timedelta(milliseconds=60), 1)
    result = post(api, member, [wifi, gps])
    assert result["accepted"] == 2, result
    end = begin + timedelta(minutes=1)
    wait_for_stored(api, member, {wifi["id"], gps["id"]}, begin - timedelta(minutes=1), end)
    r = api.get("/me/track", params={"from": iso(begin - timedelta(minutes=1)), "to": iso(end)}, headers=member.auth)
    props = {f["properties"]["id"]: f["properties"] for f in r.json()["features"] if f["properties"]["kind"] == "ping"}
    assert props[wifi["id"]]["source"] == "wifi" and props[wifi["id"]]["horizontalAccuracy"] == 65.0
    assert "altitude" not in props[wifi["id"]]
    assert props[gps["id"]]["source"] == "gps"
