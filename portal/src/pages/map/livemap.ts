// Live map (owner): every member's latest position with its age and accuracy circle, polled with If-None-Match.
// The map library and base map start loading with the first positions request, in parallel; the map is created
// once the positions are there, on the crew (no frame of the whole world is drawn first: in software WebGL those cost
// a second), and the table of members is built while the map's worker prepares the points. Polling pauses while the
// tab is hidden (one poll when it shows again), waits as long as a 429 or 503 asks (Retry-After), and stops for good
// when the page is left, also when that happens while the map library is still loading. On a 304 the ages and the
// stale colour are still brought up to date: a phone that went silent turns grey without any new data.

import type { Context } from "../../context";
import { config } from "../../config";
import { ApiError, type LatestPositions, type MemberPosition } from "../../api/client";
import { api, changed, data } from "../../api/typed";
import { h, clear, ageText, announce, errorBox, timeText } from "../../ui/dom";
import { createMap, mark, preloadMap, webglAvailable, type PortalMap, type Point } from "./maplib";
import type { components } from "../../api/schema";
import { siteOf } from "../day/day";
import { liveSharingText } from "../../ui/sharing";
import { distanceText, type Units } from "../../ui/format";

type Site = components["schemas"]["JobSitePublic"];

/** A place in words: the job site's name when the position is inside one, else coordinates to about 10 m. */
function placeText(p: MemberPosition, sites: Site[]): string {
  const pos = located(p);
  if (pos)
    return siteOf([pos.longitude, pos.latitude], sites) ?? `${pos.latitude.toFixed(4)}, ${pos.longitude.toFixed(4)}`;
  return p.position?.inPrivateZone ? `In a private zone (${timeText(p.position.timestamp)})` : "—";
}

const STALE_SECONDS = 3600;

function ageOf(p: MemberPosition, now: number): number | null {
  return p.position ? (now - new Date(p.position.timestamp).getTime()) / 1000 : null;
}

/** The position when it has one (a member in a private zone has only a time). */
function located(
  p: MemberPosition,
): { latitude: number; longitude: number; horizontalAccuracy?: number | null } | null {
  const pos = p.position;
  return pos && pos.latitude != null && pos.longitude != null
    ? { latitude: pos.latitude, longitude: pos.longitude, horizontalAccuracy: pos.horizontalAccuracy }
    : null;
}

function ageCell(p: MemberPosition, now: number): string {
  if (!p.position) return "No position yet";
  const age = ageOf(p, now) ?? 0;
  return age > STALE_SECONDS ? `${ageText(age)} (no fix since)` : ageText(age);
}

/** The member's sharing state in words (issue 30), counted on from the newest fix while polls answer 304. */
function sharingCell(p: MemberPosition, now: number, me: string): string {
  return liveSharingText(p.sharing, p.position?.timestamp, now, p.userId === me);
}

function row(p: MemberPosition, now: number, sites: Site[], me: string, units: Units): HTMLTableRowElement {
  const pos = located(p);
  const stale = (ageOf(p, now) ?? 0) > STALE_SECONDS;
  return h(
    "tr",
    { "data-user-id": p.userId, class: stale ? "stale" : undefined },
    h("th", { scope: "row" }, p.fullName),
    h("td", { class: `sharing sharing-${p.sharing.state}` }, sharingCell(p, now, me)),
    h("td", { class: "age" }, ageCell(p, now)),
    h("td", {}, pos?.horizontalAccuracy != null ? `± ${distanceText(pos.horizontalAccuracy, units)}` : "—"),
    h("td", { class: "place" }, placeText(p, sites)),
    // No date: the day view opens the member's own today, in their time zone (not the viewer's UTC date).
    h(
      "td",
      {},
      h(
        "a",
        { href: `/members/${encodeURIComponent(p.userId)}/day`, "data-link": true },
        h("span", {}, "Day view"),
        h("span", { class: "sr-only" }, ` of ${p.fullName}`),
      ),
    ),
  );
}

function points(list: LatestPositions, now: number, me: string): Point[] {
  return list.items.flatMap((p) => {
    const pos = located(p);
    if (!pos) return [];
    const age = ageOf(p, now) ?? 0;
    return [
      {
        id: p.userId,
        lon: pos.longitude,
        lat: pos.latitude,
        accuracy: pos.horizontalAccuracy ?? undefined,
        stale: age > STALE_SECONDS,
        label: `${p.fullName}, ${ageText(age)}, ${sharingCell(p, now, me)}`,
      },
    ];
  });
}

