"""E-mail against the real local stack: verification, invitations, preferences, one-click unsubscribe, open/click
tracking, escaping, and the SMTP-down -> retries -> poison -> replay path.

The helpers at the top (reading the SMTP server's Maildir, following links) are used by test_policy.py too."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import mailbox
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

import httpx
import pytest

from core.bootstrap import Container
from core.domain.email import EmailCategory
from core.services.outbox import enqueue_email
from core.settings import Settings
from core.signing import LinkSigner
from tests.helpers import rid, wait_for
from tests.integration.conftest import User, bearer, new_identity, register_owner, registration_body
from tests.integration.portal_address import PORTAL_URL

ROOT = Path(__file__).resolve().parents[2]
MAILDIR = ROOT / ".local" / "mail"


@dataclass
class Mail:
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        return str(body.get_content())

    @property
    def text(self) -> str:
        return self.part("plain")

    @property
    def html(self) -> str:
        return self.part("html")

    def links(self, path: str) -> list[str]:
        """Absolute links in the text part whose path contains `path`, e.g. '/api/email/verify/'."""
        return [u for u in re.findall(r"https?://\S+", self.text) if path in u]

    def header(self, name: str) -> str | None:
        value = self.message[name]
        return str(value) if value is not None else None


_read: dict[tuple[str, str], tuple[str, bytes]] = {}  # (maildir, key) -> (envelope recipients, message)


def mails_to(address: str, maildir: Path = MAILDIR) -> list[Mail]:
    """Every message the SMTP server stored for `address` (each message file is read once per test session)."""
    box = mailbox.Maildir(str(maildir), create=False)
    found: list[Mail] = []
    for key in box.iterkeys():
        if (str(maildir), key) not in _read:
            try:
                raw = box.get_bytes(key)
            except (KeyError, FileNotFoundError):
                continue
            head = raw.split(b"\r\n", 1)[0].decode(errors="replace")
            _read[(str(maildir), key)] = (head.lower() if head.startswith("X-Envelope-To:") else "", raw)
        recipients, raw = _read[(str(maildir), key)]
        if address.lower() in recipients:
            message = email.message_from_bytes(raw, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            found.append(Mail(message))
    return found


def wait_for_mail(
    address: str, *, count: int = 1, subject: str | None = None, timeout: float = 30, maildir: Path = MAILDIR
) -> list[Mail]:
    def arrived() -> list[Mail]:
        mails = [m for m in mails_to(address, maildir) if subject is None or subject in m.subject]
        return mails if len(mails) >= count else []

    return wait_for(arrived, timeout=timeout, interval=0.2, what=f"{count} e-mail(s) to {address}")


def token_of(url: str) -> str:
    return unquote(urlsplit(url).path.rsplit("/", 1)[1])


VERIFY_PAGE = "/verify-email?token="  # the portal page an e-mailed verification link opens
UNSUBSCRIBE_PAGE = "/unsubscribe?token="  # the portal page an e-mailed unsubscribe link opens


def page_token(url: str) -> str:
    """The signed token of a portal link (`<portal>/verify-email?token=...`, `<portal>/unsubscribe?token=...`)."""
    [token] = parse_qs(urlsplit(url).query)["token"]
    return token


def verify_path(url: str) -> str:
    """The API call the portal's verification page makes for an e-mailed link."""
    assert url.startswith(PORTAL_URL + VERIFY_PAGE), url  # the link opens the portal
    return f"/email/verify/{quote(page_token(url), safe='')}"


def verification_link(mail: Mail) -> str:
    [link] = mail.links(VERIFY_PAGE)
    return link


def invitation_of(url: str) -> str:
    """The invitation token of a portal join link (`<portal>/join?invitation=<token>`)."""
    [token] = parse_qs(urlsplit(url).query)["invitation"]
    return token


def api_path(url: str) -> str:
    """The part after /api of a link in an e-mail (the links point at PUBLIC_BASE_URL, not the test host)."""
    return urlsplit(url).path.split("/api", 1)[1]


def verify_owner(api: httpx.Client, owner: User) -> None:
    """Follow the verification link the owner's registration sent."""
    [mail] = wait_for_mail(owner.email, subject="Confirm your e-mail address")
    r = api.post(verify_path(verification_link(mail)))
    assert r.status_code == 200, r.text
    assert api.get("/me/email-preferences", headers=bearer(owner.token)).json()["verified"] is True


def local_container() -> Container:
    """The test process's own container: the same database and queues as the local host (same environment)."""
    return Container(Settings())


def _me_prefs(api: httpx.Client, user: User) -> dict[str, bool]:
    r = api.get("/me/email-preferences", headers=user.auth)
    assert r.status_code == 200, r.text
    return {c["category"]: c["subscribed"] for c in r.json()["categories"]}


