// A member's day (owner): the track with stops, a simplification control, a time slider replaying the day and a
// GPX download. The day is the member's own calendar day, in their time zone.

import type { Context } from "../../main";
import { get, getText, type Feature, type MemberList, type TrackCollection } from "../../api/client";
import { h, clear, errorBox, timeText } from "../../ui/dom";
import { createMap, webglAvailable, type PortalMap } from "../map/maplib";

/** "+HH:MM" offset of a time zone at a given instant. */
function offsetAt(timeZone: string, at: Date): string {
  const part = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" })
    .formatToParts(at).find((p) => p.type === "timeZoneName")?.value ?? "GMT";
  const m = part.match(/GMT([+-]\d{2}):?(\d{2})?/);
  return m ? `${m[1]}:${m[2] ?? "00"}` : "+00:00";
}

export function dayRange(date: string, timeZone: string): { from: string; to: string } {
  const noon = new Date(`${date}T12:00:00Z`);
  const next = new Date(noon.getTime() + 86_400_000).toISOString().slice(0, 10);
  return { from: `${date}T00:00:00${offsetAt(timeZone, noon)}`, to: `${next}T00:00:00${offsetAt(timeZone, new Date(noon.getTime() + 86_400_000))}` };
}

function todayIn(timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

export async function renderDay(ctx: Context, userId: string): Promise<() => void> {
  const accountId = ctx.me.accountId;
  const members = await get<MemberList>(`/accounts/${accountId}/members`);
  const member = members.items.find((m) => m.userId === userId);
  if (!member) {
    ctx.main.append(h("h1", {}, "Not found"), h("p", {}, "There is no such member in your account."));
    return () => undefined;
  }
  const tz = member.timeZone;
  const date = h("input", { id: "day-date", type: "date", value: ctx.params.get("date") ?? todayIn(tz) });
  const simplify = h("select", { id: "day-simplify" },
    h("option", { value: "" }, "Every point"), h("option", { value: "10" }, "Simplified (10 m)"), h("option", { value: "50" }, "Simplified (50 m)"));
  const slider = h("input", { id: "day-replay", type: "range", min: 0, max: 0, value: 0, step: 1, disabled: true });
  const sliderText = h("output", { for: "day-replay", id: "day-replay-time" }, "");
  const gpx = h("button", { type: "button", id: "download-gpx" }, "Download GPX");
  const summary = h("p", { id: "day-summary", role: "status" });
  const stopsBody = h("tbody", {});
  const privateList = h("ul", { id: "private-gaps", class: "plain", "aria-label": "Private gaps" });
  const mapBox = h("div", { class: "map", id: "day-map", role: "region", "aria-label": `Track of ${member.fullName}` });
  ctx.main.append(
    h("h1", {}, `${member.fullName}: day view`),
    h("p", { class: "note" }, `Times in ${tz}.`),
    h("div", { class: "toolbar" },
      h("label", { for: "day-date" }, "Day"), date,
      h("label", { for: "day-simplify" }, "Track detail"), simplify, gpx),
    summary, mapBox,
    h("div", { class: "toolbar" }, h("label", { for: "day-replay" }, "Replay"), slider, sliderText),
    privateList,
    h("table", { class: "grid", id: "stops" }, h("caption", {}, "Stops"),
      h("thead", {}, h("tr", {}, ...["Arrival", "Departure", "Minutes"].map((t) => h("th", { scope: "col" }, t)))), stopsBody));

  let map: PortalMap | null = null;
  if (webglAvailable()) {
    try { map = await createMap(mapBox, `Track of ${member.fullName}`); } catch (e) { mapBox.append(errorBox(e)); }
  } else {
    mapBox.append(h("p", { class: "note" }, "This browser cannot draw maps (no WebGL); the day is summarised below."));
  }

  let points: Feature[] = [];
  const trackPath = `/accounts/${accountId}/members/${encodeURIComponent(userId)}/track`;

  const load = async (): Promise<void> => {
    const range = dayRange(date.value, tz);
    const features: Feature[] = [];
    let continuation: string | undefined;
    do {
      const page = await get<TrackCollection & { continuation?: string }>(trackPath, {
        ...range, format: "geojson", stops: true, limit: 10000, simplify: simplify.value || undefined, continuation });
      features.push(...page.features);
      continuation = page.continuation;
    } while (continuation);
    points = features.filter((f) => f.properties.kind === "ping");
    const stops = features.filter((f) => f.properties.kind === "stop");
    showPrivateGaps(privateList, features, tz);
    const coords = points.map((f) => f.geometry.coordinates as number[]);
    summary.textContent = points.length
      ? `${points.length} points from ${timeText(String(points[0].properties.time), tz)} to ${timeText(String(points[points.length - 1].properties.time), tz)}, ${stops.length} stops.`
      : "No positions on this day.";
    clear(stopsBody);
    if (!stops.length) stopsBody.append(h("tr", {}, h("td", { colspan: 3 }, "No stops.")));
    for (const s of stops) {
      stopsBody.append(h("tr", {}, h("td", {}, timeText(String(s.properties.arrival), tz)),
        h("td", {}, timeText(String(s.properties.departure), tz)), h("td", {}, String(s.properties.minutes))));
    }
    slider.max = String(Math.max(0, points.length - 1));
    slider.value = slider.max;
    slider.disabled = points.length === 0;
    sliderText.textContent = points.length ? timeText(String(points[points.length - 1].properties.time), tz) : "";
    if (map) {
      map.fit(coords);
      map.setCursor(coords.length ? coords[coords.length - 1] : null);
      await map.setTrack(coords, stops.map((s) => s.geometry.coordinates as number[]));
    }
    mapBox.dataset.points = String(points.length);
  };

  slider.addEventListener("input", () => {
    const p = points[Number(slider.value)];
    if (!p) return;
    sliderText.textContent = timeText(String(p.properties.time), tz);
    map?.setCursor(p.geometry.coordinates as number[]);
  });
  const reload = (): void => {
    history.replaceState(null, "", `${location.pathname}?date=${date.value}`);
    void load().catch((e) => summary.replaceChildren(errorBox(e)));
  };
  date.addEventListener("change", reload);
  simplify.addEventListener("change", reload);
  gpx.addEventListener("click", async () => {
    try {
      const text = await getText(trackPath, { ...dayRange(date.value, tz), format: "gpx", limit: 10000, simplify: simplify.value || undefined });
      const link = h("a", { href: URL.createObjectURL(new Blob([text], { type: "application/gpx+xml" })),
        download: `${member.fullName.replace(/[^\w.-]+/g, "_")}-${date.value}.gpx` });
      document.body.append(link);
      link.click();
      link.remove();
    } catch (e) {
      summary.replaceChildren(errorBox(e));
    }
  });
  await load().catch((e) => summary.replaceChildren(errorBox(e)));
  return () => map?.remove();
}

/** The track's gaps where pings were withheld in a private zone: only their times, never a place. */
export function showPrivateGaps(list: HTMLElement, features: Feature[], timeZone?: string): void {
  clear(list);
  for (const g of features.filter((f) => f.properties.kind === "private-gap")) {
    const from = timeText(String(g.properties.from), timeZone);
    const to = timeText(String(g.properties.to), timeZone);
    list.append(h("li", { class: "private-gap" }, `Private: no position stored from ${from} to ${to}`,
      ` (${String(g.properties.withheld)} withheld)`));
  }
}
