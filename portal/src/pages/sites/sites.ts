// Job sites (owner): the places work happens. A site is a circle (centre and radius) or a polygon drawn on the map,
// applies to every member or to the ones assigned, and optionally only in active hours. The API decides what is
// valid (corners, size, members of this account); this page draws and sends, then shows the API's answer or error.
// Visits, timesheets and the arrival/departure notices are computed by the server from these sites.

import type { Context } from "../../context";
import type { components } from "../../api/schema";
import { api, data } from "../../api/typed";
import { h, clear, announce, errorBox } from "../../ui/dom";
import { circle, createMap, webglAvailable, type PortalMap, type SiteShape } from "../map/maplib";
import { ZONE_LIST_ID, zoneList } from "../me/zones";
import { allMembers } from "./members";

type S = components["schemas"];
type Site = S["JobSitePublic"];
type Window = S["TrackingWindow"];
type Day = Window["days"][number];

const DAYS: Day[] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DEFAULT_RADIUS = 150;

/** The outline drawn for a site: a polygon's ring, or a circle as a ring of 48 corners. */
export function ringOf(area: Site["area"]): number[][] {
  return area.kind === "circle"
    ? circle(area.centre.longitude, area.centre.latitude, area.radius ?? DEFAULT_RADIUS, 48)
    : area.geometry.coordinates[0];
}

export function areaText(area: Site["area"]): string {
  return area.kind === "circle"
    ? `Circle, ${Math.round(area.radius ?? DEFAULT_RADIUS)} m radius`
    : `Polygon, ${area.geometry.coordinates[0].length - 1} corners`;
}

export function hoursText(hours: Site["activeHours"]): string {
  if (!hours) return "Always";
  const windows = hours.windows.map((w) => `${w.days.join(", ")} ${w.start}–${w.end}`);
  return `${windows.join("; ")} (${hours.timeZone})`;
}

