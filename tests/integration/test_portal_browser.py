"""The owner portal in headless Chromium against the real local stack (issue 15): the owner's and the worker's
journeys, accessibility (axe-core on every page), markup shown as text, and nothing of another account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from playwright.sync_api import Page, expect

from tests.helpers import wait_for
from tests.integration.conftest import User, add_member, register_owner
from tests.integration.portal_fixtures import (  # noqa: F401 - fixtures
    assert_accessible,
    browser_fixture,
    context_fixture,
    page_fixture,
    portal_fixture,
    sign_in,
)
from tests.integration.tracking_helpers import latest, ping, post, set_location_consent


def _send_route(api: httpx.Client, worker: User, lat: float, lon: float, count: int = 6) -> None:
    """Pings through the real ingest API, a few seconds apart, ending now."""
    set_location_consent(api, worker, True)
    start = datetime.now(UTC) + timedelta(milliseconds=50)
    post(api, worker, [ping(start + timedelta(milliseconds=10 * i), i, latitude=lat + i * 0.0004,
                            longitude=lon + i * 0.0003, horizontalAccuracy=25.0) for i in range(count)])


def _rename(api: httpx.Client, user: User, name: str) -> None:
    r = api.patch("/me", json={"fullName": name}, headers=user.auth)
    assert r.status_code == 200, r.text


def test_owner_sees_two_members_on_the_live_map(api: httpx.Client, page: Page) -> None:
    owner = register_owner(api)
    ana, ben = add_member(api, owner), add_member(api, owner)
    _rename(api, ana, "Ana Field")
    _rename(api, ben, "Ben Yard")
    quiet = add_member(api, owner)
    _rename(api, quiet, "Quinn Quiet")
    _send_route(api, ana, 44.97, -93.26)
    _send_route(api, ben, 44.99, -93.20)
    wait_for(lambda: all(latest(api, owner)[u.user_id]["position"] for u in (ana, ben)), timeout=30,
             what="both positions stored")

    sign_in(page, owner)
    rows = page.locator("#main table tbody tr")
    expect(rows).to_have_count(4)  # the owner and three members
    expect(page.locator(f'tr[data-user-id="{ana.user_id}"]')).to_contain_text("Ana Field")
    expect(page.locator(f'tr[data-user-id="{ana.user_id}"]')).to_contain_text("± 25 m")
    expect(page.locator(f'tr[data-user-id="{ben.user_id}"]')).to_contain_text("s ago")
    expect(page.locator(f'tr[data-user-id="{quiet.user_id}"]')).to_contain_text("Not sharing location")
    expect(page.locator("#live-map")).to_have_attribute("data-rendered-points", "2")
    assert_accessible(page)
