"""Owner portal figures (issue 15), printed, not asserted:

    python -m bench.portal        (the emulators running; the portal built: npm run portal:build)

1. The production bundle: the initial JavaScript and CSS a first visit downloads, gzipped, and the map library's
   chunk, which only the map pages load.
2. Time to first map render: from opening /map (signed in, from another page: the owner signs in on /members) to the
   map having drawn the members' positions (`data-rendered-points`, set at the map's first `idle` after the points
   were given to it: every tile of the base map and the points drawn; timed in the page by a MutationObserver, the
   harness's own later sight of it printed beside), for an account with 2 members. It is the first live-map read
   of the access-log window (the read's entries are created before it is answered) and the first load of the map
   library in that browser context. Then the same again (from /members, in the same window).
   Where the first render's time goes is printed from the page's performance marks (`map:*`, portal/src/pages/map)
   and resource timings: the shell (config, /me) until the live-map page starts, the map library, the offline base
   map, the positions answer, the map created, the points drawn.
3. Time to render 1,000 members: the same for an account with 1,000 members with a latest position each.
4. `/members` with those 1,000 members: from opening /members (signed in) to the page being usable (the first page
   of members drawn, the pending invitations listed), and the number of API requests the navigation made (the
   shell's /me included). Each seeded member has a location consent, so their ingest gate (what the members page
   reads consent, windows and zones from) exists, as in an account whose phones have been set up.

The stack is the benchmarks' scratch one (bench/lib/stack.py) with the portal server in front; the 1,000 members
and their positions are written through the app's own stores (the API has no bulk import), then read through the
API by the page. Headless Chromium renders WebGL in software here, so the map times are an upper bound.
"""

from __future__ import annotations

import gzip
import os
import re
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.lib.cli import whole_numbers

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "portal" / "dist"
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


def _gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def bundle_figures() -> dict[str, int]:
    """Gzipped bytes: what a first visit downloads (with the sign-in library, which MSAL mode loads at start), and
    what the map pages add: MapLibre's code, its worker and CSS, and the offline base map's shape files (those of
    the first view: land and borders at 1:110m; then land at 1:50m)."""
    html = (DIST / "index.html").read_text()
    initial_js = re.findall(r'<(?:script[^>]*src|link[^>]*rel="modulepreload"[^>]*href)="/([^"]+\.js)"', html)
    initial_css = re.findall(r'<link[^>]*rel="stylesheet"[^>]*href="/([^"]+\.css)"', html)
    assets = list((DIST / "assets").iterdir())
    map_code = [p for p in assets if p.name.startswith("maplibre-gl") and p.suffix in (".js", ".mjs", ".css")]
    base_map = [p for p in assets if p.name.startswith(("land-", "countries-")) and p.suffix == ".json"]
    first_view = [p for p in base_map if p.name.startswith(("land-110m-", "countries-110m-"))]
    msal = [p for p in assets if p.name.startswith("msal") and p.suffix == ".js"]
    return {
        "initial_js_gzip": sum(_gz(DIST / p) for p in initial_js),
        "initial_js_msal_gzip": sum(_gz(DIST / p) for p in initial_js) + sum(_gz(p) for p in msal),
        "initial_css_gzip": sum(_gz(DIST / p) for p in initial_css),
        "map_js_gzip": sum(_gz(p) for p in map_code if p.suffix == ".js"),
        "map_all_gzip": sum(_gz(p) for p in map_code),
        "base_map_gzip": sum(_gz(p) for p in base_map),
        "base_map_first_gzip": sum(_gz(p) for p in first_view),
    }