def _outbox_state(api: httpx.Client, admin: User, outbox_id: str) -> dict[str, object]:
    r = api.get(f"/admin/email/outbox/{outbox_id}", headers=admin.auth)
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


@pytest.fixture(scope="module")
def admin() -> User:
    return new_identity(admin=True)


@pytest.fixture
def verified_owner(api: httpx.Client) -> User:
    owner = register_owner(api)
    verify_owner(api, owner)
    return owner


def _enqueue(
    deps: Container,
    user: User,
    category: EmailCategory,
    template: str,
    context: dict[str, object],
    key: str | None = None,
) -> str:
    entry = enqueue_email(
        outbox=deps.outbox,
        category=category,
        template=template,
        to_user_id=user.user_id,
        context=context,
        dedupe_key=key or rid(f"{template}-"),
        clock=deps.clock,
    )
    return entry.outbox_id


# ---------------------------------------------------------------- verification


def test_verification_email_arrives_its_link_verifies_once_and_an_expired_one_is_refused(api: httpx.Client) -> None:
    owner = register_owner(api)
    assert api.get("/me/email-preferences", headers=owner.auth).json()["verified"] is False
    [mail] = wait_for_mail(owner.email, subject="Confirm your e-mail address")
    link = verification_link(mail)
    assert link in mail.html  # the same link in both parts
    assert mail.message.get_content_type() == "multipart/alternative"
    # The link opens the portal's page, which completes it through the API; the API's own confirm page stays for
    # clients without the portal, and opening it changes nothing (mail scanners that prefetch links).
    page = api.get(verify_path(link))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert api.get("/me/email-preferences", headers=owner.auth).json()["verified"] is False

    # The same link with its expiry moved into the past (validly signed) is refused and changes nothing.
    token = page_token(link)
    settings = Settings()
    signer = LinkSigner(settings.token_signing_key.get_secret_value().encode())
    payload = signer.verify("email-verification", token, now=datetime.now(UTC))
    expired = signer.sign(
        "email-verification",
        {k: v for k, v in payload.items() if k != "exp"},
        expires_at=datetime.now(UTC) - timedelta(seconds=5),
    )
    r = api.post(f"/email/verify/{expired}")
    assert r.status_code == 410 and "expired" in r.json()["detail"]
    tampered = token.replace(".", "A.", 1)
    assert api.post(f"/email/verify/{tampered}").status_code == 410

    r = api.post(verify_path(link))
    assert r.status_code == 200 and r.json() == {"status": "verified", "email": owner.email}
    assert api.get("/me/email-preferences", headers=owner.auth).json()["verified"] is True
    again = api.post(verify_path(link))
    assert again.status_code == 410 and again.headers["content-type"] == "application/problem+json"


def test_address_change_waits_for_its_link_then_tells_the_old_address(api: httpx.Client, verified_owner: User) -> None:
    new_address = f"{rid('new-')}@example.com"
    r = api.patch("/me", json={"email": new_address}, headers=verified_owner.auth)
    assert r.status_code == 200, r.text
    assert r.json() == {**r.json(), "email": verified_owner.email, "emailVerified": True, "pendingEmail": new_address}
    # Not applied: the profile, the owner's member list and the address in use stay until the link is used.
    assert api.get("/me", headers=verified_owner.auth).json()["email"] == verified_owner.email
    members = api.get(f"/accounts/{verified_owner.account_id}/members", headers=verified_owner.auth).json()["items"]
    assert [m["email"] for m in members] == [verified_owner.email]
    prefs = api.get("/me/email-preferences", headers=verified_owner.auth).json()
    assert prefs == {**prefs, "email": verified_owner.email, "verified": True}
    [mail] = wait_for_mail(new_address, subject="Confirm your e-mail address")
    assert not [m for m in mails_to(verified_owner.email) if "was changed" in m.subject]
    assert api.post(verify_path(verification_link(mail))).status_code == 200
    me = api.get("/me", headers=verified_owner.auth).json()
    assert me == {**me, "email": new_address, "emailVerified": True, "pendingEmail": None}
    assert api.get("/me/email-preferences", headers=verified_owner.auth).json()["email"] == new_address
    [changed] = wait_for_mail(verified_owner.email, subject="was changed")
    assert new_address in changed.text


def test_resend_sends_a_new_link_and_the_old_one_stops_working(api: httpx.Client) -> None:
    owner = register_owner(api)
    [first] = wait_for_mail(owner.email, subject="Confirm")
    r = api.post("/me/email-verification", headers=owner.auth)
    assert r.status_code == 202 and r.json()["email"] == owner.email
    mails = wait_for_mail(owner.email, subject="Confirm", count=2)
    [second] = [m for m in mails if verification_link(m) != verification_link(first)]
    assert api.post(verify_path(verification_link(first))).status_code == 410
    assert api.post(verify_path(verification_link(second))).status_code == 200


