"""Sign-up to card on file in the owner portal (issue 16), in headless Chromium against the real local stack: a child
refused at registration with nothing kept; an Account Owner registering, confirming the address through the
e-mailed link and unsubscribing through another; Stripe's test card typed into the Stripe element (localstripe's
Stripe.js stand-in) and shown as brand and last four only; the past-due and suspended banners. Then the card number
is looked for in every request the page sent to our API, in the API host's log and in every store: nowhere.
axe-core runs on every new page (the card field itself is Stripe's and is left out)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Request, expect

from core.adapters.cosmos_billing import CosmosBillingStore
from core.domain import billing_state
from core.domain.billing import BillingStatus
from core.domain.email import EmailCategory
from core.services.outbox import enqueue_email
from tests import card_scan
from tests.helpers import rid
from tests.integration.card_store_scan import database, documents, scan_session
from tests.integration.conftest import Stack, User, new_identity
from tests.integration.portal_fixtures import (  # noqa: F401 - fixtures
    AXE,
    assert_accessible,
    browser_fixture,
    context_fixture,
    portal_fixture,
)
from tests.integration.test_email import (
    UNSUBSCRIBE_PAGE,
    VERIFY_PAGE,
    local_container,
    verification_link,
    wait_for_mail,
)

REFUSED = "the server responded with a status of 403"  # Chromium's console line for any 403 answer
VISA = "4242424242424242"  # Stripe's test card 4242 4242 4242 4242 (localstripe's element takes the digits only)
CARD_FIELD = "#card-element"
SLOW = 20_000  # ms, for answers that wait on Stripe (localstripe) on a busy machine


@pytest.fixture(name="page")
def page_fixture(context: BrowserContext) -> Iterator[Page]:
    """The shared page fixture's rule (no uncaught error, no console error), except the 403s this journey expects
    (Chromium logs every 4xx answer): "not registered yet" from GET /me and the child's refused registration; the
    test checks those answers itself (`refused`)."""
    p = context.new_page()
    p.set_default_timeout(20_000)
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.on("console", lambda m: errors.append(m.text) if m.type == "error" and REFUSED not in m.text else None)
    yield p
    assert not errors, f"uncaught errors in the page: {errors}"


def _accessible_but_the_card_field(page: Page) -> None:
    """axe-core on the page except Stripe's card field: in Azure a cross-origin Stripe iframe, locally localstripe's
    stand-in (bare inputs with placeholders); neither is ours to fix."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    found = page.evaluate(
        """async (field) => {
        const r = await axe.run({ exclude: [[field]] }, { resultTypes: ['violations'] });
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => ({ id: v.id, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5) }));
    }""",
        CARD_FIELD,
    )
    assert not found, f"axe-core: serious/critical violations on {page.url}: {found}"


def _sign_in_from(page: Page, who: User) -> None:
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("User id").fill(who.user_id)
    page.get_by_label("E-mail").fill(who.email)
    page.get_by_role("button", name="Sign in", exact=True).click()


def _register(page: Page, name: str, born: date) -> None:
    form = page.locator("#signup-form")
    form.get_by_label("Company").fill("Prairie Survey Co")
    form.get_by_label("Full legal name").fill(name)
    form.get_by_label("Address line 1").fill("12 Lake St")
    form.get_by_label("City").fill("Plymouth")
    form.get_by_label("State or region (optional)").fill("MN")
    form.get_by_label("Postal code").fill("55441")
    form.get_by_label("Country").fill("us")
    form.get_by_label("Time zone").select_option("America/Chicago")
    form.get_by_label("Date of birth").fill(born.isoformat())
    form.get_by_role("button", name="Register").click()


def _prefs(api: httpx.Client, user: User) -> dict[str, Any]:
    r = api.get("/me/email-preferences", headers=user.auth)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _set_status(stack: Stack, account_id: str, to: BillingStatus, since: datetime) -> None:
    """Arrange a billing state in the real store (what Stripe's failed payment and the grace timer would write)."""
    store = CosmosBillingStore(database(stack))
    current = store.get(account_id)
    assert current is not None
    moved = billing_state.transition(current, to, cause=f"test: {to.value}", now=since)
    assert store.replace_if_unchanged(moved, expected=current)


