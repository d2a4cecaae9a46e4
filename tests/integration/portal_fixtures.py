"""Browser fixtures for the owner portal's tests (issue 15): the built portal served by scripts/portal_server.py in
front of the test stack's host, one headless Chromium (Debian's, driven by Playwright) per test module, a fresh
browser context (so a fresh sessionStorage) per test, and axe-core injected from node_modules.

The portal's port and the settings that point the host at it (PORTAL_ORIGINS, PORTAL_BASE_URL) come from
`portal_address`, applied by the `stack` fixture for every session, so the host answers CORS for the portal and
e-mails link to its join page whether or not browser tests run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, sync_playwright

from tests.integration.conftest import Stack, User
from tests.integration.portal_address import PORTAL_PORT, PORTAL_URL

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("PORTAL_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-unsafe-swiftshader",
]
POLL_SECONDS = 1  # the live map's polling interval in the tests (config.json map.pollSeconds)
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


# Every browser test module imports this fixture, which makes it a separate session fixture per module: the one
# server on PORTAL_PORT is shared by all of them (started by the first, closed by the last to finish).
_shared: dict[str, Any] = {"users": 0, "server": None}


@pytest.fixture(scope="session", name="portal")
def portal_fixture(stack: Stack) -> Iterator[str]:
    from scripts.portal_server import DIST, build_server

    if _shared["server"] is None:
        if not (DIST / "index.html").exists():
            npm = shutil.which("npm")
            assert npm, "npm is needed to build the portal (make install)"
            subprocess.run([npm, "run", "--silent", "portal:build"], cwd=ROOT, check=True, capture_output=True)
        server = build_server("127.0.0.1", PORTAL_PORT, stack.base_url, poll_seconds=POLL_SECONDS)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        _shared["server"] = server
    _shared["users"] += 1
    try:
        yield PORTAL_URL
    finally:
        _shared["users"] -= 1
        if _shared["users"] == 0:
            server = _shared["server"]
            _shared["server"] = None
            server.shutdown()
            server.server_close()


# Module scope: Playwright's sync API keeps an event loop running in this thread while the browser is open, so it
# is closed once the browser tests of a module are done (later tests call asyncio.run()).
@pytest.fixture(scope="module", name="browser")
def browser_fixture() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make install` installs Debian's chromium (as root)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(name="context")
def context_fixture(browser: Browser, portal: str) -> Iterator[BrowserContext]:
    ctx = browser.new_context(base_url=portal, accept_downloads=True, viewport={"width": 1280, "height": 900})
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture(name="page")
def page_fixture(context: BrowserContext) -> Iterator[Page]:
    p = context.new_page()
    p.set_default_timeout(20_000)
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield p
    assert not errors, f"uncaught errors in the page: {errors}"


def sign_in(page: Page, user: User, path: str = "/") -> None:
    """The development sign-in, through the page itself (the portal server mints the token)."""
    page.goto(path)
    page.get_by_label("User id").fill(user.user_id)
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_test_id("signed-in-as").wait_for()


def nav_link(page: Page, name: str) -> Locator:
    """A link of the main navigation, opening its "More" disclosure first when the link is listed there (ui/nav.ts:
    the pages used every day are in the bar, the others under More)."""
    nav = page.get_by_role("navigation", name="Main")
    link = nav.get_by_role("link", name=name, exact=True)
    more = nav.get_by_role("button", name=re.compile(r"^More"))
    if link.count() == 0 and more.count() == 1 and more.get_attribute("aria-expanded") != "true":
        more.click()
    return link


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Serious and critical axe-core findings on the page as it is now (axe evaluated through the DevTools
    protocol, which the page's CSP does not govern: the page itself still runs no inline script)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result: list[dict[str, Any]] = page.evaluate("""async () => {
        const r = await axe.run(document, { resultTypes: ['violations'] });
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => ({ id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5) }));
    }""")
    return result


def assert_accessible(page: Page) -> None:
    found = axe_violations(page)
    assert not found, f"axe-core: serious/critical violations on {page.url}: {found}"


def screenshot(page: Page, name: str) -> None:
    """`make screenshots` (PORTAL_SCREENSHOTS=1): the README's picture of this page as it is now, at the current
    (desktop) width as docs/portal-<name>.png and at a phone's 360 px as docs/portal-<name>-360.png; nothing
    otherwise. The viewport is put back afterwards."""
    if not os.environ.get("PORTAL_SCREENSHOTS"):
        return
    later = page.get_by_role("button", name="Decide later")
    if later.is_visible():  # the consent banner is a bottom sheet: the picture shows the page
        later.click()
    page.screenshot(path=str(ROOT / "docs" / f"portal-{name}.png"), full_page=True)
    size = page.viewport_size
    page.set_viewport_size({"width": 360, "height": 780})
    page.screenshot(path=str(ROOT / "docs" / f"portal-{name}-360.png"), full_page=True)
    if size:
        page.set_viewport_size(size)