def test_html_in_a_users_name_arrives_escaped(api: httpx.Client) -> None:
    owner = new_identity()
    name = '<b>Ada</b> <img src=x onerror="alert(1)">'
    r = api.post("/accounts", json=registration_body(email=owner.email, fullLegalName=name), headers=owner.auth)
    assert r.status_code == 201, r.text
    [mail] = wait_for_mail(owner.email, subject="Confirm")
    assert "<b>Ada</b>" not in mail.html and "<img src=x" not in mail.html
    assert "&lt;b&gt;Ada&lt;/b&gt; &lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in mail.html
    assert name in mail.text  # the plain-text part is not markup


def test_invitation_email_arrives_with_the_invitation(api: httpx.Client, owner: User) -> None:
    invited = f"{rid('inv-')}@example.com"
    r = api.post(
        f"/accounts/{owner.account_id}/invitations",
        json={"email": invited, "fullName": "<i>Wo</i>"},
        headers=owner.auth,
    )
    assert r.status_code == 201, r.text
    [mail] = wait_for_mail(invited, subject="invites you to join")
    # The link opens the portal's join page, which reads the invitation through the API's preview.
    [link] = mail.links("/join?invitation=")
    assert link in mail.html and link.startswith(PORTAL_URL)
    token = invitation_of(link)
    assert token == r.json()["token"]
    preview = api.get(f"/invitations/{quote(token, safe='')}")
    assert preview.status_code == 200, preview.text
    assert preview.json() == {
        **preview.json(),
        "email": invited,
        "status": "pending",
        "acceptMethod": "POST",
        "acceptPath": f"/api/invitations/{r.json()['token']}/accept",
    }
    assert "&lt;i&gt;Wo&lt;/i&gt;" in mail.html
    assert mail.header("List-Unsubscribe") is None  # transactional


# ---------------------------------------------------------------- preferences, unsubscribe, tracking


def test_preferences_opt_out_of_optional_mail_but_not_legal_notices(
    api: httpx.Client, verified_owner: User, admin: User
) -> None:
    owner = verified_owner
    assert _me_prefs(api, owner) == {
        "account": True,
        "legal": True,
        "product-updates": True,
        "tips": True,
        "job-site-visits": False,
    }
    r = api.put("/me/email-preferences", json={"categories": {"legal": False}}, headers=owner.auth)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "categories.legal"
    r = api.put(
        "/me/email-preferences", json={"categories": {"tips": False, "product-updates": False}}, headers=owner.auth
    )
    assert r.status_code == 200, r.text
    assert _me_prefs(api, owner) == {
        "account": True,
        "legal": True,
        "product-updates": False,
        "tips": False,
        "job-site-visits": False,
    }

    deps = local_container()
    tips = _enqueue(deps, owner, EmailCategory.TIPS, "tips", {"title": "A tip", "body": "Filter by day."})
    legal = _enqueue(
        deps,
        owner,
        EmailCategory.LEGAL,
        "policy-notice",
        {
            "version_id": "2099-01-01",
            "summary": "Clearer words.",
            "effective_date": "2099-01-31",
            "policy_url": "https://industrack.com/policy",
        },
    )
    [notice] = wait_for_mail(owner.email, subject="changes on 2099-01-31")
    assert "/api/t/" not in notice.html  # legal mail is never tracked
    wait_for(lambda: _outbox_state(api, admin, tips)["state"] == "suppressed", what="the tip to be suppressed")
    assert _outbox_state(api, admin, tips)["suppressedReason"] == "opted out"
    assert _outbox_state(api, admin, legal)["state"] == "sent"
    assert not [m for m in mails_to(owner.email) if m.subject == "A tip"]


def test_unverified_address_gets_no_optional_mail(api: httpx.Client, owner: User, admin: User) -> None:
    outbox_id = _enqueue(
        local_container(), owner, EmailCategory.PRODUCT_UPDATES, "product-update", {"title": "News", "body": "b"}
    )
    wait_for(lambda: _outbox_state(api, admin, outbox_id)["state"] == "suppressed", what="suppression")
    assert _outbox_state(api, admin, outbox_id)["suppressedReason"] == "address not verified"


