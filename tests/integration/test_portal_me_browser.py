"""My information on the portal's /me page in headless Chromium against the real local stack (issue 16): profile
change, an e-mail change that waits for its link (followed from the SMTP Maildir), e-mail preferences, the consent
history with location sharing revoked from the page (the next ping through the ingest API is refused), and the
tracking-windows editor's preview across a clock change. axe-core on the page as each part is shown."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, quote, unquote, urlsplit

import httpx
from playwright.sync_api import Page, expect

from tests.helpers import rid
from tests.integration.conftest import add_member, register_owner
from tests.integration.portal_fixtures import (  # noqa: F401 - fixtures
    assert_accessible,
    browser_fixture,
    context_fixture,
    page_fixture,
    portal_fixture,
    sign_in,
)
from tests.integration.test_email import Mail, wait_for_mail
from tests.integration.tracking_helpers import ping, post, set_location_consent, track_ids


def _verification_token(mail: Mail) -> str:
    """The token of the e-mailed link, whether it opens the API's confirm page or the portal's /verify-email."""
    for url in re.findall(r"https?://\S+", mail.text):
        parts = urlsplit(url)
        if "/api/email/verify/" in parts.path:
            return unquote(parts.path.rsplit("/", 1)[1])
        if parts.path.endswith("/verify-email") and parse_qs(parts.query).get("token"):
            token: str = parse_qs(parts.query)["token"][0]
            return token
    raise AssertionError(f"no verification link in: {mail.text}")


def test_profile_email_change_waits_for_its_link_and_email_preferences(api: httpx.Client, page: Page) -> None:
    owner = register_owner(api)
    worker = add_member(api, owner)  # joined by the e-mailed invitation: the address counts as verified
    sign_in(page, worker, "/me")
    profile = page.locator("#profile-form")
    expect(page.locator("#email-status")).to_contain_text(f"Address in use: {worker.email} (confirmed)")
    assert_accessible(page)

    # Profile: name, phone and time zone are applied at once.
    profile.get_by_label("Full name").fill("Wanda Worker")
    profile.get_by_label("Phone (optional)").fill("+1 612 555 0100")
    profile.get_by_label("My time zone").fill("America/Chicago")
    profile.get_by_role("button", name="Save my information").click()
    expect(profile).to_contain_text("Saved.")
    me = api.get("/me", headers=worker.auth).json()
    assert (me["fullName"], me["phone"], me["timeZone"]) == ("Wanda Worker", "+1 612 555 0100", "America/Chicago")

    # E-mail: the new address waits; the address in use stays until the link sent to the new one is used.
    new_address = f"{rid('moved-')}@example.com"
    profile.get_by_label("E-mail address").fill(new_address)
    profile.get_by_role("button", name="Save my information").click()
    expect(page.locator("#pending-email")).to_contain_text(f"Waiting for confirmation: {new_address}")
    expect(profile).to_contain_text("Check your inbox")
    me = api.get("/me", headers=worker.auth).json()
    assert (me["email"], me["pendingEmail"]) == (worker.email, new_address)
    members = api.get(f"/accounts/{owner.account_id}/members", headers=owner.auth).json()["items"]
    assert {m["userId"]: m["email"] for m in members}[worker.user_id] == worker.email
    assert_accessible(page)
    [mail] = wait_for_mail(new_address, subject="Confirm your e-mail address")
    r = api.post(f"/email/verify/{quote(_verification_token(mail), safe='')}")  # what the link's page calls
    assert r.status_code == 200 and r.json() == {"status": "verified", "email": new_address}, r.text
    page.reload()
    expect(page.locator("#email-status")).to_contain_text(f"Address in use: {new_address} (confirmed)")
    expect(page.locator("#pending-email")).to_have_count(0)
    expect(profile.get_by_label("E-mail address")).to_have_value(new_address)

    # E-mail preferences: optional categories off; account and legal e-mail cannot be turned off.
    prefs = page.locator("#email-prefs-form")
    expect(prefs.get_by_label("Legal notices (privacy policy changes)")).to_be_disabled()
    expect(prefs.get_by_label("Account e-mail (sign-in, billing, data requests)")).to_be_checked()
    prefs.get_by_label("Tips for using IndusTrack").uncheck()
    prefs.get_by_role("button", name="Save e-mail preferences").click()
    expect(prefs).to_contain_text("Saved.")
    saved = api.get("/me/email-preferences", headers=worker.auth).json()
    assert {c["category"]: c["subscribed"] for c in saved["categories"]} == {
        "account": True,
        "legal": True,
        "product-updates": True,
        "tips": False,
    }
    expect(prefs.get_by_label("Tips for using IndusTrack")).not_to_be_checked()  # redrawn from the API's answer
    assert_accessible(page)


def test_consent_history_location_revoked_and_the_windows_preview_across_a_clock_change(
    api: httpx.Client, page: Page
) -> None:
    worker = add_member(api, register_owner(api))
    set_location_consent(api, worker, True)  # from the phone: deviceId phone-1, app 5.0.0
    before = post(api, worker, [ping(datetime.now(UTC))])
    assert before["accepted"] == 1, before  # location allowed: pings are taken
    sign_in(page, worker, "/me")
    history = page.locator("#consent-history tbody tr")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text("Location")
    expect(history.first).to_contain_text("granted")
    expect(history.first).to_contain_text("phone-1, 5.0.0")
    version = api.get("/me/consents", headers=worker.auth).json()["history"][0]["policyVersion"]
    expect(history.first).to_contain_text(version)

    # Withdrawn from the portal (after a confirmation): recorded in the ledger, and the very next ping is refused.
    page.get_by_role("button", name="Withdraw location").click()
    page.get_by_role("button", name="Yes, withdraw location").click()
    expect(page.locator("#consent-saved")).to_contain_text("Location is withdrawn")
    expect(history).to_have_count(2)
    expect(history.first).to_contain_text("revoked")
    expect(history.first).to_contain_text("web-portal, portal")
    expect(page.locator("#consents")).to_contain_text("Location: not allowed")
    expect(page.get_by_role("button", name="Withdraw location")).to_have_count(0)
    expect(page.get_by_role("button", name="Allow location")).to_be_visible()
    ledger = api.get("/me/consents", headers=worker.auth).json()
    assert [(e["capability"], e["granted"]) for e in ledger["history"]] == [("location", True), ("location", False)]
    refused_ping = ping(datetime.now(UTC))
    after = post(api, worker, [refused_ping])
    assert (after["accepted"], after["dropped"]["noConsent"]) == (0, 1), after
    day = (datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC) + timedelta(hours=1))
    assert refused_ping["id"] not in track_ids(api, worker, *day)
    assert_accessible(page)

    # Windows: weekdays 08:00-17:00 and a Saturday night 22:00-06:00 in Chicago, previewed over the March 2027
    # spring-forward night (Sunday 14 March, 02:00 -> 03:00) before saving.
    form = page.locator("#windows-form")
    form.get_by_label("Time zone").fill("America/Chicago")
    form.get_by_role("button", name="Add a window").click()
    form.get_by_role("button", name="Add a window").click()
    night = form.locator("li[data-window='2']")
    for day_name in ("mon", "tue", "wed", "thu", "fri"):
        night.get_by_label(day_name).uncheck()
    night.get_by_label("sat").check()
    night.get_by_label("From").fill("22:00")
    night.get_by_label("to", exact=True).fill("06:00")
    form.get_by_label("Preview starting on").fill("2027-03-13")
    form.get_by_role("button", name="Preview 7 days").click()
    table = page.locator("#preview-table")
    expect(table.locator("caption")).to_contain_text("from 2027-03-13 to 2027-03-19, America/Chicago")
    expect(table.locator("tbody tr")).to_have_count(7)
    saturday = table.locator("tr[data-date='2027-03-13']")
    expect(saturday).to_contain_text("Sat 13 Mar")
    expect(saturday).to_contain_text("22:00 (UTC\u221206:00) to 06:00 next day (UTC\u221205:00), 7 h")
    sunday = table.locator("tr[data-date='2027-03-14']")
    expect(sunday).to_contain_text("Not tracked")
    expect(sunday.locator(".clock-change")).to_have_text(
        "Clocks go from 02:00 to 03:00 (UTC\u221206:00 \u2192 UTC\u221205:00, 1 h ahead)"
    )
    expect(table.locator("tr[data-date='2027-03-12']")).to_have_count(0)
    expect(table.locator("tr[data-date='2027-03-15']")).to_contain_text("08:00 to 17:00 (UTC\u221205:00), 9 h")
    expect(table.locator("tr[data-date='2027-03-19']")).to_contain_text("08:00 to 17:00 (UTC\u221205:00), 9 h")
    assert (
        api.get("/me/tracking-schedule", headers=worker.auth).json()["restricted"] is False
    )  # a preview saves nothing
    assert_accessible(page)
    form.get_by_role("button", name="Save windows").click()
    expect(form).to_contain_text("Saved.")
    saved = api.get("/me/tracking-schedule", headers=worker.auth).json()
    assert saved["timeZone"] == "America/Chicago" and saved["windows"] == [
        {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "17:00"},
        {"days": ["sat"], "start": "22:00", "end": "06:00"},
    ]
