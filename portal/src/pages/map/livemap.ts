// Live map (owner): every member's latest position with its age and accuracy circle, polled with If-None-Match.

import type { Context } from "../../main";
import { config } from "../../config";
import { getIfChanged, type LatestPositions, type MemberPosition } from "../../api/client";
import { h, clear, ageText, announce, errorBox, timeText } from "../../ui/dom";
import { createMap, webglAvailable, type PortalMap } from "./maplib";

const STALE_SECONDS = 3600;

function ageOf(p: MemberPosition): number | null {
  return p.position ? (Date.now() - new Date(p.position.timestamp).getTime()) / 1000 : null;
}

/** The position when it has one (a member in a private zone has only a time). */
function located(p: MemberPosition): { latitude: number; longitude: number; horizontalAccuracy?: number | null } | null {
  const pos = p.position;
  return pos && pos.latitude != null && pos.longitude != null
    ? { latitude: pos.latitude, longitude: pos.longitude, horizontalAccuracy: pos.horizontalAccuracy } : null;
}

function row(p: MemberPosition, date: string): HTMLTableRowElement {
  const age = ageOf(p);
  const sharing = p.position !== null && p.position !== undefined;
  const pos = located(p);
  return h("tr", { "data-user-id": p.userId },
    h("th", { scope: "row" }, p.fullName),
    h("td", { class: "age" }, sharing ? ageText(age ?? 0) : "Not sharing location"),
    h("td", {}, pos?.horizontalAccuracy != null ? `± ${Math.round(pos.horizontalAccuracy)} m` : "—"),
    h("td", { class: "place" }, pos ? `${pos.latitude.toFixed(5)}, ${pos.longitude.toFixed(5)}`
      : p.position?.inPrivateZone ? `In a private zone (${timeText(p.position.timestamp)})` : "—"),
    h("td", {}, h("a", { href: `/members/${encodeURIComponent(p.userId)}/day?date=${date}`, "data-link": true },
      h("span", {}, "Day view"), h("span", { class: "sr-only" }, ` of ${p.fullName}`))));
}

export async function renderLiveMap(ctx: Context): Promise<() => void> {
  const accountId = ctx.me.accountId;
  const mapBox = h("div", { class: "map", id: "live-map", role: "region", "aria-label": "Map of the crew's latest positions" });
  const body = h("tbody", {});
  const summary = h("p", { id: "map-summary" });
  ctx.main.append(h("h1", {}, "Live map"), summary, mapBox,
    h("table", { class: "grid", "aria-describedby": "map-summary" },
      h("caption", {}, "Latest position of every member"),
      h("thead", {}, h("tr", {}, ...["Member", "Last position", "Accuracy", "Place", "Track"].map((t) => h("th", { scope: "col" }, t)))),
      body));

  let map: PortalMap | null = null;
  if (webglAvailable()) {
    try { map = await createMap(mapBox, "Map of the crew's latest positions"); } catch (e) { mapBox.append(errorBox(e)); }
  } else {
    mapBox.append(h("p", { class: "note" }, "This browser cannot draw maps (no WebGL); the positions are listed below."));
  }

  let etag: string | null = null;
  let last: LatestPositions | null = null;
  let fitted = false;
  const today = new Date().toISOString().slice(0, 10);

  const draw = async (): Promise<void> => {
    if (!last) return;
    clear(body);
    body.append(...last.items.map((p) => row(p, today)));
    const sharing = last.items.filter((p) => p.position);
    summary.textContent = `${last.items.length} members, ${sharing.length} sharing their location.`;
    if (map) {
      const points = sharing.filter((p) => located(p)).map((p) => ({ id: p.userId, lon: located(p)!.longitude,
        lat: located(p)!.latitude, accuracy: located(p)!.horizontalAccuracy ?? undefined,
        stale: (ageOf(p) ?? 0) > STALE_SECONDS,
        label: `${p.fullName}, ${ageText(ageOf(p) ?? 0)}` }));
      if (!fitted && points.length) { map.fit(points.map((p) => [p.lon, p.lat])); fitted = true; }
      await map.setPoints(points);
    }
    mapBox.dataset.members = String(sharing.length);
  };

  const poll = async (): Promise<void> => {
    try {
      const changed = await getIfChanged<LatestPositions>(`/accounts/${accountId}/locations/latest`, etag);
      if (changed) {
        etag = changed.etag;
        last = changed.body;
        await draw();
        announce("Positions updated.");
      } else {
        for (const tr of Array.from(body.querySelectorAll("tr"))) {  // only the ages move
          const p = last?.items.find((i) => i.userId === tr.dataset.userId);
          const cell = tr.querySelector(".age");
          if (p?.position && cell) cell.textContent = ageText(ageOf(p) ?? 0);
        }
      }
      ctx.main.dataset.polls = String(Number(ctx.main.dataset.polls ?? 0) + 1);
      ctx.main.dataset.lastPoll = changed ? "200" : "304";
    } catch (e) {
      summary.replaceChildren(errorBox(e));
    }
  };

  await poll();
  const timer = window.setInterval(() => void poll(), (config().map.pollSeconds ?? 15) * 1000);
  return () => { window.clearInterval(timer); map?.remove(); };
}