export async function renderSites(ctx: Context): Promise<() => void> {
  const accountId = ctx.me.accountId;
  const messages = h("div", { id: "site-messages", "aria-live": "polite" });
  const body = h("tbody", {});
  const mapBox = h("div", { class: "map", id: "sites-map", role: "region", "aria-label": "Map of the job sites" });

  // ---- the editor
  const title = h("h2", { id: "site-editor-title" }, "Add a job site");
  const name = h("input", { id: "site-name", required: true, maxlength: 120, autocomplete: "off" });
  const address = h("input", { id: "site-address", maxlength: 300, autocomplete: "off" });
  const circleKind = h("input", {
    type: "radio",
    name: "site-kind",
    id: "site-kind-circle",
    value: "circle",
    checked: true,
  });
  const polygonKind = h("input", { type: "radio", name: "site-kind", id: "site-kind-polygon", value: "polygon" });
  const lat = h("input", { id: "site-lat", type: "number", step: "any", min: -90, max: 90, inputmode: "decimal" });
  const lon = h("input", { id: "site-lon", type: "number", step: "any", min: -180, max: 180, inputmode: "decimal" });
  const radius = h("input", { id: "site-radius", type: "number", min: 50, max: 5000, step: 10, value: DEFAULT_RADIUS });
  const circleFields = h(
    "div",
    { class: "stack", id: "site-circle" },
    h("label", { for: "site-lat" }, "Latitude of the centre"),
    lat,
    h("label", { for: "site-lon" }, "Longitude of the centre"),
    lon,
    h("label", { for: "site-radius" }, "Radius in metres (50 to 5,000)"),
    radius,
  );
  const cornerList = h("ol", { id: "site-corners", class: "plain" });
  const undo = h("button", { type: "button", id: "site-undo-corner" }, "Remove the last corner");
  const clearCorners = h("button", { type: "button" }, "Start the outline again");
  const polygonFields = h(
    "div",
    { class: "stack", id: "site-polygon", hidden: true },
    h("p", { class: "note" }, "Click the map at each corner of the site, in order (at least 3)."),
    cornerList,
    h("div", { class: "toolbar" }, undo, clearCorners),
  );
  const everyone = h("input", { type: "checkbox", id: "site-everyone", checked: true });
  const memberBoxes = h("div", { class: "checklist", id: "site-members", hidden: true });
  const limited = h("input", { type: "checkbox", id: "site-hours-on" });
  const zone = h("input", {
    id: "site-tz",
    list: ZONE_LIST_ID,
    value: Intl.DateTimeFormat().resolvedOptions().timeZone,
    autocomplete: "off",
  });
  const start = h("input", { id: "site-from", type: "time", value: "07:00" });
  const end = h("input", { id: "site-to", type: "time", value: "18:00" });
  const dayBoxes = DAYS.map((d) =>
    h("input", { type: "checkbox", id: `site-day-${d}`, value: d, checked: !["sat", "sun"].includes(d) }),
  );
  const hoursFields = h(
    "fieldset",
    { id: "site-hours", hidden: true },
    h("legend", {}, "Active hours"),
    h("label", { for: "site-tz" }, "Time zone"),
    zone,
    h(
      "div",
      { class: "days" },
      ...DAYS.map((d, i) => h("span", { class: "day" }, dayBoxes[i], h("label", { for: `site-day-${d}` }, d))),
    ),
    h("label", { for: "site-from" }, "From"),
    start,
    h("label", { for: "site-to" }, "to"),
    end,
  );
  const save = h("button", { type: "submit", id: "site-save" }, "Add the site");
  const cancel = h("button", { type: "button", id: "site-cancel", hidden: true }, "Cancel editing");
  const form = h(
    "form",
    { class: "stack", id: "site-form", "aria-labelledby": "site-editor-title" },
    h("label", { for: "site-name" }, "Name"),
    name,
    h("label", { for: "site-address" }, "Address (optional)"),
    address,
    h(
      "fieldset",
      {},
      h("legend", {}, "Shape"),
      h("span", { class: "day" }, circleKind, h("label", { for: "site-kind-circle" }, "Circle")),
      h("span", { class: "day" }, polygonKind, h("label", { for: "site-kind-polygon" }, "Polygon")),
    ),
    circleFields,
    polygonFields,
    h(
      "fieldset",
      {},
      h("legend", {}, "Applies to"),
      h("span", { class: "day" }, everyone, h("label", { for: "site-everyone" }, "Every member")),
      memberBoxes,
    ),
    h("span", { class: "day" }, limited, h("label", { for: "site-hours-on" }, "Only during active hours")),
    hoursFields,
    h("div", { class: "toolbar" }, save, cancel),
  );

  ctx.main.append(
    h("h1", {}, "Job sites"),
    h(
      "p",
      {},
      "A job site is a place where work happens. When a member's phone reports positions inside a site " +
        "(during its active hours, if it has them), the visit counts on their timesheet, and arrivals and departures " +
        "can be e-mailed to you. A site applies to every member unless you choose some.",
    ),
    messages,
    mapBox,
    h(
      "table",
      { class: "grid", id: "sites" },
      h("caption", {}, "Job sites"),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...["Name", "Area", "Applies to", "Active hours", "Actions"].map((t) => h("th", { scope: "col" }, t)),
        ),
      ),
      body,
    ),
    title,
    form,
    zoneList(),
  );

  let sites: Site[] = [];
  let editing: Site | null = null;
  let corners: number[][] = [];
  const names = new Map<string, string>();

  let map: PortalMap | null = null;
  const redraw = (): void => {
    if (!map) return;
    const shapes: SiteShape[] = sites.map((s) => ({
      id: s.siteId,
      name: s.name,
      ring: ringOf(s.area),
      selected: s.siteId === editing?.siteId,
    }));
    let draft: number[][] = [];
    if (polygonKind.checked) draft = corners;
    else if (lat.value && lon.value)
      draft = circle(Number(lon.value), Number(lat.value), Number(radius.value) || DEFAULT_RADIUS, 48).slice(0, -1);
    map.setSites(shapes, draft);
  };
  const showCorners = (): void => {
    clear(cornerList);
    corners.forEach(([x, y], i) => {
      cornerList.append(h("li", {}, `Corner ${i + 1}: ${y.toFixed(5)}, ${x.toFixed(5)}`));
    });
    undo.disabled = clearCorners.disabled = corners.length === 0;
    redraw();
  };
  const setKind = (): void => {
    circleFields.hidden = !circleKind.checked;
    polygonFields.hidden = !polygonKind.checked;
    redraw();
  };
  circleKind.addEventListener("change", setKind);
  polygonKind.addEventListener("change", setKind);
  for (const input of [lat, lon, radius]) input.addEventListener("input", redraw);
  undo.addEventListener("click", () => {
    corners.pop();
    showCorners();
  });
  clearCorners.addEventListener("click", () => {
    corners = [];
    showCorners();
  });
  everyone.addEventListener("change", () => {
    memberBoxes.hidden = everyone.checked;
  });
  limited.addEventListener("change", () => {
    hoursFields.hidden = !limited.checked;
  });

  if (webglAvailable()) {
    try {
      map = await createMap(
        mapBox,
        "Map of the job sites: click to place a circle's centre or a polygon's corners",
        undefined,
        ctx.me.units,
      );
      map.map.on("click", (ev) => {
        if (polygonKind.checked) {
          corners.push([Number(ev.lngLat.lng.toFixed(6)), Number(ev.lngLat.lat.toFixed(6))]);
          showCorners();
          announce(`Corner ${corners.length} placed.`);
        } else {
          lat.value = ev.lngLat.lat.toFixed(6);
          lon.value = ev.lngLat.lng.toFixed(6);
          redraw();
          announce(`Centre set to ${lat.value}, ${lon.value}.`);
        }
      });
    } catch (e) {
      mapBox.append(errorBox(e));
    }
  } else {
    mapBox.append(h("p", { class: "note" }, "This browser cannot draw maps (no WebGL): type a circle's centre below."));
  }

  const reset = (): void => {
    editing = null;
    form.reset();
    corners = [];
    radius.value = String(DEFAULT_RADIUS);
    title.textContent = "Add a job site";
    save.textContent = "Add the site";
    cancel.hidden = true;
    memberBoxes.hidden = true;
    hoursFields.hidden = true;
    for (const box of memberBoxes.querySelectorAll("input")) box.checked = false;
    showCorners();
    setKind();
  };

  const edit = (site: Site): void => {
    reset();
    editing = site;
    title.textContent = `Edit ${site.name}`;
    save.textContent = "Save the changes";
    cancel.hidden = false;
    name.value = site.name;
    address.value = site.address ?? "";
    if (site.area.kind === "circle") {
      circleKind.checked = true;
      lat.value = String(site.area.centre.latitude);
      lon.value = String(site.area.centre.longitude);
      radius.value = String(site.area.radius ?? DEFAULT_RADIUS);
    } else {
      polygonKind.checked = true;
      corners = site.area.geometry.coordinates[0].slice(0, -1);
    }
    everyone.checked = site.assignedMemberIds.length === 0;
    memberBoxes.hidden = everyone.checked;
    for (const box of memberBoxes.querySelectorAll("input")) box.checked = site.assignedMemberIds.includes(box.value);
    limited.checked = !!site.activeHours;
    hoursFields.hidden = !limited.checked;
    if (site.activeHours) {
      const w = site.activeHours.windows[0];
      zone.value = site.activeHours.timeZone;
      start.value = w.start;
      end.value = w.end === "24:00" ? "23:59" : w.end;
      dayBoxes.forEach((box) => {
        box.checked = (w.days as string[]).includes(box.value);
      });
    }
    showCorners();
    setKind();
    map?.fit(ringOf(site.area));
    name.focus();
  };
  cancel.addEventListener("click", reset);

  const area = (): S["JobSiteCreate"]["area"] => {
    if (polygonKind.checked) {
      return {
        kind: "polygon",
        geometry: { type: "Polygon", coordinates: [[...corners, corners[0]].filter((c) => c !== undefined)] },
      };
    }
    return {
      kind: "circle",
      centre: { latitude: Number(lat.value), longitude: Number(lon.value) },
      radius: Number(radius.value),
    };
  };
  const hours = (): S["ActiveHours"] | null =>
    limited.checked
      ? {
          timeZone: zone.value.trim(),
          windows: [
            { days: dayBoxes.filter((b) => b.checked).map((b) => b.value as Day), start: start.value, end: end.value },
          ],
        }
      : null;
  const assigned = (): string[] =>
    everyone.checked
      ? []
      : Array.from(memberBoxes.querySelectorAll("input"))
          .filter((b) => b.checked)
          .map((b) => b.value);

  const row = (site: Site): HTMLTableRowElement => {
    const editButton = h("button", { type: "button", "aria-label": `Edit ${site.name}` }, "Edit");
    editButton.addEventListener("click", () => edit(site));
    const remove = h("button", { type: "button", class: "danger", "aria-label": `Delete ${site.name}` }, "Delete");
    const cell = h("td", { class: "toolbar" }, editButton, remove);
    remove.addEventListener("click", () => {
      const yes = h("button", { type: "button", class: "danger" }, `Delete ${site.name}`);
      const no = h("button", { type: "button" }, "Keep it");
      cell.replaceChildren(h("span", {}, "Its visits stay on past timesheets. "), yes, no);
      no.addEventListener("click", () => {
        cell.replaceChildren(editButton, remove);
        remove.focus();
      });
      yes.addEventListener(
        "click",
        () =>
          void run(async () => {
            await api().DELETE("/api/accounts/{accountId}/job-sites/{siteId}", {
              params: { path: { accountId, siteId: site.siteId } },
            });
            sites = sites.filter((s) => s.siteId !== site.siteId);
            if (editing?.siteId === site.siteId) reset();
            show();
          }, `${site.name} was deleted.`),
      );
    });
    const who =
      site.assignedMemberIds.length === 0
        ? "Every member"
        : site.assignedMemberIds.map((id) => names.get(id) ?? "a former member").join(", ");
    return h(
      "tr",
      { "data-site-id": site.siteId },
      h("th", { scope: "row" }, site.name, site.address ? h("span", { class: "note block" }, site.address) : null),
      h("td", {}, areaText(site.area)),
      h("td", {}, site.assigneesErased ? "Nobody (assigned members were erased)" : who),
      h("td", {}, hoursText(site.activeHours)),
      cell,
    );
  };

  const show = (): void => {
    clear(body);
    if (!sites.length) body.append(h("tr", {}, h("td", { colspan: 5 }, "No job sites yet: add one below.")));
    body.append(...sites.map(row));
    redraw();
  };

  const run = async (what: () => Promise<void>, done: string): Promise<void> => {
    clear(messages);
    try {
      await what();
      messages.append(h("p", { class: "ok" }, done));
      announce(done);
    } catch (e) {
      messages.append(errorBox(e));
    }
  };

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const body = {
      name: name.value.trim(),
      address: address.value.trim() || null,
      area: area(),
      assignedMemberIds: assigned(),
      activeHours: hours(),
    };
    const was = editing;
    void run(
      async () => {
        const saved = was
          ? data(
              await api().PATCH("/api/accounts/{accountId}/job-sites/{siteId}", {
                params: { path: { accountId, siteId: was.siteId } },
                body,
              }),
            )
          : data(await api().POST("/api/accounts/{accountId}/job-sites", { params: { path: { accountId } }, body }));
        sites = was ? sites.map((s) => (s.siteId === saved.siteId ? saved : s)) : [...sites, saved];
        reset();
        show();
        if (!was && map) map.fit(ringOf(saved.area));
      },
      was ? `${body.name} was saved.` : `${body.name} was added.`,
    );
  });

  const load = async (): Promise<void> => {
    const [members, list] = await Promise.allSettled([
      allMembers(accountId),
      (async () => {
        const out: Site[] = [];
        let continuation: string | undefined;
        do {
          const page = data(
            await api().GET("/api/accounts/{accountId}/job-sites", {
              params: { path: { accountId }, query: { continuation } },
            }),
          );
          out.push(...page.items);
          continuation = page.continuation ?? undefined;
        } while (continuation);
        return out;
      })(),
    ]);
    if (members.status === "fulfilled") {
      for (const m of members.value) names.set(m.userId, m.fullName);
      memberBoxes.replaceChildren(
        ...members.value.map((m) =>
          h(
            "span",
            { class: "day" },
            h("input", { type: "checkbox", id: `site-member-${m.userId}`, value: m.userId }),
            h("label", { for: `site-member-${m.userId}` }, m.fullName),
          ),
        ),
      );
    } else {
      memberBoxes.replaceChildren(errorBox(members.reason));
    }
    if (list.status === "rejected") throw list.reason;
    sites = list.value;
    show();
    if (map && sites.length) map.fit(sites.flatMap((s) => ringOf(s.area)));
  };
  setKind();
  showCorners();
  await load().catch((e) => messages.append(errorBox(e)));
  return () => map?.remove();
}