def test_owner_signs_up_verifies_and_puts_a_card_on_file_that_reaches_only_stripe(
    api: httpx.Client, stack: Stack, page: Page, portal: str
) -> None:
    sent: list[tuple[str, str]] = []  # every request the page made: (url, body)
    page.on("request", lambda r: sent.append((r.url, _body(r))))
    refused: list[str] = []  # every 403 answer the page got: "METHOD path"
    page.on(
        "response",
        lambda r: (
            refused.append(f"{r.request.method} {urlsplit(r.url).path.split('/api', 1)[-1]}")
            if r.status == 403
            else None
        ),
    )

    # A child: refused with the API's words; nothing about them is kept.
    child = new_identity()
    child_name = f"Kid {rid()}"
    page.goto("/signup")
    expect(page.get_by_role("heading", level=1)).to_have_text("Register your company")
    assert_accessible(page)
    _sign_in_from(page, child)
    expect(page.locator("#signup-form")).to_be_visible()
    assert page.locator("#su-email").input_value() == child.email  # from the sign-in
    assert_accessible(page)
    today = datetime.now(UTC).date()
    _register(page, child_name, today.replace(year=today.year - 12))
    expect(page.locator("#signup-outcome [role=alert]")).to_have_text(
        "We cannot create an account with the details given."
    )
    assert api.get("/me", headers=child.auth).json()["type"].endswith("/not-registered")
    assert refused == ["GET /me", "POST /accounts"]  # not registered yet; then the refusal
    kept = [
        f"{c}/{d.get('id')}"
        for c, d in documents(database(stack))
        if child_name in json.dumps(d) or child.email in json.dumps(d)
    ]
    assert kept == [], kept

    # The Account Owner registers and lands on billing (a full page load: its policy admits Stripe.js).
    owner = new_identity()
    page.get_by_role("button", name="Sign out").click()
    _sign_in_from(page, owner)
    _register(page, "Olga Owner", date(1984, 6, 1))
    expect(page.get_by_role("heading", level=1)).to_have_text("Billing")
    expect(page.locator("#welcome")).to_contain_text("Your account is registered")
    owner.account_id = api.get("/me", headers=owner.auth).json()["accountId"]
    assert refused == ["GET /me", "POST /accounts", "GET /me"]  # the owner, not registered before the form
    expect(page.locator("#billing-summary")).to_have_attribute("data-status", "trialing", timeout=SLOW)
    expect(page.locator("#billing-card")).to_have_text("No card on file")
    # The plan, its price and currency, as the payment provider holds them (localstripe: 9.00 USD a seat a month).
    plan = api.get(f"/accounts/{owner.account_id}/billing", headers=owner.auth).json()["plan"]
    assert (plan["unitAmount"], plan["currency"], plan["interval"]) == (900, "USD", "month")
    expect(page.locator("#billing-plan")).to_have_text(plan["name"])
    expect(page.locator("#billing-price")).to_have_text("$9.00 per seat a month")
    expect(page.locator("#billing-currency")).to_have_text("USD")
    expect(page.locator("#billing-total")).to_have_text("$9.00 a month for 1 seat once the trial ends")

    # The e-mailed verification link opens the portal; opening it changes nothing, the button confirms.
    link = verification_link(wait_for_mail(owner.email, subject="Confirm your e-mail address")[0])
    assert link.startswith(portal + VERIFY_PAGE)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your e-mail address")
    assert "token" not in page.url  # taken out of the address bar
    assert_accessible(page)
    assert _prefs(api, owner)["verified"] is False
    page.get_by_role("button", name="Confirm my address").click()
    expect(page.locator("#verify-outcome")).to_contain_text(f"{owner.email} is confirmed")
    assert _prefs(api, owner)["verified"] is True

    # The unsubscribe link of an optional e-mail opens the portal too.
    deps = local_container()
    enqueue_email(
        outbox=deps.outbox,
        category=EmailCategory.PRODUCT_UPDATES,
        template="product-update",
        to_user_id=owner.user_id,
        context={"title": "Portal news", "body": "Billing page."},
        dedupe_key=rid("signup-news-"),
        clock=deps.clock,
    )
    [news] = wait_for_mail(owner.email, subject="Portal news")
    [unsubscribe] = news.links(UNSUBSCRIBE_PAGE)
    assert unsubscribe.startswith(portal + UNSUBSCRIBE_PAGE)
    page.goto(unsubscribe)
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribe")
    assert_accessible(page)
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.locator("#unsubscribe-outcome")).to_contain_text("no longer receive product update e-mails")
    assert {c["category"]: c["subscribed"] for c in _prefs(api, owner)["categories"]}["product-updates"] is False

    # The card, typed into the Stripe element; the page shows what Stripe reports: brand and last four.
    page.goto("/billing")
    field = page.locator(CARD_FIELD)
    field.locator("input[placeholder=number]").fill(VISA)
    field.locator("input[placeholder=exp_month]").fill("12")
    field.locator("input[placeholder=exp_year]").fill("31")
    field.locator("input[placeholder=cvc]").fill("123")
    field.locator("input[placeholder=postal_code]").fill("55441")
    page.get_by_role("button", name="Save card").click()
    expect(page.locator("#card-outcome")).to_have_text("The card is on file.", timeout=SLOW)  # several Stripe calls
    expect(page.locator("#billing-card")).to_have_text("visa ending 4242")
    expect(page.locator("#billing-summary")).to_contain_text("Trial ends")
    assert VISA not in page.locator("#main").inner_text()
    # The card field is empty again after saving: the number typed does not stay on the screen.
    expect(field.locator("input[placeholder=number]")).to_have_value("")
    assert field.locator("input").evaluate_all("inputs => inputs.map(i => i.value)") == [""] * 5
    _accessible_but_the_card_field(page)

    # What to do when a payment failed, then when the grace period ended.
    since = datetime.now(UTC).replace(microsecond=0)
    _set_status(stack, owner.account_id, BillingStatus.PAST_DUE, since)
    page.reload()
    banner = page.locator("#billing-banner")
    expect(banner).to_contain_text("A payment failed")
    expect(banner).to_contain_text("Put a working card on file below before")
    expect(page.locator("#billing-summary")).to_contain_text("Suspended unless paid by")
    _accessible_but_the_card_field(page)
    _set_status(stack, owner.account_id, BillingStatus.SUSPENDED, since + timedelta(seconds=1))
    page.reload()
    expect(banner).to_contain_text("The account is suspended")
    expect(banner).to_contain_text("To end the suspension, put a working card on file below")
    expect(page.locator("#billing-card")).to_have_text("visa ending 4242")
    _accessible_but_the_card_field(page)

    # The card number went to localstripe only: not in any request to our API, not in the API's log or stores.
    api_origin = f"{urlsplit(stack.base_url).scheme}://{urlsplit(stack.base_url).netloc}"
    to_api = [(u, b) for u, b in sent if u.startswith(api_origin)]
    to_stripe = [(u, b) for u, b in sent if "/v1/setup_intents/" in u and not u.startswith(api_origin)]
    assert any(u.endswith("/billing/card") for u, _ in to_api), "the page told the API which SetupIntent"
    assert [card_scan.card_numbers(b) for _, b in to_stripe] == [[VISA]]  # the scan sees what went to Stripe
    assert [u for u, b in to_api if card_scan.card_numbers(u + b)] == []
    scan = scan_session(stack)
    assert scan.documents > 0 and scan.log_lines > 0
    assert "function=put_card_on_file" in stack.host_log()  # the log covers the request that named the card
    assert [str(h) for h in scan.hits] == [], "card numbers in the API's log or stores"


def _body(request: Request) -> str:
    try:
        return request.post_data or ""
    except UnicodeDecodeError:
        return ""
