"""The worker's private-zones page in headless Chromium against the real local stack (docs/private-zones.md,
docs/portal.md): add a zone (map click, then typed coordinates), apply it to stored history with the typed
confirmation, remove it; the owner's live map says "in a private zone" with the time, never where. axe-core clean."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from playwright.sync_api import Page, expect

from tests.helpers import wait_for
from tests.integration.conftest import add_member, register_owner
from tests.integration.portal_fixtures import (  # noqa: F401 - fixtures
    assert_accessible,
    browser_fixture,
    context_fixture,
    page_fixture,
    portal_fixture,
    sign_in,
)
from tests.integration.test_private_zones_api import HOME, at
from tests.integration.tracking_helpers import latest, post, set_location_consent


def test_a_worker_adds_applies_and_removes_a_private_zone(api: httpx.Client, page: Page) -> None:
    owner = register_owner(api)
    member = add_member(api, owner)
    set_location_consent(api, member, True)

    sign_in(page, member, "/me/zones")
    expect(page.get_by_role("heading", level=1)).to_have_text("My private zones")
    expect(page.locator("#zones tbody")).to_contain_text("No private zones.")
    expect(page.locator("#zones-map")).to_have_attribute("data-rendered-points", "0")
    page.locator("#zones-map canvas").click(position={"x": 200, "y": 150})
    expect(page.get_by_label("Latitude of the centre")).not_to_have_value("")  # the map click set the centre
    page.get_by_label("Latitude of the centre").fill(str(HOME[0]))
    page.get_by_label("Longitude of the centre").fill(str(HOME[1]))
    page.get_by_label("Radius in metres (100 to 1,000)").fill("300")
    page.get_by_role("button", name="Add the zone").click()
    row = page.locator("#zones tbody tr[data-zone-id]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("300 m")
    expect(row).to_contain_text("Not applied")
    expect(page.locator("#zones-map")).to_have_attribute("data-rendered-points", "1")
    assert_accessible(page)

    # A ping at home now: withheld; the owner will see only "in a private zone".
    t = datetime.now(UTC) + timedelta(milliseconds=50)
    assert post(api, member, [at(t, HOME)])["dropped"]["privateZone"] == 1
    wait_for(
        lambda: (latest(api, owner)[member.user_id]["position"] or {}).get("inPrivateZone"),
        timeout=30,
        what="the latest position to say 'in a private zone'",
    )

    page.get_by_role("button", name="Apply to stored history: zone 1").click()
    page.get_by_label("This cannot be undone. Type REMOVE").fill("REMOVE")
    assert_accessible(page)
    page.get_by_role("button", name="Remove stored positions").click()
    expect(row).to_contain_text("Applied to stored history", timeout=40_000)  # about 15 store calls
    page.get_by_role("button", name="Remove zone 1").click()
    expect(page.locator("#zones tbody")).to_contain_text("No private zones.")

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, owner, "/map")
    member_row = page.locator(f'tr[data-user-id="{member.user_id}"]')
    expect(member_row).to_contain_text("In a private zone")
    expect(member_row).not_to_contain_text(f"{HOME[0]:.5f}")
    assert_accessible(page)
