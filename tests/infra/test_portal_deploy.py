"""The owner portal as a deployed service: its production config.json comes from the deployment's outputs
(scripts/portal_config.py, infra/main.bicep PORTAL_CONFIG_*), always asks for MSAL, and the Azure build
(`npm run portal:build:azure`) refuses a config.json asking for the development sign-in: built here, served with
the local stack's config.json, it shows the refusal and no development sign-in form."""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from scripts import portal_config
from tests.infra.bicep_text import INFRA, ROOT, block_after, outputs, read, strip_comments

VITE = ROOT / "node_modules" / ".bin" / "vite"
CHROMIUM = Path("/usr/bin/chromium")
OUTPUTS = {
    "PORTAL_CONFIG_API_BASE": {"type": "String", "value": "https://func-industrack-prod-abc.azurewebsites.net/api"},
    "PORTAL_CONFIG_MSAL_CLIENT_ID": {"type": "String", "value": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"},
    "portal_config_msal_authority": {"type": "String", "value": "https://contoso.ciamlogin.com/1111-2222"},
    "PORTAL_CONFIG_API_SCOPE": {"type": "String", "value": "api://industrack/.default"},
    "PORTAL_CONFIG_MAP_STYLE": {"type": "String", "value": ""},
    "PORTAL_CONFIG_MAP_PROVIDER": {"type": "String", "value": "azure-maps"},
    "PORTAL_CONFIG_BLOB_ORIGIN": {"type": "String", "value": "https://stindustrackprodabc.blob.core.windows.net/"},
    "PORTAL_CONFIG_STRIPE_PUBLISHABLE_KEY": {"type": "String", "value": "pk_live_abc"},
}


def values(**changes: str) -> dict[str, str]:
    out = portal_config.values_from_outputs(OUTPUTS)
    out.update(changes)
    return out


# ---- the config.json the script writes


def test_the_production_config_signs_in_with_msal_against_the_deployed_api() -> None:
    config = portal_config.production_config(values())
    assert config == {
        "apiBase": "https://func-industrack-prod-abc.azurewebsites.net/api",
        "auth": {
            "mode": "msal",
            "msal": {
                "clientId": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                "authority": "https://contoso.ciamlogin.com/1111-2222",
                "knownAuthorities": ["contoso.ciamlogin.com"],
                "scopes": ["api://industrack/.default"],
            },
        },
        "map": {"provider": "azure-maps", "style": None},
        "stripe": {"jsUrl": "https://js.stripe.com/v3/", "publishableKey": "pk_live_abc"},
    }
    assert "stripe" not in portal_config.production_config(values(stripeKey=""))


def test_a_known_authority_keeps_the_port_msal_compares() -> None:
    config = portal_config.production_config(values(authority="https://127.0.0.1:8443/tenant-1"))
    assert config["auth"]["msal"]["knownAuthorities"] == ["127.0.0.1:8443"]


def test_the_values_come_from_azd_environment_variables_as_well() -> None:
    env = {name: str(entry["value"]) for name, entry in OUTPUTS.items()} | {"UNRELATED": "x"}
    assert portal_config.values_from_env(env) == portal_config.values_from_outputs(OUTPUTS)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"clientId": ""}, "missing deployment outputs: PORTAL_CONFIG_MSAL_CLIENT_ID"),
        ({"apiBase": "http://func.example/api"}, "must be an https URL"),
        ({"authority": "contoso.ciamlogin.com"}, "must be an https URL"),
        ({"clientId": "portal-app"}, "a GUID"),
        ({"stripeKey": "sk_live_secret"}, "publishable key"),
        ({"stripeKey": "rk_live_restricted"}, "publishable key"),
        ({"mapProvider": "google"}, "PORTAL_CONFIG_MAP_PROVIDER must be one of azure-maps, offline"),
    ],
)
def test_a_missing_or_dangerous_value_is_refused(changes: dict[str, str], expected: str) -> None:
    with pytest.raises(portal_config.ConfigError, match=re.escape(expected)):
        portal_config.production_config(values(**changes))


def test_the_deployed_csp_names_exactly_the_hosts_the_portal_talks_to() -> None:
    config = portal_config.production_config(values())
    swa = json.loads(portal_config.swa_config_for(config, values()))
    policies = [swa["globalHeaders"]["Content-Security-Policy"]] + [
        r["headers"]["Content-Security-Policy"] for r in swa["routes"] if "Content-Security-Policy" in r["headers"]
    ]
    assert len(policies) == 2  # every page, and the billing page with Stripe.js
    for csp in policies:
        directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ")}
        assert "https:" not in directives["connect-src"] and "https:" not in directives["img-src"]
        assert {
            "https://func-industrack-prod-abc.azurewebsites.net",
            "https://contoso.ciamlogin.com",
            "https://atlas.microsoft.com",
        } <= set(directives["connect-src"])
        assert "https://stindustrackprodabc.blob.core.windows.net" in directives["img-src"]
        assert directives["script-src"][0] == "'self'" and "'unsafe-inline'" not in csp
    # Without Azure Maps, its host is not admitted.
    offline = portal_config.production_config(values(mapProvider="offline"))
    assert "atlas.microsoft.com" not in portal_config.swa_config_for(offline, values(mapProvider="offline"))


