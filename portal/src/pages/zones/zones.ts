// My private zones (every signed-in person): places such as home where no position of mine is stored. List, add
// (centre by clicking the map or typing coordinates, radius 100 m to 1 km), remove, and apply a zone to what is
// stored already (irreversible: the worker types REMOVE). Only the worker ever sees where a zone is.

import type { Context } from "../../context";
import type { HistoryApplied, PrivateZone } from "../../api/client";
import { api, data } from "../../api/typed";
import { announce, changeRunner, clear, errorBox, h, timeText } from "../../ui/dom";
import { createMap, type PortalMap, webglAvailable } from "../map/maplib";

const CONFIRMATION = "REMOVE";

function applied(a: HistoryApplied): string {
  return (
    `Applied to stored history on ${timeText(a.completedAt)}: ${a.pingsRemoved} stored positions removed` +
    `${a.latestPositionWithheld ? ", latest position hidden" : ""}, ${a.notesCleared} note places and ` +
    `${a.photosCleared} photo positions removed.`
  );
}

export async function renderZones(ctx: Context): Promise<() => void> {
  const messages = h("div", { id: "zone-messages" });
  const body = h("tbody", {});
  const lat = h("input", {
    id: "zone-lat",
    type: "number",
    step: "any",
    min: -90,
    max: 90,
    required: true,
    inputmode: "decimal",
  });
  const lon = h("input", {
    id: "zone-lon",
    type: "number",
    step: "any",
    min: -180,
    max: 180,
    required: true,
    inputmode: "decimal",
  });
  const radius = h("input", {
    id: "zone-radius",
    type: "number",
    min: 100,
    max: 1000,
    step: 10,
    value: 200,
    required: true,
  });
  const form = h(
    "form",
    { class: "stack", id: "zone-form", "aria-labelledby": "zone-add-title" },
    h("p", { class: "note", id: "zone-help" }, "Click the map to set the centre, or type its coordinates."),
    h("label", { for: "zone-lat" }, "Latitude of the centre"),
    lat,
    h("label", { for: "zone-lon" }, "Longitude of the centre"),
    lon,
    h("label", { for: "zone-radius" }, "Radius in metres (100 to 1,000)"),
    radius,
    h("button", { type: "submit" }, "Add the zone"),
  );
  const mapBox = h("div", { class: "map", id: "zones-map", role: "region", "aria-label": "Map of my private zones" });
  const count = h("p", { id: "zones-count" });
  ctx.main.append(
    h("h1", {}, "My private zones"),
    h(
      "p",
      {},
      "No position taken inside one of your private zones is stored: your track shows a gap labelled " +
        'private, your latest position says only "in a private zone" and when. Your employer sees how many zones ' +
        "you have, never where. A zone applies from the moment you add it, unless you apply it to stored history.",
    ),
    messages,
    count,
    h(
      "table",
      { class: "grid", id: "zones" },
      h("caption", {}, "Zones in force"),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...["Centre", "Radius", "Added", "Stored history", "Actions"].map((t) => h("th", { scope: "col" }, t)),
        ),
      ),
      body,
    ),
    h("h2", { id: "zone-add-title" }, "Add a zone"),
    mapBox,
    form,
  );

  let map: PortalMap | null = null;
  if (webglAvailable()) {
    try {
      map = await createMap(mapBox, "Map of my private zones: click to set a zone's centre", undefined, ctx.me.units);
      map.map.on("click", (ev) => {
        lat.value = ev.lngLat.lat.toFixed(6);
        lon.value = ev.lngLat.lng.toFixed(6);
        announce(`Centre set to ${lat.value}, ${lon.value}.`);
      });
    } catch (e) {
      mapBox.append(errorBox(e));
    }
  } else {
    mapBox.append(h("p", { class: "note" }, "This browser cannot draw maps (no WebGL); type the coordinates below."));
  }

  const act = changeRunner(messages, () => load());

  const actions = (z: PrivateZone, n: number): HTMLElement => {
    const box = h("span", { class: "toolbar" });
    const remove = h("button", { type: "button", "aria-label": `Remove zone ${n}` }, "Remove");
    remove.addEventListener(
      "click",
      () =>
        void act(
          () =>
            api().DELETE("/api/me/private-zones/{zoneId}", {
              params: { path: { zoneId: z.zoneId } },
            }),
          `Zone ${n} is removed from now on.`,
        ),
    );
    const apply = h(
      "button",
      { type: "button", "aria-label": `Apply to stored history: zone ${n}` },
      "Apply to stored history",
    );
    apply.addEventListener("click", () => {
      const id = `confirm-${n}`;
      const typed = h("input", { id, autocomplete: "off", required: true });
      const yes = h("button", { type: "submit", class: "danger" }, "Remove stored positions");
      const no = h("button", { type: "button" }, "Cancel");
      const confirm = h(
        "form",
        { class: "inline", "aria-label": `Confirm applying zone ${n}` },
        h(
          "label",
          { for: id },
          `This cannot be undone. Type ${CONFIRMATION} to remove every stored position inside zone ${n}`,
        ),
        typed,
        yes,
        no,
      );
      confirm.addEventListener("submit", (ev) => {
        ev.preventDefault();
        void act(async () => {
          const confirmation = typed.value.trim();
          if (confirmation !== CONFIRMATION) throw new Error(`Type ${CONFIRMATION} to confirm; nothing was removed.`);
          const result = data(
            await api().POST("/api/me/private-zones/{zoneId}/apply-to-history", {
              params: { path: { zoneId: z.zoneId } },
              body: { confirmation },
            }),
          );
          announce(applied(result));
        }, `Zone ${n} was applied to stored history.`);
      });
      no.addEventListener("click", () => {
        box.replaceChildren(...buttons);
        apply.focus();
      });
      box.replaceChildren(confirm);
      typed.focus();
    });
    const buttons = z.historyApplied ? [remove] : [remove, apply];
    box.append(...buttons);
    return box;
  };

  const load = async (): Promise<void> => {
    const zones = data(await api().GET("/api/me/private-zones"));
    clear(body);
    count.textContent = `${zones.items.length} of at most ${zones.maxZones} zones in force.`;
    if (!zones.items.length) body.append(h("tr", {}, h("td", { colspan: 5 }, "No private zones.")));
    zones.items.forEach((z, i) => {
      body.append(
        h(
          "tr",
          { "data-zone-id": z.zoneId },
          h("th", { scope: "row" }, `${z.latitude.toFixed(5)}, ${z.longitude.toFixed(5)}`),
          h("td", {}, `${Math.round(z.radiusMeters)} m`),
          h("td", {}, timeText(z.createdAt)),
          h("td", {}, z.historyApplied ? applied(z.historyApplied) : "Not applied"),
          h("td", {}, actions(z, i + 1)),
        ),
      );
    });
    if (map) {
      const points = zones.items.map((z) => ({
        id: z.zoneId,
        lon: z.longitude,
        lat: z.latitude,
        accuracy: z.radiusMeters,
      }));
      if (points.length) map.fit(points.map((p) => [p.lon, p.lat]));
      await map.setPoints(points);
    }
  };

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void act(async () => {
      await api().POST("/api/me/private-zones", {
        body: { latitude: Number(lat.value), longitude: Number(lon.value), radiusMeters: Number(radius.value) },
      });
      lat.value = "";
      lon.value = "";
    }, "The zone was added: no position inside it is stored from now on.");
  });
  body.append(h("tr", {}, h("td", { colspan: 5, class: "loading" }, "Loading your zones…")));
  try {
    await load();
  } catch (e) {
    clear(body);
    messages.append(errorBox(e));
  }
  return () => map?.remove();
}
