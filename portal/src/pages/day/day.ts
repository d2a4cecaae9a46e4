// A member's day (owner): the track with stops, a simplification control, a time slider replaying the day and a
// GPX download. The day is the member's own calendar day, in their time zone.

import type { Context } from "../../context";
import type { components } from "../../api/schema";
import { type Feature, isTrackCollection } from "../../api/client";
import { api, data } from "../../api/typed";
import { dayRange, localDate } from "../../ui/days";
import { h, clear, errorBox, timeText } from "../../ui/dom";
import { createMap, webglAvailable, type PortalMap } from "../map/maplib";
import { ringOf } from "../sites/sites";
import { durationText } from "../timesheets/format";
import { distanceText } from "../../ui/format";

type Site = components["schemas"]["JobSitePublic"];
type SheetDay = components["schemas"]["TimesheetDay"];

/** Whether a [longitude, latitude] lies inside a closed ring (ray casting; sites are small enough to be flat). */
export function insideRing(point: number[], ring: number[][]): boolean {
  const [x, y] = point;
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** The name of the job site a stop lies in, if any. */
export function siteOf(point: number[], sites: Site[]): string | null {
  return sites.find((s) => insideRing(point, ringOf(s.area)))?.name ?? null;
}

export const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

export async function renderDay(ctx: Context, userId: string): Promise<() => void> {
  const accountId = ctx.me.accountId;
  const members = data(await api().GET("/api/accounts/{accountId}/members", { params: { path: { accountId } } }));
  const member = members.items.find((m) => m.userId === userId);
  if (!member) {
    ctx.main.append(h("h1", {}, "Not found"), h("p", {}, "There is no such member in your account."));
    return () => undefined;
  }
  const tz = member.timeZone;
  const date = h("input", { id: "day-date", type: "date", value: ctx.params.get("date") ?? localDate(Date.now(), tz) });
  const simplify = h(
    "select",
    { id: "day-simplify" },
    h("option", { value: "" }, "Every point"),
    h("option", { value: "10" }, "Simplified (10 m)"),
    h("option", { value: "50" }, "Simplified (50 m)"),
  );
  const slider = h("input", { id: "day-replay", type: "range", min: 0, max: 0, value: 0, step: 1, disabled: true });
  const sliderText = h("output", { for: "day-replay", id: "day-replay-time" }, "");
  const gpx = h("button", { type: "button", id: "download-gpx" }, "Download GPX");
  const summary = h("p", { id: "day-summary", role: "status" });
  const stopsBody = h("tbody", {});
  const privateList = h("ul", { id: "private-gaps", class: "plain", "aria-label": "Private gaps" });
  const coarseNote = h("p", { id: "day-coarse", class: "note", hidden: true });
  const visitsBody = h("tbody", {});
  const mapBox = h("div", { class: "map", id: "day-map", role: "region", "aria-label": `Track of ${member.fullName}` });
  ctx.main.append(
    h("h1", {}, `${member.fullName}: day view`),
    h("p", { class: "note" }, `Times in ${tz}.`),
    h(
      "div",
      { class: "toolbar" },
      h("label", { for: "day-date" }, "Day"),
      date,
      h("label", { for: "day-simplify" }, "Track detail"),
      simplify,
      gpx,
    ),
    summary,
    mapBox,
    h("div", { class: "toolbar" }, h("label", { for: "day-replay" }, "Replay"), slider, sliderText),
    coarseNote,
    privateList,
    h(
      "table",
      { class: "grid", id: "visits" },
      h("caption", {}, "Visits to job sites"),
      h(
        "thead",
        {},
        h("tr", {}, ...["Site", "Arrival", "Departure", "Time on site"].map((t) => h("th", { scope: "col" }, t))),
      ),
      visitsBody,
    ),
    h(
      "table",
      { class: "grid", id: "stops" },
      h("caption", {}, "Stops"),
      h(
        "thead",
        {},
        h("tr", {}, ...["Place", "Arrival", "Departure", "Minutes"].map((t) => h("th", { scope: "col" }, t))),
      ),
      stopsBody,
    ),
  );

  // The map is created while the day's data is fetched; the track is drawn when both are there.
  let map: PortalMap | null = null;
  const mapReady: Promise<PortalMap | null> = webglAvailable()
    ? createMap(mapBox, `Track of ${member.fullName}`, undefined, ctx.me.units)
        .then((m) => (map = m))
        .catch((e) => {
          mapBox.append(errorBox(e));
          return null;
        })
    : Promise.resolve(null);
  if (!webglAvailable()) {
    mapBox.append(h("p", { class: "note" }, "This browser cannot draw maps (no WebGL); the day is summarised below."));
  }

  let points: Feature[] = [];
  // The account's job sites name the stops inside them (one request for the page, not per day).
  const sites: Site[] = await api()
    .GET("/api/accounts/{accountId}/job-sites", { params: { path: { accountId }, query: { limit: 1000 } } })
    .then((r) => data(r).items)
    .catch(() => []);
  const trackPath = { accountId, userId }; // the typed client encodes each path parameter

  /** The simplification chosen, in metres (none: every point). */
  const tolerance = (): number | undefined => (simplify.value ? Number(simplify.value) : undefined);

  const load = async (): Promise<void> => {
    const { from, to } = dayRange(date.value, tz);
    const range = { from, to };
    const features: Feature[] = [];
    let continuation: string | undefined;
    do {
      const page = data(
        await api().GET("/api/accounts/{accountId}/members/{userId}/track", {
          params: {
            path: trackPath,
            query: { ...range, format: "geojson", stops: true, limit: 10000, simplify: tolerance(), continuation },
          },
        }),
      );
      // The OpenAPI document leaves a GeoJSON feature's geometry and properties open: checked here, not cast.
      if (typeof page === "string" || !isTrackCollection(page))
        throw new Error("The track answer is not the GeoJSON the page expects.");
      continuation = "continuation" in page && typeof page.continuation === "string" ? page.continuation : undefined;
      features.push(...page.features);
    } while (continuation);
    points = features.filter((f) => f.properties.kind === "ping");
    const stops = features.filter((f) => f.properties.kind === "stop");
    showPrivateGaps(privateList, features, tz);
    const coarse = points.filter((f) => f.properties.coarse === true).length;
    coarseNote.hidden = coarse === 0;
    coarseNote.textContent = coarse
      ? `Coarsened history: ${plural(coarse, "point", "points")} of this day were kept ` +
        "at reduced detail after the account's detailed-history period (see Retention)."
      : "";
    const coords = points.map((f) => f.geometry.coordinates as number[]);
    const sheet: SheetDay | undefined = await api()
      .GET("/api/accounts/{accountId}/timesheets", {
        params: { path: { accountId }, query: { from: date.value, to: date.value, memberId: userId } },
      })
      .then((r) => data(r).days[0])
      .catch(() => undefined);
    const travelled = sheet ? `, ${distanceText(sheet.distanceMeters, ctx.me.units)} travelled` : "";
    summary.textContent = points.length
      ? `${plural(points.length, "point", "points")} from ${timeText(String(points[0].properties.time), tz)} to ` +
        `${timeText(String(points[points.length - 1].properties.time), tz)}, ${plural(stops.length, "stop", "stops")}${travelled}.`
      : "No positions on this day.";
    clear(visitsBody);
    const visits = sheet?.sites ?? [];
    if (!visits.length) visitsBody.append(h("tr", {}, h("td", { colspan: 4 }, "No visits to job sites.")));
    for (const v of visits) {
      visitsBody.append(
        h(
          "tr",
          {},
          h("th", { scope: "row" }, v.siteName ?? "A deleted site"),
          h("td", {}, timeText(v.firstArrival, tz)),
          h("td", {}, v.lastDeparture ? timeText(v.lastDeparture, tz) : "Still there"),
          h("td", {}, `${durationText(v.seconds)}${v.visits > 1 ? ` (${v.visits} visits)` : ""}`),
        ),
      );
    }
    clear(stopsBody);
    if (!stops.length) stopsBody.append(h("tr", {}, h("td", { colspan: 4 }, "No stops.")));
    for (const s of stops) {
      const at = s.geometry.coordinates as number[];
      stopsBody.append(
        h(
          "tr",
          {},
          h("th", { scope: "row" }, siteOf(at, sites) ?? `${at[1].toFixed(4)}, ${at[0].toFixed(4)}`),
          h("td", {}, timeText(String(s.properties.arrival), tz)),
          h("td", {}, timeText(String(s.properties.departure), tz)),
          h("td", {}, String(s.properties.minutes)),
        ),
      );
    }
    slider.max = String(Math.max(0, points.length - 1));
    slider.value = slider.max;
    slider.disabled = points.length === 0;
    sliderText.textContent = points.length ? timeText(String(points[points.length - 1].properties.time), tz) : "";
    mapBox.dataset.points = String(points.length);
    const drawn = await mapReady;
    if (drawn) {
      drawn.fit(coords);
      drawn.setCursor(coords.length ? coords[coords.length - 1] : null);
      await drawn.setTrack(
        coords,
        stops.map((s) => s.geometry.coordinates as number[]),
      );
    }
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
      const { from, to } = dayRange(date.value, tz);
      const text = data(
        await api().GET("/api/accounts/{accountId}/members/{userId}/track", {
          params: { path: trackPath, query: { from, to, format: "gpx", limit: 10000, simplify: tolerance() } },
          parseAs: "text",
        }),
      );
      const link = h("a", {
        href: URL.createObjectURL(new Blob([text], { type: "application/gpx+xml" })),
        download: `${member.fullName.replace(/[^\w.-]+/g, "_")}-${date.value}.gpx`,
      });
      document.body.append(link);
      link.click();
      link.remove();
    } catch (e) {
      summary.replaceChildren(errorBox(e));
    }
  });
  await load().catch((e) => summary.replaceChildren(errorBox(e)));
  if (!mapBox.isConnected) (await mapReady)?.remove(); // left while loading
  return () => map?.remove();
}

/** The track's gaps where pings were withheld in a private zone: only their times, never a place. */
export function showPrivateGaps(list: HTMLElement, features: Feature[], timeZone?: string): void {
  clear(list);
  for (const g of features.filter((f) => f.properties.kind === "private-gap")) {
    const from = timeText(String(g.properties.from), timeZone);
    const to = timeText(String(g.properties.to), timeZone);
    list.append(
      h(
        "li",
        { class: "private-gap" },
        `Private: no position stored from ${from} to ${to}`,
        ` (${String(g.properties.withheld)} withheld)`,
      ),
    );
  }
}
