"""The portal's privacy centre and platform admin pages in headless Chromium against the real local stack (issue 16):
a policy version posted through the admin page shows up as a banner and a line diff; an export requested on the page
is downloaded as a ZIP through its short-lived link; closure is refused without the typed company name and done with
it; a non-admin does not get the admin page and the API refuses them. axe-core runs on every new page."""

from __future__ import annotations

import io
import json
import zipfile

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.integration.conftest import User, add_member, new_identity, register_owner, registration_body
from tests.integration.portal_fixtures import (  # noqa: F401 - fixtures
    assert_accessible,
    browser_fixture,
    context_fixture,
    nav_link,
    page_fixture,
    portal_fixture,
    sign_in,
)

ADDED = "Location pings are kept for at most one year unless the Account Owner chooses less."
REMOVED_PREFIX = "## Who we are"


def _admin_sign_in(page: Page, admin: User) -> None:
    page.goto("/admin")
    page.get_by_label("User id").fill(admin.user_id)
    page.get_by_label("E-mail").fill(admin.email)
    page.get_by_label("With the platform-admin role").check()
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_test_id("signed-in-as").wait_for()


def register_owner_as(api: httpx.Client, user: User) -> str:
    r = api.post("/accounts", json=registration_body(email=user.email), headers=user.auth)
    assert r.status_code == 201, r.text
    return str(r.json()["account"]["accountId"])


def _lines(text: str) -> set[str]:
    return {line for line in text.replace("\r\n", "\n").split("\n") if line.strip()}


def test_admin_posts_a_version_that_owners_see_as_a_banner_and_a_diff(
    api: httpx.Client, page: Page, browser: Browser, portal: str
) -> None:
    current = api.get("/policy").json()["current"]["text"]
    changed = current.replace(REMOVED_PREFIX, "## Who we are, and who runs the service", 1) + f"\n{ADDED}\n"
    admin = new_identity(admin=True)
    admin.account_id = register_owner_as(api, admin)  # a platform admin who also owns an account (no 403 on /me)

    _admin_sign_in(page, admin)
    expect(page.get_by_role("heading", level=1)).to_have_text("Platform administration")
    expect(page.locator("#purge-runs")).to_be_visible()
    counts = api.get("/admin/analytics/page-views", params={"days": 30}, headers=admin.auth).json()
    expect(page.locator("#page-view-counts p").first).to_contain_text(f"{counts['total']} views")  # the API's figure
    assert_accessible(page)
    page.get_by_label("Policy text (Markdown)").fill(changed)
    page.get_by_label("What changed, in plain words").fill("How long location pings are kept.")
    page.get_by_role("button", name="Post the version").click()
    expect(page.locator("#policy-posted")).to_contain_text("is posted")
    mine = [
        v for v in api.get("/policy/versions").json()["items"] if v["summary"] == "How long location pings are kept."
    ]
    assert len(mine) == 1 and mine[0]["state"] == "upcoming"
    assert api.get(f"/policy/versions/{mine[0]['versionId']}").json()["text"] == changed.strip()

    # Legal holds from the same page: placed, listed, lifted (the API's record says so).
    page.get_by_label("Account id").fill(admin.account_id)
    page.get_by_label("Reason").fill("Dispute 42")
    page.get_by_role("button", name="Place the hold").click()
    row = page.locator("#holds-table tbody tr[data-active=true]")
    expect(row).to_contain_text("Dispute 42")
    row.get_by_role("button", name="Lift", exact=False).click()
    expect(page.locator("#holds-table tbody tr[data-active=false]")).to_have_count(1)
    holds = api.get(f"/platform/accounts/{admin.account_id}/legal-holds", headers=admin.auth).json()["items"]
    assert len(holds) == 1 and holds[0]["liftedBy"] == admin.user_id

    # An owner (the API's upcoming version may be an earlier-posted one when other tests posted before): the banner
    # names it, and the diff shows exactly the lines it adds and removes.
    upcoming = api.get("/policy").json()["upcoming"]
    owner = register_owner(api)
    other = browser.new_context(base_url=portal, viewport={"width": 1280, "height": 900})
    try:
        owner_page = other.new_page()
        owner_page.set_default_timeout(20_000)
        sign_in(owner_page, owner, "/privacy")
        banner = owner_page.locator("#policy-banner")
        expect(banner).to_contain_text(f"version {upcoming['versionId']}")
        expect(owner_page.locator("h2#policy-upcoming")).to_contain_text(upcoming["versionId"])
        added = _lines(upcoming["text"]) - _lines(current)
        removed = _lines(current) - _lines(upcoming["text"])
        shown_added = set(owner_page.locator("#policy-diff li[data-op=added] ins").all_text_contents())
        shown_removed = set(owner_page.locator("#policy-diff li[data-op=removed] del").all_text_contents())
        assert added <= shown_added and removed <= shown_removed
        if upcoming["versionId"] == mine[0]["versionId"]:  # this module alone: exactly the two edits
            assert ADDED in shown_added and any(t.startswith(REMOVED_PREFIX) for t in shown_removed)
            expect(owner_page.locator("#policy-diff-summary")).to_contain_text("added, 1 line removed.")
        for markup in ("<script", "<img"):
            assert markup not in owner_page.locator("#policy-diff").inner_html()
        assert_accessible(owner_page)

        # A non-admin does not get the admin page, and the API refuses them.
        nav_link(owner_page, "Privacy").wait_for()
        assert owner_page.get_by_role("link", name="Platform admin").count() == 0
        owner_page.goto("/admin")
        expect(owner_page.locator("#admin-refused")).to_be_visible()
        assert owner_page.locator("#policy-form, #hold-form").count() == 0
        expect(owner_page.locator("#policy-banner")).to_be_visible()  # the banner is on every page
        assert_accessible(owner_page)
    finally:
        other.close()
    body = {"text": changed + "\nMore.", "summary": "Not allowed."}
    assert api.post("/admin/policy/versions", json=body, headers=owner.auth).status_code == 403
    assert api.get("/platform/purge-runs", headers=owner.auth).status_code == 403


