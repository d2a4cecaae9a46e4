"""The owner's Devices page in headless Chromium against the real local stack (docs/devices.md): a member's app
sends a ping through its device token, and the owner sees the device with the member's name, last seen, battery
and the counts (stored, dropped by reason); revocation asks first; the rows stack at a phone's 360 px. axe-core
clean at both widths."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from playwright.sync_api import Page, expect

from tests.integration.conftest import User, add_member, register_owner
from tests.integration.portal_fixtures import (  # noqa: F401 - fixtures
    assert_accessible,
    browser_fixture,
    context_fixture,
    page_fixture,
    portal_fixture,
    screenshot,
    sign_in,
)
from tests.integration.test_devices_api import basic, make_device, my_device
from tests.integration.tracking_helpers import set_location_consent


def test_the_owner_sees_a_devices_stats_and_revokes_it_with_confirmation(api: httpx.Client, page: Page) -> None:
    owner = register_owner(api)
    member = add_member(api, owner)
    set_location_consent(api, member, True)
    device_id, token = make_device(api, member, "Pixel 8")
    t = int((datetime.now(UTC) + timedelta(seconds=1)).timestamp())
    for tst in (t, t - 400 * 86400):  # one stored, one older than the account's retention
        location = {"_type": "location", "lat": 44.97781, "lon": -93.26502, "tst": tst, "acc": 9, "batt": 57}
        r = api.post("/ingest/owntracks", json=location, headers=basic(device_id, token))
        assert (r.status_code, r.json()) == (200, [])
    assert my_device(api, member, device_id)["stored"] == 1

    sign_in(page, owner, "/devices")
    expect(page.get_by_role("heading", level=1)).to_have_text("Devices")
    expect(page.get_by_role("link", name="Devices")).to_have_attribute("aria-current", "page")
    row = page.locator(f'#devices tr[data-device-id="{device_id}"]')
    expect(row).to_contain_text("Pixel 8")
    expect(row).to_contain_text("OwnTracks")
    expect(row.locator('[data-label="Battery"]')).to_have_text("57 %")
    expect(row.locator('[data-label="Received"]')).to_have_text("2")
    expect(row.locator('[data-label="Stored"]')).to_have_text("1")
    expect(row.locator('[data-label="Dropped"]')).to_have_text("1 older than retention")
    expect(row.locator('[data-label="Last seen"]')).to_contain_text("ago")
    expect(page.get_by_role("button", name="Show more devices")).to_be_hidden()  # one page only
    assert_accessible(page)
    screenshot(page, "devices")

    page.set_viewport_size({"width": 360, "height": 740})
    box = row.bounding_box()
    assert box is not None and box["width"] <= 360  # stacked: no horizontal overflow
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)

    page.get_by_role("button", name=f"Revoke Pixel 8 of {member_name(api, owner, member.user_id)}").click()
    page.get_by_role("button", name="Cancel").click()  # asked first: nothing revoked yet
    assert my_device(api, member, device_id)["revokedAt"] is None
    page.get_by_role("button", name="Revoke Pixel 8", exact=False).click()
    page.get_by_role("button", name="Revoke the device").click()
    expect(row.locator('[data-label="Actions"]')).to_contain_text("Revoked")
    assert my_device(api, member, device_id)["revokedAt"] is not None
    later = {"_type": "location", "lat": 1.0, "lon": 2.0, "tst": t + 5}
    assert api.post("/ingest/owntracks", json=later, headers=basic(device_id, token)).status_code == 401


def member_name(api: httpx.Client, owner: User, user_id: str) -> str:
    listed = api.get(f"/accounts/{owner.account_id}/devices", headers=owner.auth).json()["items"]
    return str(next(d["memberName"] for d in listed if d["userId"] == user_id))
