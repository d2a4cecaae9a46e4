"""Cookies, optional analytics and Global Privacy Control in the portal (issue 16, docs/privacy-signals.md), in
headless Chromium against the real local stack: nothing stored in the browser before a choice; allowing analytics
records page views (seen through the platform admin's counts); with GPC (the `Sec-GPC: 1` header and
navigator.globalPrivacyControl) nothing is recorded, even after "Allow" and even when the page is made to send,
and the page says the opt-out was honoured. axe-core on every state shown."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import Browser, Page, Request, expect

from tests.helpers import wait_for
from tests.integration.conftest import User, new_identity, register_owner
from tests.integration.portal_fixtures import (  # noqa: F401 - fixtures
    assert_accessible,
    browser_fixture,
    context_fixture,
    nav_link,
    page_fixture,
    portal_fixture,
    sign_in,
)

EVENTS = "/analytics/page-views"


def _counts(api: httpx.Client, admin: User) -> dict[str, Any]:
    r = api.get("/admin/analytics/page-views", params={"days": 1}, headers=admin.auth)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _path_count(counts: dict[str, Any], path: str) -> int:
    return next((row["count"] for row in counts["byPath"] if row["key"] == path), 0)


def _browser_state(page: Page) -> dict[str, Any]:
    state: dict[str, Any] = page.evaluate(
        "() => ({cookie: document.cookie, local: Object.keys(localStorage), session: Object.keys(sessionStorage)})"
    )
    state["cookies"] = page.context.cookies()
    return state


def _event_requests(page: Page) -> list[Request]:
    sent: list[Request] = []
    page.on("request", lambda r: sent.append(r) if r.url.endswith(EVENTS) and r.method == "POST" else None)
    return sent


def test_nothing_is_stored_before_a_choice_and_allowing_records_page_views(api: httpx.Client, page: Page) -> None:
    admin, owner = new_identity(admin=True), register_owner(api)
    sent = _event_requests(page)
    before = _counts(api, admin)

    page.goto("/")
    banner = page.get_by_role("complementary", name="Cookies and analytics")
    expect(banner).to_contain_text("sets no cookies")
    expect(page.get_by_test_id("analytics-status")).to_have_text("Optional analytics is off until you choose.")
    assert_accessible(page)
    # A bottom sheet (issue 30): its dock (with the policy notice too when a version is upcoming) is fixed to the
    # bottom of the window, leaves the page where it is (the first heading stays at the top instead of being pushed
    # down), and comes before <main> for the keyboard.
    layout = page.evaluate("""() => {
        const sheet = document.getElementById('sheet-dock').getBoundingClientRect();
        return { sheetBottom: sheet.bottom, sheetTop: sheet.top, height: window.innerHeight,
                 headingTop: document.querySelector('#main h1').getBoundingClientRect().top,
                 before: !!(document.getElementById('privacy-choices').compareDocumentPosition(
                     document.getElementById('main')) & Node.DOCUMENT_POSITION_FOLLOWING) };
    }""")
    assert abs(layout["sheetBottom"] - layout["height"]) <= 2 and layout["sheetTop"] > layout["height"] / 2, layout
    assert layout["headingTop"] < 150 and layout["before"], layout
    sign_in(page, owner)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    state = _browser_state(page)
    assert state["cookie"] == "" and state["cookies"] == [] and state["local"] == [], state
    assert set(state["session"]) <= {"industrack.session", "industrack.after"}, state  # sign-in only
    assert sent == []

    page.get_by_test_id("analytics-allow").click()
    expect(banner).to_be_hidden()
    expect(page.get_by_test_id("analytics-status")).to_contain_text("on (you allowed it)")
    assert page.evaluate("() => localStorage.getItem('industrack.analytics')") == "granted"
    assert _browser_state(page)["cookies"] == []
    # The page view is sent once the page is drawn; its sections may still be loading (each on its own).
    with page.expect_request(
        lambda r: r.url.endswith(EVENTS) and r.method == "POST" and (r.post_data_json or {}).get("path") == "/me"
    ):
        nav_link(page, "My data").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    wait_for(
        lambda: _path_count(_counts(api, admin), "/me") > _path_count(before, "/me"),
        timeout=20,
        what="the page view of /me in the admin's counts",
    )
    after = _counts(api, admin)
    assert after["total"] >= before["total"] + 2 and after["signedIn"] >= before["signedIn"] + 2  # "/" and "/me"
    assert {row["key"] for row in after["byBrowser"]} and "unknown" not in {r["key"] for r in after["byOs"]}
    bodies = [r.post_data_json for r in sent]
    assert bodies[:2] == [{"path": "/", "consent": True}, {"path": "/me", "consent": True}], bodies

    # The choice is changeable: the footer link reopens it; "No thanks" stops sending at once.
    page.get_by_test_id("privacy-choices-link").click()
    expect(banner).to_be_visible()
    assert_accessible(page)
    page.get_by_test_id("analytics-deny").click()
    assert page.evaluate("() => localStorage.getItem('industrack.analytics')") == "denied"
    sent_before = len(sent)
    page.get_by_role("link", name="Live map").click()
    expect(page.locator("#main h1")).to_be_visible()
    page.reload()  # the choice is remembered: no banner, nothing sent
    expect(page.get_by_test_id("analytics-status")).to_contain_text("off (you declined it)")
    expect(banner).to_be_hidden()
    assert len(sent) == sent_before


def test_global_privacy_control_is_honoured_in_the_page_and_by_the_api(
    api: httpx.Client, browser: Browser, portal: str
) -> None:
    admin, owner = new_identity(admin=True), register_owner(api)
    context = browser.new_context(base_url=portal, extra_http_headers={"Sec-GPC": "1"})
    # GPC on, and an earlier "Allow" stored: the signal must still win.
    context.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true});"
        "localStorage.setItem('industrack.analytics', 'granted');"
    )
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        sent = _event_requests(page)
        before = _counts(api, admin)
        sign_in(page, owner)
        expect(page.get_by_test_id("gpc-honoured")).to_contain_text("We honour it as your opt-out")
        expect(page.get_by_test_id("analytics-status")).to_contain_text("Global Privacy Control signal is honoured")
        expect(page.get_by_test_id("analytics-allow")).to_have_count(0)  # no choice offered against the signal
        assert_accessible(page)
        nav_link(page, "My data").click()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert sent == []

        # Made to send anyway (consent true), the browser's Sec-GPC header reaches the API, which drops the event.
        api_base = page.evaluate("async () => (await (await fetch('/config.json')).json()).apiBase")
        answer = page.evaluate(
            """async (url) => {
            const r = await fetch(url, {method: 'POST', headers: {'Content-Type': 'application/json'},
                                        body: JSON.stringify({path: '/me', consent: true})});
            return {status: r.status, body: await r.json()};
        }""",
            api_base + EVENTS,
        )
        assert answer == {"status": 202, "body": {"recorded": False, "decision": "global-privacy-control"}}
        assert _counts(api, admin)["total"] == before["total"]

        well_known = context.request.get("/.well-known/gpc.json")
        assert well_known.status == 200
        assert well_known.headers["content-type"].split(";")[0] == "application/json"
        assert well_known.json()["gpc"] is True and len(well_known.json()["lastUpdate"]) == 10
    finally:
        context.close()