def test_owner_downloads_an_export_then_closes_the_account_with_the_typed_name(api: httpx.Client, page: Page) -> None:
    owner = register_owner(api)
    worker = add_member(api, owner)
    version = api.get("/policy").json()["current"]["versionId"]

    sign_in(page, owner, "/privacy")
    page.locator(f'[id="ack-{version}"]').click()
    expect(page.locator(f'[id="ack-{version}-state"]')).to_contain_text("Recorded")
    page.get_by_label("A copy of my data").check()
    page.get_by_role("button", name="Send my request").click()
    row = page.locator("#requests tbody tr[data-request-id]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("A copy of my data")
    expect(row).to_have_attribute("data-status", "completed", timeout=60_000)  # the page polls until answered
    assert_accessible(page)
    request = api.get("/me/data-requests", headers=owner.auth).json()["items"][0]
    expect(row.locator("td").nth(2)).not_to_be_empty()  # the due date
    with page.expect_download() as download:
        row.get_by_role("link", name="Download my data (ZIP)").click()
    data = download.value.path().read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        assert {"profile.json", "README.txt", "policy-acknowledgements.json"} <= names, names
        acks = archive.read("policy-acknowledgements.json").decode()
        profile = json.loads(archive.read("profile.json"))
    assert version in acks and '"web"' in acks  # the acknowledgement made on the page, in the export
    assert owner.email in json.dumps(profile)
    assert request["status"] == "completed"
    assert request.get("downloadUrl") is not None  # (never printed: it carries a read signature)

    # Closure: what the law keeps comes from the server's table.
    page.get_by_role("link", name="What closing keeps, and closing the account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Close the account")
    terms = api.get(f"/accounts/{owner.account_id}/closure", headers=owner.auth).json()
    kept = page.locator("#kept-after-closure tbody tr")
    expect(kept).to_have_count(len(terms["keptAfterClosure"]))
    for category in terms["keptAfterClosure"]:
        expect(page.locator(f'#kept-after-closure tr[data-category="{category["category"]}"]')).to_contain_text(
            f"{category['days']} days"
        )
    expect(page.locator("#closure-window")).to_contain_text(f"{terms['closedAccountDays']} days")
    expect(page.locator("#closure-workers")).to_contain_text("you and 1 member")
    assert_accessible(page)

    page.get_by_label("Type the company name").fill("Other Co")
    page.get_by_role("button", name="Close the account for good").click()
    expect(page.locator("#closure-refused")).to_be_visible()
    assert api.get("/me", headers=worker.auth).status_code == 200
    assert api.get("/me", headers=owner.auth).status_code == 200
    # The API refuses a wrong typed name too, even with a valid confirmation phrase.
    path = f"/accounts/{owner.account_id}/closure"
    phrase = api.post(path, json={}, headers=owner.auth).json()["confirmationPhrase"]
    r = api.post(path, json={"confirm": phrase, "typedName": "Other Co"}, headers=owner.auth)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "typedName"
    assert api.get("/me", headers=worker.auth).status_code == 200

    page.get_by_label("Type the company name").fill("  field co ")
    page.get_by_role("button", name="Close the account for good").click()
    expect(page.locator("#closure-done")).to_contain_text("The account is closed")
    for user in (owner, worker):
        r = api.get("/me", headers=user.auth)
        assert r.status_code == 403 and r.json()["type"].endswith("/access-ended")

    # Signing in again after the closure (issue 30), in a new tab: the page says the account is closed, when, and
    # what is kept about the person and until when; it does not fall back to a bare sign-in page. The one console
    # error allowed is the browser's note of the API's 403 access-ended answer to /me, which is how it finds out.
    again = page.context.new_page()
    refused: list[str] = []
    again.on("console", lambda m: refused.append(m.location.get("url", "")) if m.type == "error" else None)
    again.on("pageerror", lambda e: refused.append(f"uncaught: {e}"))
    sign_in_page = again.goto(page.url.split("/privacy")[0] + "/signin")
    assert sign_in_page is not None and sign_in_page.ok
    again.get_by_label("User id").fill(owner.user_id)
    again.get_by_label("E-mail").fill(owner.email)
    again.get_by_role("button", name="Sign in", exact=True).click()
    expect(again.get_by_role("heading", level=1)).to_have_text("This account is closed")
    held = api.get("/me/held-data", headers=owner.auth).json()
    assert held["access"] == "closed" and held["accountClosedAt"]
    expect(again.locator("#former-why")).to_contain_text("It was closed on")
    last = max(k["keptUntil"] for k in held["kinds"] if k["keptUntil"])
    expect(again.locator("#former-kept-until")).to_contain_text(str(int(last[:4])))  # the last deadline's year
    expect(again.locator("#held-data tbody tr[data-kind]")).to_have_count(len(held["kinds"]))
    assert again.title() == "This account is closed \u2013 IndusTrack"
    assert_accessible(again)
    assert refused and all(url.endswith("/api/me") for url in refused), refused
    again.close()


def test_a_member_leaves_on_the_page_and_then_sees_only_what_is_kept_about_them(api: httpx.Client, page: Page) -> None:
    """Issue 28: a member leaves from the privacy centre; the portal then shows only the limited view (what is kept
    about them and until when, their export and erasure, their requests), axe-clean, and nothing of the account."""
    owner = register_owner(api)
    worker = add_member(api, owner)
    sign_in(page, worker, "/privacy")
    page.get_by_role("button", name="Leave this account").click()
    expect(page.get_by_role("alert")).to_contain_text("Tick the box first")
    assert api.get("/me", headers=worker.auth).status_code == 200
    page.get_by_label("I understand that my access ends at once").check()
    page.get_by_role("button", name="Leave this account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your access to this account has ended")
    r = api.get("/me", headers=worker.auth)
    assert r.status_code == 403 and r.json()["type"].endswith("/access-ended")
    expect(page.locator("#former-why")).to_contain_text("no longer a member")
    expect(page.locator('#held-data tr[data-kind="profiles"]')).to_contain_text("1")
    assert owner.email not in page.content() and owner.user_id not in page.content()
    assert_accessible(page)
    page.get_by_role("button", name="Download my data").click()
    row = page.locator("#requests tbody tr[data-request-id]")
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-status", "completed", timeout=60_000)
    expect(row.get_by_role("link", name="Download my data (ZIP)")).to_be_visible()
    page.get_by_role("button", name="Erase my data").click()
    expect(page.get_by_role("alert")).to_contain_text("cannot be undone")
    page.get_by_label("I understand that erasure cannot be undone").check()
    page.get_by_role("button", name="Erase my data").click()
    expect(page.locator("#requests tbody tr[data-request-id]")).to_have_count(2)
    assert_accessible(page)
