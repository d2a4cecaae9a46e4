"""The request log line's minimisation (core/domain/client_summary.py) and the line itself (functions/_http.py):
truncated network, browser and OS families, the invocation id; never the address, User-Agent, token or body."""

from __future__ import annotations

import logging

import azure.functions as func
import pytest

from core.adapters import telemetry
from core.bootstrap import serving
from core.domain.client_summary import browser_family, client_address, os_family, summarize, truncate_ip
from tests.helpers import app_functions
from tests.unit.roots import fake_root

FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
EDGE_WINDOWS = CHROME_WINDOWS + " Edg/131.0.0.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
CHROMEOS = (
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)


@pytest.mark.parametrize(
    ("raw", "network"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("203.0.113.77:52110", "203.0.113.0/24"),  # Azure's front end writes the port
        (" 198.51.100.1 ", "198.51.100.0/24"),
        ("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd::/48"),
        ("[2001:db8:abcd:12::1]:443", "2001:db8:abcd::/48"),
        ("[2001:db8:abcd:12::1]", "2001:db8:abcd::/48"),
        ("fe80::1%eth0", "fe80::/48"),  # a zone id
        ("::ffff:192.0.2.128", "192.0.2.0/24"),  # IPv4-mapped: kept as the IPv4 network
        ("::1", "::/48"),
        ("not-an-address", "unknown"),
        ("999.1.1.1", "unknown"),
        ("", "unknown"),
        (None, "unknown"),
        ("unknown", "unknown"),
    ],
)
def test_addresses_are_truncated_to_their_network(raw: str | None, network: str) -> None:
    assert truncate_ip(raw) == network


@pytest.mark.parametrize(
    ("xff", "peer", "expected"),
    [
        ("203.0.113.9", None, "203.0.113.9"),
        ("10.0.0.1, 198.51.100.23:4410", None, "198.51.100.23:4410"),  # the last entry is the one the front end added
        ("evil, 198.51.100.23, garbage", None, "198.51.100.23"),  # not-addresses are skipped
        ("  ,  , ", "192.0.2.5", "192.0.2.5"),
        (None, "192.0.2.5", "192.0.2.5"),
        (None, None, None),
        (", ".join(["192.0.2.1"] * 5000), None, "192.0.2.1"),  # a long chain costs a bounded amount of work
    ],
)
def test_the_client_address_is_the_last_forwarded_entry(
    xff: str | None, peer: str | None, expected: str | None
) -> None:
    assert client_address(xff, peer) == expected


@pytest.mark.parametrize(
    ("ua", "browser", "os"),
    [
        (FIREFOX_LINUX, "Firefox", "Linux"),
        (CHROME_WINDOWS, "Chrome", "Windows"),
        (EDGE_WINDOWS, "Edge", "Windows"),
        (SAFARI_IPHONE, "Safari", "iOS"),
        (CHROME_ANDROID, "Chrome", "Android"),
        (SAFARI_MAC, "Safari", "macOS"),
        (CHROMEOS, "Chrome", "ChromeOS"),
        (GOOGLEBOT, "Bot", "Other"),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
            "Bot",
            "Linux",
        ),
        ("curl/8.5.0", "curl", "Other"),
        ("python-httpx/0.27.0", "Python", "Other"),
        ("okhttp/4.12.0", "OkHttp", "Other"),
        ("", "unknown", "unknown"),
        ("   ", "unknown", "unknown"),
        (None, "unknown", "unknown"),
        ("\x00\x01garbage", "Other", "Other"),
        ("A" * 100_000 + " Firefox/1.0", "Other", "Other"),  # only the start of a User-Agent is read
    ],
)
def test_user_agents_give_families_only(ua: str | None, browser: str, os: str) -> None:
    assert (browser_family(ua), os_family(ua)) == (browser, os)


def test_summarize_reads_the_headers() -> None:
    summary = summarize({"x-forwarded-for": "10.1.1.1, 2001:db8:1:2::99", "user-agent": SAFARI_IPHONE})
    assert (summary.network, summary.browser, summary.os) == ("2001:db8:1::/48", "Safari", "iOS")
    assert summarize({}).network == "unknown"


def test_the_request_log_line_carries_the_minimised_client_and_the_invocation_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    telemetry.install_logging("text")
    trigger = next(f for f in app_functions() if f.get_function_name() == "record_page_view")
    secret_token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl"
    request = func.HttpRequest(
        method="POST",
        url="http://localhost/api/analytics/page-views?email=ada%40example.com",
        body=b'{"path": "/members/ada-secret-id/day", "consent": true}',
        headers={
            "authorization": f"Bearer {secret_token}",
            "content-type": "application/json",
            "x-forwarded-for": "10.9.9.9, 203.0.113.77:50123",
            "user-agent": FIREFOX_LINUX,
            "x-ms-invocation-id": "inv-0f1e2d3c",
        },
    )
    # A root of fakes: the page-view limit per network is counted before the token is looked at.
    with serving(fake_root()), caplog.at_level(logging.INFO, logger="industrack.http"):
        response = trigger.get_user_function()(request)
    assert response.status_code == 401  # the token is not valid: refused before the body is read
    line = next(r for r in caplog.records if r.name == "industrack.http")
    message = line.getMessage()
    assert "203.0.113.0/24" in message and "Firefox on Linux" in message and "inv-0f1e2d3c" in message
    assert message.startswith("POST analytics/page-views -> 401")
    for secret in (secret_token, "203.0.113.77", "10.9.9.9", "rv:128.0", "Gecko", "ada", "example.com", "consent"):
        assert secret not in message
