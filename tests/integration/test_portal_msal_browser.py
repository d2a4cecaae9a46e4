"""The portal's MSAL.js sign-in in headless Chromium (issue 32), against a local OpenID Connect provider shaped like
Entra ID (scripts/oidc_provider.py: discovery document, authorization code with PKCE, JWKS, end-session, over
https): an e-mailed invitation link opened signed out goes to the provider and comes back to itself signed in, the
page calls the API with the provider's access token and the API accepts it, and signing out reaches the provider's
end-session endpoint and leaves the portal signed out with no token in the tab.

The Azure build of the portal (portal/dist-azure, MSAL only) is served with the config.json that
scripts/portal_config.py writes for a deployment, pointed at the provider; its API is a second local host of this
session whose AUTH_ISSUER, AUTH_JWKS_URI and AUTH_AUDIENCE are the provider's (the session's host trusts the
development issuer), trusting the provider's throwaway CA through SSL_CERT_FILE, with its own queues.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import ssl
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from playwright.sync_api import Browser, Page, Request, expect

from core import schema
from core.adapters.queues import build_queue_service
from devhost.launch import free_port, start_local_host
from scripts import portal_config
from scripts.oidc_provider import OidcProvider, ProviderUser
from scripts.portal_server import build_server
from tests.helpers import rid, wait_for
from tests.integration.conftest import ROOT, Stack, register_owner
from tests.integration.portal_fixtures import browser_fixture  # noqa: F401 - fixture

DIST_AZURE = ROOT / "portal" / "dist-azure"
CLIENT_ID = str(uuid.uuid4())  # the portal's app registration
TOKEN_KEY = ("accesstoken", "idtoken", "refreshtoken")  # what MSAL's sessionStorage cache keys name


@dataclass
class MsalSite:
    portal: str
    api: str
    provider: OidcProvider


def _ca_bundle(provider_ca: Path, out: Path) -> Path:
    """The CAs the host trusts already, plus the provider's throwaway one (SSL_CERT_FILE replaces the default)."""
    paths = ssl.get_default_verify_paths()
    sources = [os.environ.get("SSL_CERT_FILE"), paths.cafile, paths.openssl_cafile]
    known = [Path(p) for p in dict.fromkeys(s for s in sources if s) if Path(p).is_file()]
    out.write_text("".join(p.read_text() for p in [*known, provider_ca]))
    return out


def _built_for_azure() -> Path:
    if not (DIST_AZURE / "index.html").exists():
        npm = shutil.which("npm")
        assert npm, "npm is needed to build the portal (make install)"
        subprocess.run([npm, "run", "--silent", "portal:build:azure"], cwd=ROOT, check=True, capture_output=True)
    return DIST_AZURE


@pytest.fixture(scope="module")
def msal_site(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MsalSite]:
    tmp = tmp_path_factory.mktemp("msal")
    dist = _built_for_azure()
    portal_port = free_port()
    portal = f"http://127.0.0.1:{portal_port}"
    provider = OidcProvider(
        client_id=CLIENT_ID,
        audience=stack.settings.auth_audience,
        redirect_uris=[f"{portal}/"],  # as registered for the deployed portal: its origin (infra/README.md)
        directory=tmp / "oidc",
    ).start()
    tag = rid("m")[:7]
    queues = {q.setting: f"{q.default_name}-{stack.suffix}-{tag}" for q in schema.QUEUES}
    names = [n for name in queues.values() for n in (name, schema.poison_queue_name(name))]
    service = build_queue_service(stack.settings)
    for name in names:
        service.create_queue(name)
    env = {
        **os.environ,
        **queues,
        "AUTH_ISSUER": provider.issuer,
        "AUTH_JWKS_URI": provider.jwks_uri,
        "AUTH_AUDIENCE": stack.settings.auth_audience,
        "SSL_CERT_FILE": str(_ca_bundle(provider.certificates.ca_file, tmp / "ca-bundle.pem")),
        "PORTAL_ORIGINS": portal,
        "PORTAL_BASE_URL": portal,
    }
    host = start_local_host(log_path=ROOT / ".local" / "logs" / f"devhost-test-{stack.suffix}-{tag}.log", env=env)
    server = None
    try:
        host.wait_until_answering()
        values = {
            "apiBase": "https://api.invalid/api",  # replaced below: the local host is http
            "clientId": CLIENT_ID,
            "authority": provider.authority,
            "scope": f"{stack.settings.auth_audience}/.default",  # infra/main.bicep's default scope
        }
        config = {**portal_config.production_config(values), "apiBase": host.api}
        server = build_server("127.0.0.1", portal_port, host.api, dist=dist, config=config)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield MsalSite(portal, host.api, provider)
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        host.stop()
        provider.stop()
        for name in names:
            with contextlib.suppress(Exception):
                service.delete_queue(name)