def test_the_base_map_is_azure_maps_with_entra_only_and_a_reader_role_for_the_app() -> None:
    maps = strip_comments(read(INFRA / "modules" / "maps.bicep"))
    assert "disableLocalAuth: true" in maps
    assert "listKeys" not in maps and "primaryKey" not in maps  # no key is ever read out of the account
    assert "'423170ca-a8f6-4b0f-8487-9e4eb8f49bfa'" in maps  # Azure Maps Data Reader, nothing wider
    assert "scope: maps" in maps
    main = strip_comments(read(INFRA / "main.bicep"))
    assert "principalId: identity.outputs.appPrincipalId" in block_after(main, r"^module\s+maps\s+'")
    assert "mapsClientId: maps.outputs.clientId" in block_after(main, r"^module\s+functionApp\s+'")
    assert "AZURE_MAPS_CLIENT_ID: mapsClientId" in strip_comments(read(INFRA / "modules" / "functionapp.bicep"))


def test_every_value_the_script_reads_is_an_output_of_the_deployment() -> None:
    main = strip_comments(read(INFRA / "main.bicep"))
    assert set(portal_config.OUTPUTS.values()) <= outputs(main)
    assert re.search(r"^output PORTAL_CONFIG_MSAL_CLIENT_ID string = portalClientId$", main, re.MULTILINE)
    assert re.search(
        r"^output PORTAL_CONFIG_API_BASE string = 'https://\$\{functionApp\.outputs\.defaultHostname\}/api'$",
        main,
        re.MULTILINE,
    )
    # The publishable key reaches the portal only when billing is on (the page would otherwise offer a card form).
    assert "PORTAL_CONFIG_STRIPE_PUBLISHABLE_KEY string = billingEnabled ? stripePublishableKey : ''" in main


def test_the_refusal_text_is_the_one_the_portal_build_carries() -> None:
    source = read(ROOT / "portal" / "src" / "config.ts")
    assert f'AZURE_BUILD_REFUSAL = "{portal_config.AZURE_BUILD_REFUSAL}"' in source
    assert 'import.meta.env.MODE === "azure"' in source


# ---- PORTAL_BASE_URL (issue 32: the custom domain)


def test_invitation_links_use_the_custom_portal_domain_when_there_is_one() -> None:
    main = strip_comments(read(INFRA / "main.bicep"))
    assert re.search(
        r"^var portalBaseUrl = empty\(portalCustomDomain\) \? 'https://\$\{portal\.outputs\.defaultHostname\}' : "
        r"'https://\$\{portalCustomDomain\}'$",
        main,
        re.MULTILINE,
    )
    assert "portalBaseUrl: portalBaseUrl" in block_after(main, r"^module\s+functionApp\s+'")
    site = strip_comments(read(INFRA / "modules" / "functionapp.bicep"))
    assert re.search(r"^\s*PORTAL_BASE_URL: portalBaseUrl$", block_after(site, r"^var infraSettings\s*="), re.MULTILINE)
    assert "allowedOrigins[0]" not in site, "the first CORS origin is the azurestaticapps.net host"


# ---- the Azure build


def vite_build(out: Path, mode: str | None) -> Path:
    if not VITE.exists():
        pytest.fail("node_modules is missing: `make install` installs the portal's build tools")
    args = [str(VITE), "build", "portal", "--outDir", str(out), "--emptyOutDir", "--logLevel", "error"]
    if mode:
        args += ["--mode", mode]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.fixture(scope="module")
def azure_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return vite_build(tmp_path_factory.mktemp("portal") / "dist-azure", "azure")


def bundle_text(dist: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in (dist / "assets").glob("*.js"))


def test_only_the_azure_build_refuses_the_development_sign_in(azure_build: Path, tmp_path: Path) -> None:
    assert portal_config.AZURE_BUILD_REFUSAL in bundle_text(azure_build)
    local = vite_build(tmp_path / "dist", None)
    assert portal_config.AZURE_BUILD_REFUSAL not in bundle_text(local)
    with pytest.raises(portal_config.ConfigError, match="not built for Azure"):
        portal_config.write(local, values())
    assert json.loads(read(local / "config.json"))["auth"]["mode"] == "dev", "nothing written on refusal"


def test_the_script_finishes_the_azure_build(azure_build: Path, tmp_path: Path) -> None:
    dist = tmp_path / "dist-azure"
    shutil.copytree(azure_build, dist)
    outputs_file = tmp_path / "outputs.json"
    outputs_file.write_text(json.dumps(OUTPUTS))
    assert portal_config.main(["--dist", str(dist), "--outputs", str(outputs_file)]) == 0
    written = json.loads(read(dist / "config.json"))
    assert written["auth"]["mode"] == "msal" and written == portal_config.production_config(values())
    swa = json.loads(read(dist / "staticwebapp.config.json"))
    source = json.loads(read(ROOT / "portal" / "staticwebapp.config.json"))
    assert swa["routes"][:-1] == source["routes"][:-1] and swa["navigationFallback"] == source["navigationFallback"]
    assert swa == json.loads(portal_config.swa_config_for(written, values()))  # the CSP with the named hosts


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def served_azure_build(azure_build: Path) -> Iterator[str]:
    """The Azure build as vite left it: public/config.json, the local stack's (development sign-in), beside it."""
    assert json.loads(read(azure_build / "config.json"))["auth"]["mode"] == "dev"
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(azure_build)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_the_azure_build_shows_no_development_sign_in_even_with_a_development_config(served_azure_build: str) -> None:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make install` installs Debian's chromium (as root)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.goto(served_azure_build)
            page.get_by_text(portal_config.AZURE_BUILD_REFUSAL).wait_for(timeout=15_000)
            assert page.locator("form[aria-label='Development sign-in']").count() == 0
            assert page.get_by_text("Development sign-in").count() == 0
        finally:
            browser.close()
