"""What the request log and the optional page-view analytics keep about a client (docs/privacy-signals.md).

The policy says log files record the IP address, browser and operating system. We keep less than the raw values:
the address truncated to its network (/24 for IPv4, /48 for IPv6), the browser family and the operating-system
family (never the full User-Agent, which with its versions helps to single a person out). Pure functions, no I/O.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

UNKNOWN = "unknown"
_UA_SCAN = 512  # only the start of a User-Agent is looked at: a long header costs nothing more
_XFF_ENTRIES = 20  # at most this many X-Forwarded-For entries are looked at

# (marker in the lower-cased User-Agent, family). Order matters: Edge and Opera also say "Chrome", Chrome also says
# "Safari", Android also says "Linux", iPadOS and iOS also say "Mac OS X".
_BOTS = ("bot", "crawler", "spider", "slurp", "crawl", "headless", "lighthouse", "pingdom", "uptime")
_TOOLS = (
    ("curl/", "curl"),
    ("wget/", "Wget"),
    ("python-requests", "Python"),
    ("python-httpx", "Python"),
    ("python-urllib", "Python"),
    ("aiohttp", "Python"),
    ("okhttp", "OkHttp"),
    ("go-http-client", "Go"),
    ("java/", "Java"),
    ("postmanruntime", "Postman"),
    ("node-fetch", "Node.js"),
    ("undici", "Node.js"),
)
_BROWSERS = (
    ("edg/", "Edge"),
    ("edga/", "Edge"),
    ("edgios/", "Edge"),
    ("opr/", "Opera"),
    ("opera", "Opera"),
    ("samsungbrowser/", "Samsung Internet"),
    ("firefox/", "Firefox"),
    ("fxios/", "Firefox"),
    ("crios/", "Chrome"),
    ("chromium/", "Chromium"),
    ("chrome/", "Chrome"),
    ("version/", "Safari"),
    ("industrack", "IndusTrack app"),
)
_SYSTEMS = (
    ("windows phone", "Windows Phone"),
    ("windows", "Windows"),
    ("iphone", "iOS"),
    ("ipad", "iOS"),
    ("ipod", "iOS"),
    ("android", "Android"),
    ("; cros ", "ChromeOS"),
    ("mac os x", "macOS"),
    ("macintosh", "macOS"),
    ("darwin", "macOS"),
    ("linux", "Linux"),
    ("freebsd", "FreeBSD"),
)


@dataclass(frozen=True)
class ClientSummary:
    network: str  # "203.0.113.0/24", "2001:db8:1::/48" or "unknown"
    browser: str  # a family: "Firefox", "Chrome", ..., "Bot", "curl", "Other" or "unknown"
    os: str  # a family: "Windows", "macOS", "iOS", "Android", "Linux", ..., "Other" or "unknown"


def _parse_ip(raw: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """One address as proxies write it: bare, `a.b.c.d:port`, `[v6]:port` or `[v6]`; None when it is not one."""
    value = raw.strip().strip('"')
    if value.startswith("["):
        end = value.find("]")
        value = value[1:end] if end > 0 else ""
    elif value.count(":") == 1:  # IPv4 with a port (an IPv6 address has at least two colons)
        value = value.split(":", 1)[0]
    value = value.split("%", 1)[0]  # an IPv6 zone id
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def truncate_ip(raw: str | None) -> str:
    """The network of an address: IPv4 to /24, IPv6 to /48; "unknown" for anything that is not an address."""
    address = _parse_ip(raw or "")
    if address is None:
        return UNKNOWN
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def client_address(forwarded_for: str | None, peer: str | None = None) -> str | None:
    """The client's address from `X-Forwarded-For`: the last valid entry, the one the platform's front end added
    for the connection it received (entries before it are what the client itself claimed). Else the peer."""
    entries = [e for e in (forwarded_for or "").split(",")[-_XFF_ENTRIES:] if e.strip()]
    for entry in reversed(entries):
        if _parse_ip(entry) is not None:
            return entry.strip()
    return peer


def browser_family(user_agent: str | None) -> str:
    ua = (user_agent or "")[:_UA_SCAN].lower()
    if not ua.strip():
        return UNKNOWN
    if any(marker in ua for marker in _BOTS):
        return "Bot"
    for marker, family in _TOOLS:
        if ua.startswith(marker) or f" {marker}" in ua:
            return family
    for marker, family in _BROWSERS:
        if marker in ua:
            if family == "Safari" and "safari/" not in ua:
                continue
            return family
    if "safari/" in ua and "mobile" in ua:  # iOS web views name no version
        return "Safari"
    return "Other"


def os_family(user_agent: str | None) -> str:
    ua = (user_agent or "")[:_UA_SCAN].lower()
    if not ua.strip():
        return UNKNOWN
    for marker, family in _SYSTEMS:
        if marker in ua:
            return family
    return "Other"


def summarize(headers: Mapping[str, str], peer: str | None = None) -> ClientSummary:
    """The minimised client of one request, from its headers (names looked up in lower case, as the Functions
    host's headers mapping answers them case-insensitively)."""
    address = client_address(headers.get("x-forwarded-for"), peer)
    user_agent = headers.get("user-agent")
    return ClientSummary(network=truncate_ip(address), browser=browser_family(user_agent), os=os_family(user_agent))