@pytest.fixture
def msal_page(browser: Browser, msal_site: MsalSite) -> Iterator[Page]:
    # The provider's certificate comes from a CA the browser does not know; the portal itself is http on loopback.
    context = browser.new_context(base_url=msal_site.portal, ignore_https_errors=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def _tokens_in_tab(page: Page) -> list[str]:
    keys: list[str] = page.evaluate("() => Object.keys(sessionStorage)")
    return [k for k in keys if any(kind in k.lower() for kind in TOKEN_KEY)]


def _bearer_claims(request: Request) -> dict[str, Any]:
    scheme, _, token = request.all_headers().get("authorization", "").partition(" ")
    assert scheme == "Bearer" and token, "the API call carried no bearer token"
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def test_msal_sign_in_keeps_the_join_link_calls_the_api_and_signs_out(
    api: httpx.Client, msal_site: MsalSite, msal_page: Page
) -> None:
    page, provider = msal_page, msal_site.provider
    owner = register_owner(api)  # through the session's host, with a development-issuer token
    invitee = ProviderUser(email=f"{rid('msal-')}@example.com", name="Mia Msal")
    r = api.post(
        f"/accounts/{owner.account_id}/invitations",
        json={"email": invitee.email, "fullName": invitee.name},
        headers=owner.auth,
    )
    assert r.status_code == 201, r.text
    join = f"{msal_site.portal}/join?invitation={r.json()['token']}"
    provider.user = invitee
    visited: list[str] = []  # every address the tab loaded, redirects included
    page.on("request", lambda req: visited.append(req.url) if req.is_navigation_request() else None)

    page.goto(join)
    sign_in = page.get_by_role("button", name="Sign in", exact=True)
    expect(sign_in).to_be_visible()
    assert not _tokens_in_tab(page)
    sign_in.click()

    # To the provider, back to the registered redirect URI, and on to the invitation link, signed in.
    accept = page.get_by_role("button", name="Accept the invitation")
    expect(accept).to_be_visible()
    assert page.url == join, "the invitation link did not survive the sign-in"
    authorize = provider.hits("/authorize")
    assert len(authorize) == 1 and authorize[0].status == 302
    assert authorize[0].params["redirect_uri"] == f"{msal_site.portal}/"
    assert authorize[0].params["code_challenge_method"] == "S256"
    assert [u.split("?")[0] for u in visited] == [
        f"{msal_site.portal}/join",
        f"{provider.authority}/oauth2/v2.0/authorize",
        f"{msal_site.portal}/",  # the registered redirect URI, where MSAL reads the code (in the fragment)
        f"{msal_site.portal}/join",
    ], visited
    redeemed = [h for h in provider.hits("/token") if h.method == "POST"]
    assert [(h.params["grant_type"], h.status) for h in redeemed][:1] == [("authorization_code", 200)]
    assert _tokens_in_tab(page)

    with page.expect_response(lambda res: res.url.endswith("/accept") and res.request.method == "POST") as accepted:
        accept.click()
    assert accepted.value.status == 201, accepted.value.text()
    claims = _bearer_claims(accepted.value.request)
    assert claims["iss"] == provider.issuer and claims["aud"] == msal_site.provider.audience
    assert claims["sub"] == invitee.sub_for(provider.audience)
    expect(page.get_by_test_id("signed-in-as")).to_have_text(invitee.name)  # /me answered for the new member
    assert page.url == f"{msal_site.portal}/me/connect"  # joining leads on to connecting a phone (issue 29)
    members = api.get(f"/accounts/{owner.account_id}/members", headers=owner.auth)
    assert members.status_code == 200, members.text
    assert invitee.sub_for(provider.audience) in {m["userId"] for m in members.json()["items"]}

    page.get_by_role("button", name="Sign out").click()
    wait_for(lambda: provider.hits("/logout"), timeout=20, what="the provider's end-session endpoint")
    expect(page.get_by_role("button", name="Sign in with your IndusTrack account")).to_be_visible()
    expect(page.get_by_test_id("signed-in-as")).to_have_count(0)
    assert page.url.startswith(f"{msal_site.portal}/")
    logout = provider.hits("/logout")
    assert len(logout) == 1 and logout[0].params.get("post_logout_redirect_uri") == f"{msal_site.portal}/"
    assert not _tokens_in_tab(page)
