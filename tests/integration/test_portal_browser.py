"""The owner portal in headless Chromium against the real local stack (issue 15): the owner's and the worker's
journeys, accessibility (axe-core on every page), markup shown as text, and nothing of another account."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.fixtures import images
from tests.helpers import wait_for
from tests.integration.conftest import User, add_member, new_identity, register_owner
from tests.integration.portal_fixtures import (  # noqa: F401 - fixtures
    assert_accessible,
    browser_fixture,
    context_fixture,
    nav_link,
    page_fixture,
    portal_fixture,
    screenshot,
    sign_in,
)
from tests.integration.test_email import wait_for_mail
from tests.integration.test_photos_upload import consent, settled, upload
from tests.integration.tracking_helpers import latest, ping, post, set_location_consent

ROOT = Path(__file__).resolve().parents[2]


def _send_route(api: httpx.Client, worker: User, lat: float, lon: float, count: int = 6, acc: float = 25.0) -> None:
    """Pings through the real ingest API, a few seconds apart, ending now."""
    set_location_consent(api, worker, True)
    start = datetime.now(UTC) + timedelta(milliseconds=50)
    post(
        api,
        worker,
        [
            ping(
                start + timedelta(milliseconds=10 * i),
                i,
                latitude=lat + i * 0.0004,
                longitude=lon + i * 0.0003,
                horizontalAccuracy=acc,
            )
            for i in range(count)
        ],
    )


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
    set_location_consent(api, quiet, False)  # turned location sharing off
    # Ana's last ping (the 6th of her route) is inside a job site: the place is named after it.
    site = {
        "kind": "circle",
        "centre": {"latitude": 44.97 + 5 * 0.0004, "longitude": -93.26 + 5 * 0.0003},
        "radius": 60,
    }
    r = api.post(
        f"/accounts/{owner.account_id}/job-sites", json={"name": "Riverside yard", "area": site}, headers=owner.auth
    )
    assert r.status_code == 201, r.text
    _send_route(api, ana, 44.97, -93.26)
    _send_route(api, ben, 44.99, -93.20)
    wait_for(
        lambda: all(latest(api, owner)[u.user_id]["position"] for u in (ana, ben)),
        timeout=30,
        what="both positions stored",
    )

    sign_in(page, owner)
    rows = page.locator("#main table tbody tr")
    expect(rows).to_have_count(4)  # the owner and three members
    expect(page.locator(f'tr[data-user-id="{ana.user_id}"]')).to_contain_text("Ana Field")
    expect(page.locator(f'tr[data-user-id="{ana.user_id}"]')).to_contain_text("± 82 ft")  # a US account's units
    expect(page.locator(f'tr[data-user-id="{ana.user_id}"] .place')).to_have_text("Riverside yard")
    expect(page.locator(f'tr[data-user-id="{ben.user_id}"] .place')).to_contain_text("44.99")  # no site: coordinates
    expect(page.locator(f'tr[data-user-id="{ben.user_id}"]')).to_contain_text("s ago")
    expect(page.locator(f'tr[data-user-id="{quiet.user_id}"]')).to_contain_text("No position yet")
    # Sharing in words, from the API's state: the owner (no app) is not "not sharing" (issue 30).
    expect(page.locator(f'tr[data-user-id="{ana.user_id}"] .sharing')).to_have_text("Sharing location")
    expect(page.locator(f'tr[data-user-id="{quiet.user_id}"] .sharing')).to_have_text("Not sharing location")
    expect(page.locator(f'tr[data-user-id="{owner.user_id}"] .sharing')).to_have_text("You (not tracked)")
    expect(page.locator("#live-map")).to_have_attribute("data-rendered-points", "2")
    # The offline base map (Natural Earth land and borders, shipped with the portal) is drawn, not a grey canvas.
    expect(page.locator("#live-map")).to_have_attribute("data-base-map", "offline")
    expect(page.locator("#live-map .maplibregl-ctrl-attrib")).to_contain_text("Natural Earth")
    assert_accessible(page)

    # Polling: unchanged answers are 304s (If-None-Match); a new ping shows up without a reload.
    expect(page.locator("#main")).to_have_attribute("data-last-poll", "304")
    post(api, ben, [ping(datetime.now(UTC) + timedelta(milliseconds=50), latitude=45.5, longitude=-93.5)])
    expect(page.locator(f'tr[data-user-id="{ben.user_id}"]')).to_contain_text("45.5000, -93.5000", timeout=30_000)


def test_owner_opens_a_members_day_and_downloads_its_gpx(api: httpx.Client, page: Page) -> None:
    owner = register_owner(api)
    worker = add_member(api, owner)
    _rename(api, worker, "Dana Day")
    _send_route(api, worker, 44.95, -93.10, count=8)
    wait_for(lambda: latest(api, owner)[worker.user_id]["position"], timeout=30, what="the position stored")

    sign_in(page, owner, "/members")
    expect(page.locator("#members tbody tr")).to_have_count(2)
    assert_accessible(page)
    page.get_by_role("link", name="Day view of Dana Day").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dana Day: day view")
    expect(page.locator("#day-summary")).to_contain_text("8 points")
    expect(page.locator("#day-summary")).to_contain_text("travelled")  # the day's distance, from the timesheet
    expect(page.locator("#visits tbody")).to_contain_text("No visits to job sites")
    expect(page.locator("#day-map")).to_have_attribute("data-rendered-track", "8")
    assert_accessible(page)

    slider = page.locator("#day-replay")
    slider.focus()
    page.keyboard.press("Home")  # the replay is driven from the keyboard
    first = page.locator("#day-replay-time").text_content()
    assert slider.input_value() == "0" and first
    page.get_by_label("Track detail").select_option("50")
    expect(page.locator("#day-summary")).not_to_contain_text("8 points")  # simplified: fewer points

    with page.expect_download() as download:
        page.get_by_role("button", name="Download GPX").click()
    gpx = download.value.path().read_text()
    assert gpx.startswith("<?xml") and "<gpx" in gpx and gpx.count("<trkpt") >= 2
    assert download.value.suggested_filename.startswith("Dana_Day-") and download.value.suggested_filename.endswith(
        ".gpx"
    )


def test_owner_opens_a_photo_uploaded_through_the_upload_flow(api: httpx.Client, page: Page) -> None:
    """Issue 30's photos page: thumbnails straight from the list answer (no request per photo), opening one photo
    is one read in the worker's access log, the dialog shows the note written about the photo at its written time
    and fits a 1280x900 screen and a 360 px phone."""
    owner = register_owner(api)
    worker = add_member(api, owner)
    _rename(api, worker, "Pat Photo")
    for capability in ("camera", "location"):
        consent(api, worker, capability)
    taken = (datetime.now(UTC) + timedelta(seconds=2)).replace(microsecond=0)  # after the consent: place kept
    photo_id = upload(api, worker, images.jpeg(gps=(44.9778, -93.2650), taken=taken))
    assert settled(api, owner, photo_id)["status"] == "ready"
    written = (taken - timedelta(hours=3)).replace(second=0)  # the app's time, hours before the note was stored
    note = api.post(
        "/me/notes",
        json={"text": "Gate <b>B</b> was open", "photoId": photo_id, "at": written.isoformat()},
        headers=worker.auth,
    )
    assert note.status_code == 201, note.text

    def reads() -> int:
        items = api.get("/me/access-log", params={"limit": 200}, headers=worker.auth).json()["items"]
        return sum(e["count"] for e in items)  # reads: entries are coalesced per window, each counts its reads

    detail_calls: list[str] = []
    page.on("request", lambda r: detail_calls.append(r.url) if f"/photos/{photo_id}" in r.url else None)
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, owner, "/media")
    thumb = page.locator(f'button[data-photo-id="{photo_id}"] img')
    expect(thumb).to_be_visible()
    wait_for(
        lambda: thumb.evaluate("img => img.complete && img.naturalWidth > 0"),
        timeout=20,
        what="the thumbnail to load through its read link",
    )
    assert "/thumbnail.jpg?" in str(thumb.get_attribute("src"))  # the pipeline's copy, from the list answer
    assert [u for u in detail_calls if "/api/" in u] == []  # no API request per photo
    shown = page.evaluate(
        "iso => new Intl.DateTimeFormat(navigator.languages, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso))",
        written.isoformat(),
    )
    expect(page.locator(f'#notes tr[data-note-id="{note.json()["noteId"]}"]')).to_contain_text(shown)
    assert_accessible(page)
    before = reads()
    page.locator(f'button[data-photo-id="{photo_id}"]').click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Photo by Pat Photo")
    expect(dialog).to_contain_text("44.97780, -93.26500")
    expect(page.locator("#photo-note")).to_contain_text("Gate <b>B</b> was open")
    expect(page.locator("#photo-note")).to_contain_text(f"Written {shown}")
    display = page.locator("#photo-display")
    wait_for(
        lambda: display.evaluate("img => img.complete && img.naturalWidth > 0"),
        timeout=20,
        what="the display copy to load",
    )
    assert reads() == before + 1  # opening one photo: one read
    fits = """d => { const r = d.getBoundingClientRect();
        return r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight
            && d.scrollWidth <= d.clientWidth + 1 && (innerWidth < 700 || d.scrollHeight <= d.clientHeight + 1); }"""
    assert page.locator("#photo-viewer").evaluate(fits), "the dialog overflows 1280x900"
    assert_accessible(page)
    page.set_viewport_size({"width": 360, "height": 740})
    wait_for(lambda: page.locator("#photo-viewer").evaluate(fits), timeout=5, what="the dialog to fit 360 px")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_owner_invites_a_worker_who_accepts_through_the_emailed_link(
    api: httpx.Client, context: BrowserContext, page: Page, browser: Browser
) -> None:
    owner = register_owner(api)
    invitee, revoked = new_identity(), new_identity()
    sign_in(page, owner, "/members")
    expect(page.locator("#invitations")).to_contain_text("No pending invitations.")
    for who, name in ((revoked, "Rex Revoked"), (invitee, "Ivy Invited")):
        page.get_by_label("E-mail", exact=True).fill(who.email)
        page.get_by_label("Name (optional)").fill(name)
        page.get_by_label("Name (optional)").press("Enter")  # submitted from the keyboard
        expect(page.locator("#invitations")).to_contain_text(who.email)
    assert_accessible(page)
    page.get_by_role("button", name=f"Revoke the invitation to {revoked.email}").click()
    expect(page.locator("#invitations")).not_to_contain_text(revoked.email)

    [mail] = wait_for_mail(invitee.email, subject="invites you to join")
    [link] = mail.links("/join?invitation=")
    assert link.startswith(page.url.split("/members")[0])  # the e-mailed link opens the portal
    worker_context = browser.new_context(base_url=page.url.split("/members")[0])
    try:
        worker_page = worker_context.new_page()
        worker_page.goto(link)
        expect(worker_page.get_by_role("heading", level=1)).to_have_text("Join your team on IndusTrack")
        assert_accessible(worker_page)
        worker_page.get_by_role("link", name="Sign in").click()
        worker_page.get_by_label("User id").fill(invitee.user_id)
        worker_page.get_by_label("E-mail").fill(invitee.email)
        worker_page.get_by_role("button", name="Sign in", exact=True).click()
        worker_page.get_by_role("button", name="Accept the invitation").click()
        expect(worker_page.get_by_role("heading", level=1)).to_have_text("Connect my phone")
    finally:
        worker_context.close()

    page.reload()
    expect(page.locator(f'#members tr[data-user-id="{invitee.user_id}"]')).to_contain_text("Ivy Invited")
    expect(page.locator("#invitations")).to_contain_text("No pending invitations.")
    [revoked_mail] = wait_for_mail(revoked.email, subject="invites you to join")
    token = revoked_mail.links("/join?invitation=")[0].split("invitation=")[1]
    assert api.post(f"/invitations/{token}/accept", json={}, headers=revoked.auth).status_code == 410


def test_worker_changes_tracking_windows_and_sees_the_owners_reads(api: httpx.Client, page: Page) -> None:
    owner = register_owner(api)
    _rename(api, owner, "Olive Owner")
    worker = add_member(api, owner)
    _send_route(api, worker, 44.90, -93.00, count=3)
    wait_for(lambda: latest(api, owner)[worker.user_id]["position"], timeout=30, what="the position stored")
    r = api.get(f"/accounts/{owner.account_id}/members/{worker.user_id}/track", headers=owner.auth)
    assert r.status_code == 200, r.text

    sign_in(page, worker)
    expect(page.get_by_role("heading", level=1)).to_contain_text("my data")
    expect(page.locator("#my-track-summary")).to_contain_text("3 positions today")
    expect(page.locator("#my-map")).to_have_attribute("data-rendered-track", "3")
    expect(page.locator("#consents")).to_contain_text("Location: allowed")
    log = page.locator("#access-log")
    expect(log).to_contain_text("Olive Owner (Account Owner) viewed your location history (track)")
    expect(log).to_contain_text("Olive Owner (Account Owner) viewed your location on the live map")
    expect(log).not_to_contain_text("latest-positions")  # words, not the API's codes (issue 30)
    assert_accessible(page)

    page.locator("#windows-form").get_by_label("Time zone").fill("Europe/Berlin")
    page.get_by_role("button", name="Add a window").click()
    page.get_by_label("sat").check()
    page.get_by_label("From").fill("06:30")
    page.get_by_label("to", exact=True).fill("14:00")
    page.get_by_role("button", name="Save windows").click()
    expect(page.locator("#windows-form")).to_contain_text("Saved.")
    expect(page.locator("#windows-state")).to_have_text("Tracked only inside these windows.")
    saved = api.get("/me/tracking-schedule", headers=worker.auth).json()
    assert saved["timeZone"] == "Europe/Berlin" and saved["restricted"] is True
    assert saved["windows"] == [{"days": ["mon", "tue", "wed", "thu", "fri", "sat"], "start": "06:30", "end": "14:00"}]
    page.reload()
    expect(page.locator("#windows-form").get_by_label("Time zone")).to_have_value("Europe/Berlin")
    expect(page.get_by_label("From")).to_have_value("06:30")
    assert_accessible(page)


def test_markup_in_names_and_notes_renders_as_text(api: httpx.Client, page: Page) -> None:
    owner = register_owner(api)
    worker = add_member(api, owner)
    evil_name = "<img src=x onerror=\"document.title='pwned'\">"
    evil_note = "<script>document.title='pwned'</script><b id=injected>bold</b>"
    _rename(api, worker, evil_name)
    assert api.post("/me/notes", json={"text": evil_note}, headers=worker.auth).status_code == 201
    _send_route(api, worker, 44.80, -93.30, count=2)
    wait_for(lambda: latest(api, owner)[worker.user_id]["position"], timeout=30, what="the position stored")

    sign_in(page, owner)
    page.evaluate(
        "() => { window.__ran = []; document.addEventListener('securitypolicyviolation', "
        "e => window.__ran.push(e.violatedDirective)); }"
    )
    for path, where in (("/map", "#main table"), ("/members", "#members"), ("/media", "#notes")):
        name = {"/map": "Live map", "/members": "Members", "/media": "Photos and notes"}[path]
        page.get_by_role("link", name=name).click()
        expect(page.locator(where)).to_contain_text(evil_name if path != "/media" else evil_note)
        assert page.locator("img[src=x], #injected, #main script").count() == 0
        assert page.title() == f"{name} \u2013 IndusTrack"  # the route's own title, whatever the data holds
    # No script ran, and none was even attempted (a CSP report would mean markup reached the DOM).
    assert page.evaluate("() => window.__ran") == []


def test_one_accounts_owner_sees_nothing_of_another_account(api: httpx.Client, page: Page) -> None:
    a_owner, b_owner = register_owner(api), register_owner(api)
    a_worker, b_worker = add_member(api, a_owner), add_member(api, b_owner)
    _rename(api, a_worker, "Alma Ours")
    _rename(api, b_worker, "Bruno Theirs")
    assert api.post("/me/notes", json={"text": "B-only gate code"}, headers=b_worker.auth).status_code == 201
    assert api.post("/me/notes", json={"text": "A's gate code"}, headers=a_worker.auth).status_code == 201
    _send_route(api, b_worker, 45.10, -93.40, count=2)
    wait_for(lambda: latest(api, b_owner)[b_worker.user_id]["position"], timeout=30, what="B's position stored")

    sign_in(page, a_owner)
    for name in ("Live map", "Members", "Photos and notes", "My data"):
        nav_link(page, name).click()
        expect(page.locator("#main")).to_contain_text("Alma Ours" if name != "My data" else "Who looked at my data")
        page.wait_for_load_state("networkidle")
        text = page.locator("body").inner_text()
        assert "Bruno Theirs" not in text and "B-only" not in text and b_worker.user_id not in page.content()
    page.goto(f"/members/{b_worker.user_id}/day")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    assert "Bruno Theirs" not in page.locator("body").inner_text()


@pytest.mark.skipif(not os.environ.get("PORTAL_SCREENSHOTS"), reason="make screenshots: writes docs/portal-*.png")
def test_screenshots_for_the_readme(api: httpx.Client, page: Page) -> None:
    """Not a check: the README's pictures of the portal, taken from this stack so they show the current build."""
    owner = register_owner(api)
    crew = [add_member(api, owner) for _ in range(3)]
    for user, name, (lat, lon, acc) in zip(
        crew,
        ("Ana Field", "Ben Yard", "Cy Route"),
        ((44.977, -93.265, 40.0), (44.981, -93.255, 90.0), (44.973, -93.250, 25.0)),
        strict=True,
    ):
        _rename(api, user, name)
        _send_route(api, user, lat, lon, count=12, acc=acc)
    wait_for(lambda: all(latest(api, owner)[u.user_id]["position"] for u in crew), timeout=30, what="positions")
    page.set_viewport_size({"width": 1200, "height": 900})
    sign_in(page, owner)
    expect(page.locator("#live-map")).to_have_attribute("data-rendered-points", "3")
    screenshot(page, "map")
    page.get_by_role("link", name="Day view of Ana Field").click()
    expect(page.locator("#day-map")).to_have_attribute("data-rendered-track", "12")
    page.screenshot(path=str(ROOT / "docs" / "portal-day.png"), full_page=True)