def _seed(account_id: str, count: int) -> None:
    """`count` members with a latest position each, written through the app's stores."""
    from core.bootstrap import container
    from core.domain.accounts import Member
    from core.domain.consent import Capability, ConsentEntry
    from core.domain.identity import Role
    from core.domain.tracking import LatestPosition, PingSource

    deps = container()
    now = datetime.now(UTC)
    for i in range(count):
        user_id = f"bench-{uuid.uuid4().hex[:12]}"
        deps.accounts.put_member(
            Member(
                account_id=account_id,
                user_id=user_id,
                role=Role.MEMBER,
                full_name=f"Worker {i:04d}",
                email=f"{user_id}@example.com",
                time_zone="America/Chicago",
                joined_at=now,
                updated_at=now,
            )
        )
        deps.latest_positions.advance(
            LatestPosition(
                account_id=account_id,
                user_id=user_id,
                ping_id=str(uuid.uuid4()),
                t=now - timedelta(seconds=i),
                lat=44.9 + (i % 40) * 0.002,
                lon=-93.3 + (i // 40) * 0.003,
                acc=5 + i % 30,
                src=PingSource.GPS,
                updated_at=now,
            )
        )
        deps.consents.append(
            ConsentEntry(
                entry_id=f"consent-location-bench-{uuid.uuid4().hex[:8]}",
                account_id=account_id,
                user_id=user_id,
                capability=Capability.LOCATION,
                granted=True,
                recorded_at=now - timedelta(days=1),
                device_id="bench-phone",
                app_version="1.0",
                policy_version="2023-06-15",
            )
        )
        deps.ingest_gate.facts_for_ingest(account_id=account_id, user_id=user_id)  # builds the member's gate


def _time_members(page: object, base: str) -> tuple[float, list[str]]:
    """Navigation to /members until usable, and the API requests it made (method and path)."""
    from playwright.sync_api import Page, Request

    assert isinstance(page, Page)
    calls: list[str] = []

    def seen(request: Request) -> None:
        if "/api/" in request.url and request.method != "OPTIONS":
            calls.append(f"{request.method} {request.url.split('/api', 1)[1].split('?')[0]}")

    page.on("request", seen)
    started = time.perf_counter()
    page.goto(f"{base}/members")
    page.wait_for_function(
        "() => document.querySelectorAll('#members tbody tr').length >= 50"
        " && !document.querySelector('#members[aria-busy]')"
        " && document.querySelector('#invitations tbody tr') !== null",
        timeout=60_000,
    )
    elapsed = time.perf_counter() - started
    page.remove_listener("request", seen)
    return elapsed, calls


_TIMELINE = """() => {
  const at = (e) => Math.round(e.startTime);
  const end = (part) => {
    const e = performance.getEntriesByType("resource").filter((r) => r.name.includes(part))[0];
    return e ? `${Math.round(e.startTime)}-${Math.round(e.responseEnd)}` : "-";
  };
  const marks = Object.fromEntries(performance.getEntriesByType("mark").map((m) => [m.name.slice(4), at(m)]));
  return { marks, me: end("/api/me"), positions: end("/locations/latest"), library: end("/maplibre-gl-") };
}"""


# Installed in each browser context: the moment (performance.now()) each value of `data-rendered-points` first
# appears, so the time is the page's own, without the harness's round trips (Playwright -> driver -> browser ->
# page and back: 0.1-0.4 s on a busy 2-core machine).
DRAWN_OBSERVER = """
window.__drawnAt = {};
new MutationObserver((changes) => {
  for (const c of changes) {
    const n = c.target.id === "live-map" ? c.target.dataset.renderedPoints : undefined;
    if (n !== undefined && !(n in window.__drawnAt)) window.__drawnAt[n] = performance.now();
  }
}).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-rendered-points"] });
"""


def _time_map(page: object, base: str, expected: int) -> tuple[float, float, str]:
    """Navigation to /map until the points are drawn: seconds until the page set `data-rendered-points` (from the
    navigation's request), seconds until the harness saw it, and where the time went (ms from the navigation's
    start)."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    wall = time.time()
    started = time.perf_counter()
    page.goto(f"{base}/map")
    page.wait_for_function(
        "n => document.querySelector('#live-map')?.dataset.renderedPoints === n",
        arg=str(expected),
        polling="raf",
        timeout=120_000,
    )
    seen = time.perf_counter() - started
    drawn = page.evaluate("n => performance.timeOrigin + window.__drawnAt[n]", str(expected)) / 1000 - wall
    t = page.evaluate(_TIMELINE)
    m = t["marks"]
    steps = (
        f"page started {m.get('start')} (/me {t['me']}), map library {m.get('library')} (fetched {t['library']}),"
        f" base map {m.get('base')}, positions answered {m.get('data')} (request {t['positions']}), map created"
        f" {m.get('created')}, points handed over {m.get('points')}, drawn {m.get('drawn')}"
    )
    return drawn, seen, steps


def main() -> int:
    whole_numbers(__doc__)  # no arguments; --help describes it
    if not (DIST / "index.html").exists():
        sys.exit("portal/dist has no build: run `npm run portal:build` (make bench does)")
    sizes = bundle_figures()
    kib = {k: v / 1024 for k, v in sizes.items()}
    print(
        f"portal bundle: initial JS {kib['initial_js_gzip']:.1f} KiB gzipped "
        f"({kib['initial_js_msal_gzip']:.1f} KiB with the MSAL sign-in library), initial CSS "
        f"{kib['initial_css_gzip']:.1f} KiB; map pages add {kib['map_all_gzip']:.1f} KiB of map library (code "
        f"{kib['map_js_gzip']:.1f} KiB, worker and CSS included) and {kib['base_map_gzip']:.1f} KiB of offline base "
        f"map ({kib['base_map_first_gzip']:.1f} KiB before the first view; locally; Azure Maps tiles in Azure), all "
        "gzipped"
    )

    from bench.lib.stack import free_port, scratch_settings, start_host, stop_host

    portal_port = free_port()
    os.environ["PORTAL_ORIGINS"] = f"http://127.0.0.1:{portal_port}"
    settings, _ = scratch_settings("bench-portal")
    proc, api_base, _log = start_host("bench-portal")
    import httpx
    from playwright.sync_api import sync_playwright

    from scripts import dev_issuer
    from scripts.portal_server import build_server
    from scripts.provision import drop

    server = build_server("127.0.0.1", portal_port, api_base)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{portal_port}"
    try:
        results: list[tuple[str, tuple[float, float], tuple[float, float], str]] = []
        members_page: list[tuple[float, list[str]]] = []
        with sync_playwright() as p, httpx.Client(base_url=api_base, timeout=30) as api:
            browser = p.chromium.launch(
                executable_path=os.environ.get("PORTAL_TEST_CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS
            )
            for label, members in (("first map render, 2 members", 2), ("render of 1,000 members", 1000)):
                sub = f"bench-owner-{uuid.uuid4().hex[:8]}"
                email = f"{sub}@example.com"
                token = dev_issuer.mint(sub, email)
                body = {
                    "fullLegalName": "Bench Owner",
                    "companyName": "Bench Co",
                    "email": email,
                    "billingAddress": {
                        "line1": "1 Main St",
                        "city": "Plymouth",
                        "state": "MN",
                        "postalCode": "55441",
                        "country": "US",
                    },
                    "timeZone": "America/Chicago",
                    "dateOfBirth": "1985-04-02",
                }
                r = api.post("/accounts", json=body, headers={"Authorization": f"Bearer {token}"})
                r.raise_for_status()
                _seed(r.json()["account"]["accountId"], members)
                context = browser.new_context(base_url=base)
                context.add_init_script(DRAWN_OBSERVER)
                page = context.new_page()
                # Signed out, /members shows the sign-in and leads back to /members: the owner's landing page (the
                # live map) is not opened before the timed navigation, which reads the map cold.
                page.goto(f"{base}/members")
                page.fill("#dev-sub", sub)
                page.fill("#dev-email", email)
                page.click("form button[type=submit]")
                page.wait_for_selector("#members tbody tr")
                drawn, seen, steps = _time_map(page, base, members)
                page.goto(f"{base}/members")
                page.wait_for_selector("#members tbody tr")
                drawn_again, seen_again, _ = _time_map(page, base, members)
                results.append((label, (drawn, seen), (drawn_again, seen_again), steps))
                if members == 1000:
                    page.goto(f"{base}/me")  # the timed navigation below starts from another page
                    members_page = [_time_members(page, base) for _ in range(3)]
                context.close()
            browser.close()
        for label, first, again, steps in results:
            print(
                f"portal {label}: {first[0] * 1000:.0f} ms (navigation to the map drawn, headless Chromium; the"
                f" first read of the access-log window); {again[0] * 1000:.0f} ms again in the same window (seen by"
                f" the harness at {first[1] * 1000:.0f} and {again[1] * 1000:.0f} ms)"
            )
            print(f"  where the first went (ms): {steps}")
        times = sorted(t for t, _ in members_page)
        calls = members_page[-1][1]
        print(
            f"portal /members with 1,000 members: usable {times[len(times) // 2] * 1000:.0f} ms after navigation"
            f" (median of {len(times)}; {', '.join(f'{t * 1000:.0f}' for t in times)} ms), {len(calls)} API"
            f" requests ({'; '.join(calls)})"
        )
    finally:
        server.shutdown()
        stop_host(proc)
        drop(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