export async function renderLiveMap(ctx: Context): Promise<() => void> {
  mark("start");
  const accountId = ctx.me.accountId;
  const me = ctx.me.userId;
  const drawMap = webglAvailable();
  if (drawMap) preloadMap(); // in parallel with the first positions request
  const mapBox = h("div", {
    class: "map",
    id: "live-map",
    role: "region",
    "aria-label": "Map of the crew's latest positions",
  });
  const body = h("tbody", {});
  const summary = h("p", { id: "map-summary", role: "status" }, "Loading positions…");
  ctx.main.append(
    h("h1", {}, "Live map"),
    summary,
    mapBox,
    h(
      "table",
      { class: "grid", "aria-describedby": "map-summary" },
      h("caption", {}, "Latest position of every member"),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...["Member", "Location sharing", "Last position", "Accuracy", "Place", "Track"].map((t) =>
            h("th", { scope: "col" }, t),
          ),
        ),
      ),
      body,
    ),
  );

  let left = false;
  let sites: Site[] = [];
  // The job sites name the places (one request beside the positions; the live map works without them).
  const sitesLoaded = api()
    .GET("/api/accounts/{accountId}/job-sites", { params: { path: { accountId }, query: { limit: 1000 } } })
    .then((r) => {
      sites = data(r).items;
    })
    .catch(() => undefined);
  // Left before this function returned its clean-up (the router clears the page): the map box is no longer shown.
  const gone = (): boolean => left || !mapBox.isConnected;
  let map: PortalMap | null = null;
  let etag: string | null = null;
  let last: LatestPositions | null = null;
  let fitted = false;
  let timer = 0;
  const pollMs = (config().map.pollSeconds ?? 15) * 1000;

  // Until the map exists (or failed), the first positions wait for it: the map draws them with the table.
  let mapPending = drawMap;

  const draw = async (): Promise<void> => {
    if (!last) return;
    const now = Date.now();
    let drawn: Promise<void> = Promise.resolve();
    if (map) {
      const pts = points(last, now, me);
      if (!fitted && pts.length) {
        map.fit(pts.map((p) => [p.lon, p.lat]));
        fitted = true;
      }
      drawn = map.setPoints(pts); // hands the points to the map's worker, then the table is built meanwhile
    }
    clear(body);
    body.append(...last.items.map((p) => row(p, now, sites, me, ctx.me.units)));
    const withPosition = last.items.filter((p) => p.position);
    const sharing = last.items.filter((p) => p.sharing.state === "sharing");
    const n = last.items.length;
    summary.textContent = `${n} ${n === 1 ? "member" : "members"}, ${sharing.length} sharing their location now.`;
    mapBox.dataset.members = String(withPosition.length);
    await drawn;
  };

  /** Nothing moved (304): the ages, the "no fix since" marks and the dots' stale colour still follow the clock. */
  const refreshAges = async (): Promise<void> => {
    if (!last) return;
    const now = Date.now();
    for (const tr of Array.from(body.querySelectorAll("tr"))) {
      const p = last.items.find((i) => i.userId === tr.dataset.userId);
      if (!p) continue;
      const cell = tr.querySelector(".age");
      if (cell) cell.textContent = ageCell(p, now);
      const sharing = tr.querySelector(".sharing");
      if (sharing) sharing.textContent = sharingCell(p, now, me);
      tr.classList.toggle("stale", (ageOf(p, now) ?? 0) > STALE_SECONDS);
    }
    if (map) await map.setPoints(points(last, now, me));
  };

  const schedule = (ms: number): void => {
    window.clearTimeout(timer);
    if (!gone() && !document.hidden) timer = window.setTimeout(() => void poll(), ms);
  };

  const poll = async (): Promise<void> => {
    let wait = pollMs;
    try {
      const answer = await api().GET("/api/accounts/{accountId}/locations/latest", {
        params: { path: { accountId } },
        headers: etag ? { "If-None-Match": etag } : {},
      });
      if (gone()) return;
      if (answer.response.ok) etag = answer.response.headers.get("ETag");
      const fresh = changed(answer);
      if (!last) mark("data");
      if (fresh) {
        await sitesLoaded;
        last = fresh;
        if (!mapPending) {
          await draw();
          announce("Positions updated.");
        }
      } else {
        await refreshAges();
      }
      ctx.main.dataset.polls = String(Number(ctx.main.dataset.polls ?? 0) + 1);
      ctx.main.dataset.lastPoll = fresh ? "200" : "304";
    } catch (e) {
      if (gone()) return;
      if (e instanceof ApiError && e.retryAfter !== undefined) wait = Math.max(wait, e.retryAfter * 1000);
      summary.replaceChildren(errorBox(e));
    } finally {
      schedule(wait);
    }
  };

  const visibility = (): void => {
    if (gone()) document.removeEventListener("visibilitychange", visibility);
    else if (document.hidden) window.clearTimeout(timer);
    else void poll(); // back in view: at once, then on the interval again
  };
  document.addEventListener("visibilitychange", visibility);

  const first = poll();
  if (drawMap) {
    try {
      await first;
      const crew = last ? points(last, Date.now(), me).map((p): number[] => [p.lon, p.lat]) : [];
      const created = gone() ? null : await createMap(mapBox, "Map of the crew's latest positions", crew, ctx.me.units);
      if (gone()) created?.remove();
      else {
        map = created;
        fitted = crew.length > 0;
      }
    } catch (e) {
      mapBox.append(errorBox(e));
    }
    mapPending = false;
    if (!gone() && last) {
      await draw();
      announce("Positions updated.");
    }
  } else {
    mapBox.append(
      h("p", { class: "note" }, "This browser cannot draw maps (no WebGL); the positions are listed below."),
    );
  }
  await first;
  return () => {
    left = true;
    window.clearTimeout(timer);
    document.removeEventListener("visibilitychange", visibility);
    map?.remove();
  };
}