def test_unsubscribe_link_works_once_and_a_tampered_one_fails(api: httpx.Client, verified_owner: User) -> None:
    owner = verified_owner
    _enqueue(
        local_container(),
        owner,
        EmailCategory.PRODUCT_UPDATES,
        "product-update",
        {"title": "What is new", "body": "Faster maps."},
    )
    [mail] = wait_for_mail(owner.email, subject="What is new")
    header = mail.header("List-Unsubscribe")
    assert header is not None and header.startswith("<") and header.endswith(">")
    assert mail.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    link = header.strip("<>")  # the one-click target stays the API (RFC 8058: the mail client POSTs to it)
    assert "/api/email/unsubscribe/" in link and not link.startswith(PORTAL_URL)
    token = token_of(link)
    [page] = mail.links(UNSUBSCRIBE_PAGE)  # the link in the text opens the portal's page, with the same token
    assert page.startswith(PORTAL_URL + UNSUBSCRIBE_PAGE) and page_token(page) == token
    assert page in mail.html and link not in mail.text
    body, mac = token.split(".")
    tampered_payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    tampered_payload["c"] = "tips"
    forged = base64.urlsafe_b64encode(json.dumps(tampered_payload).encode()).decode().rstrip("=") + "." + mac
    assert api.post(f"/email/unsubscribe/{forged}").status_code == 410
    assert api.get(api_path(link)).status_code == 200  # the confirm page changes nothing
    assert _me_prefs(api, owner)["product-updates"] is True
    # RFC 8058 one-click: the mail client POSTs the form body to the header's URL, no login.
    r = api.post(
        api_path(link),
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 200 and r.json() == {"status": "unsubscribed", "category": "product-updates"}
    assert _me_prefs(api, owner) == {
        "account": True,
        "legal": True,
        "product-updates": False,
        "tips": True,
        "job-site-visits": False,
    }
    assert api.post(api_path(link)).status_code == 410  # once
    browser = api.post(api_path(link), headers={"Accept": "text/html"})
    assert browser.status_code == 410


def test_open_pixel_and_click_redirect_only_to_the_signed_target(
    api: httpx.Client, verified_owner: User, admin: User
) -> None:
    target = "https://industrack.com/tips/maps?x=1&y=2"
    outbox_id = _enqueue(
        local_container(),
        verified_owner,
        EmailCategory.TIPS,
        "tips",
        {"title": "Tracked tip", "body": "b", "url": target},
    )
    [mail] = wait_for_mail(verified_owner.email, subject="Tracked tip")
    [click] = mail.links("/api/t/c/")
    pixel = re.search(r'<img src="([^"]+/api/t/o/[^"]+)"', mail.html)
    assert pixel is not None and target not in mail.html.replace("&amp;", "&")

    r = api.get(api_path(pixel.group(1)))
    assert r.status_code == 200 and r.headers["content-type"] == "image/gif" and r.content.startswith(b"GIF89a")
    r = api.get(api_path(click), follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"] == target
    state = _outbox_state(api, admin, outbox_id)
    assert state["openCount"] == 1 and state["clickCount"] == 1 and state["tracked"] is True

    token = token_of(click)
    body, mac = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["u"] = "https://evil.example.net/phish"
    changed = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=") + "." + mac
    for bad in (changed, body + ".", "https%3A%2F%2Fevil.example.net"):
        r = api.get(f"/t/c/{bad}", follow_redirects=False)
        assert r.status_code in (404, 410) and "location" not in r.headers  # 404: no route for a bare URL
    assert _outbox_state(api, admin, outbox_id)["clickCount"] == 1
    assert api.get("/t/o/garbage").status_code == 200  # the pixel tells nothing about bad tokens


# ---------------------------------------------------------------- access


def test_preferences_are_per_user_and_admin_endpoints_need_an_admin(
    api: httpx.Client, owner: User, member: User, admin: User
) -> None:
    r = api.put("/me/email-preferences", json={"categories": {"tips": False}}, headers=member.auth)
    assert r.status_code == 200
    assert _me_prefs(api, owner)["tips"] is True and _me_prefs(api, member)["tips"] is False
    assert api.get("/me/email-preferences").status_code == 401
    assert (
        api.put("/me/email-preferences", json={"categories": {"nonsense": True}}, headers=owner.auth).status_code == 422
    )
    assert (
        api.put(
            "/me/email-preferences", json={"categories": {"tips": False}, "userId": member.user_id}, headers=owner.auth
        ).status_code
        == 422
    )
    outbox_id = _enqueue(local_container(), owner, EmailCategory.ACCOUNT, "payment-failed", {"name": "A"})
    for user in (owner, member):
        assert api.get(f"/admin/email/outbox/{outbox_id}", headers=user.auth).status_code == 403
    assert api.get(f"/admin/email/outbox/{rid('none-')}", headers=admin.auth).status_code == 404
    assert api.get(f"/admin/email/outbox/{outbox_id}", headers=admin.auth).status_code == 200


def test_account_mail_reaches_a_member_who_never_verified(api: httpx.Client, member: User) -> None:
    """A member who joined by invitation has no address record yet: account mail uses the member profile."""
    _enqueue(local_container(), member, EmailCategory.ACCOUNT, "payment-failed", {"name": "Field Worker"})
    [mail] = wait_for_mail(member.email, subject="payment did not go through")
    assert "Field Worker" in mail.text
