// My data (every signed-in person, the worker's page): my track today, photos, notes, consents, tracking windows
// (editable, with the time zone) and the access log of who looked at my data.

import type { Context } from "../../main";
import { get, send, type AccessLogPage, type Consents, type NotePage, type PhotoPage, type TrackCollection,
  type TrackingSchedule, type TrackingScheduleUpdate } from "../../api/client";
import { h, clear, announce, errorBox, timeText } from "../../ui/dom";
import { dayRange, showPrivateGaps } from "../day/day";
import { createMap, webglAvailable } from "../map/maplib";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
type Day = (typeof DAYS)[number];
type Window = TrackingScheduleUpdate["windows"][number];

function section(id: string, title: string, ...content: (Node | string)[]): HTMLElement {
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), ...content);
}

export async function renderMe(ctx: Context): Promise<() => void> {
  const me = ctx.me;
  const today = new Intl.DateTimeFormat("en-CA", { timeZone: me.timeZone }).format(new Date());
  const [track, photos, notes, consents, schedule, log] = await Promise.all([
    get<TrackCollection>("/me/track", { ...dayRange(today, me.timeZone), limit: 10000 }),
    get<PhotoPage>(`/accounts/${me.accountId}/photos`, { userId: me.userId, limit: 50 }),
    get<NotePage>("/me/notes", { limit: 50 }),
    get<Consents>("/me/consents"),
    get<TrackingSchedule>("/me/tracking-schedule"),
    get<AccessLogPage>("/me/access-log", { limit: 100 }),
  ]);
  const pings = track.features.filter((f) => f.properties.kind === "ping");
  const mapBox = h("div", { class: "map small", id: "my-map", role: "region", "aria-label": "My track today" });
  const gaps = h("ul", { id: "my-private-gaps", class: "plain", "aria-label": "Private gaps today" });
  showPrivateGaps(gaps, track.features, me.timeZone);

  ctx.main.append(h("h1", {}, `${me.fullName}: my data`),
    h("p", {}, `${me.email}, ${me.role === "owner" ? "Account Owner" : "member"}. Time zone ${me.timeZone}.`),
    section("my-track", "My track today",
      h("p", { id: "my-track-summary" }, pings.length
        ? `${pings.length} positions today, the last at ${timeText(String(pings[pings.length - 1].properties.time), me.timeZone)}.`
        : "No positions today."), gaps, pings.length ? mapBox : "",
      h("p", {}, h("a", { href: "/me/zones", "data-link": true, id: "my-zones-link" }, "My private zones"),
        ": places such as home where no position of mine is stored.")),
    section("my-windows", "When I am tracked", scheduleEditor(schedule, me.timeZone)),
    section("my-consents", "What I allowed", h("ul", { id: "consents" }, ...consents.current.map((c) =>
      h("li", {}, `${c.capability === "location" ? "Location" : "Camera"}: ${c.granted ? "allowed" : "not allowed"}`,
        c.since ? ` since ${timeText(c.since)}` : "", c.policyVersion ? ` (privacy policy ${c.policyVersion})` : "")))),
    section("my-photos", "My photos", photos.items.length
      ? h("ul", { id: "my-photos" }, ...photos.items.map((p) => h("li", {}, `Taken ${timeText(p.capturedAt)} (${p.status})`)))
      : h("p", {}, "No photos.")),
    section("my-notes", "My notes", notes.items.length
      ? h("ul", { id: "my-notes" }, ...notes.items.map((n) => h("li", {}, h("span", { class: "when" }, timeText(n.createdAt)), " ", h("span", { class: "note-text" }, n.text))))
      : h("p", {}, "No notes.")),
    section("my-access-log", "Who looked at my data",
      h("table", { class: "grid", id: "access-log" }, h("caption", {}, "Reads of my data by others, newest first"),
        h("thead", {}, h("tr", {}, ...["When", "Who", "What"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, ...(log.items.length ? log.items.map((e) => h("tr", {}, h("td", {}, timeText(e.at)),
          h("td", {}, `${e.viewerName ?? e.viewerUserId} (${e.viewerRole})`), h("td", {}, String(e.data))))
          : [h("tr", {}, h("td", { colspan: 3 }, "Nobody has looked at your data."))])))));
  if (!pings.length || !webglAvailable()) return () => undefined;
  const map = await createMap(mapBox, "My track today");
  const coords = pings.map((f) => f.geometry.coordinates as number[]);
  map.fit(coords);
  await map.setTrack(coords, []);
  return () => map.remove();
}

function scheduleEditor(current: TrackingSchedule, fallbackZone: string): HTMLElement {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const zone = h("input", { id: "tz", list: "tz-list", value: current.timeZone ?? fallbackZone, required: true, autocomplete: "off" });
  const list = h("datalist", { id: "tz-list" }, ...zones.map((z) => h("option", { value: z })));
  const rows = h("ol", { class: "windows", id: "windows" });
  const messages = h("div", {});
  let counter = 0;

  const addRow = (w: Window): void => {
    const n = ++counter;
    const start = h("input", { type: "time", id: `w${n}-start`, value: w.start, required: true });
    const end = h("input", { type: "time", id: `w${n}-end`, value: w.end === "24:00" ? "23:59" : w.end, required: true });
    const days = DAYS.map((d) => {
      const box = h("input", { type: "checkbox", id: `w${n}-${d}`, value: d, checked: (w.days as string[]).includes(d) });
      return h("span", { class: "day" }, box, h("label", { for: `w${n}-${d}` }, d));
    });
    const remove = h("button", { type: "button", "aria-label": `Remove window ${n}` }, "Remove");
    const li = h("li", { "data-window": n },
      h("fieldset", {}, h("legend", {}, `Window ${n}`), ...days,
        h("label", { for: `w${n}-start` }, "From"), start, h("label", { for: `w${n}-end` }, "to"), end, remove));
    remove.addEventListener("click", () => li.remove());
    rows.append(li);
  };
  for (const w of current.windows ?? []) addRow(w as Window);

  const read = (): TrackingScheduleUpdate => ({
    timeZone: zone.value.trim(),
    windows: Array.from(rows.querySelectorAll("li")).map((li) => ({
      days: Array.from(li.querySelectorAll<HTMLInputElement>("input[type=checkbox]:checked")).map((b) => b.value as Day),
      start: li.querySelector<HTMLInputElement>("input[id$=-start]")!.value,
      end: li.querySelector<HTMLInputElement>("input[id$=-end]")!.value,
    })),
  });
  const state = h("p", { id: "windows-state" }, current.restricted ? "Tracked only inside these windows." : "Tracked whenever location is allowed (no windows).");
  const save = h("button", { type: "submit" }, "Save windows");
  const form = h("form", { id: "windows-form", "aria-label": "Tracking windows" },
    state, h("label", { for: "tz" }, "Time zone"), zone, list, rows,
    h("button", { type: "button", id: "add-window", onclick: () => addRow({ days: ["mon", "tue", "wed", "thu", "fri"], start: "08:00", end: "17:00" }) }, "Add a window"),
    save, messages);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clear(messages);
    try {
      const body = read();
      const saved = body.windows.length
        ? await send<TrackingSchedule>("PUT", "/me/tracking-schedule", body)
        : (await send("DELETE", "/me/tracking-schedule"), { restricted: false } as TrackingSchedule);
      state.textContent = saved?.restricted ? "Tracked only inside these windows." : "Tracked whenever location is allowed (no windows).";
      messages.append(h("p", { class: "ok" }, "Saved."));
      announce("Tracking windows saved.");
    } catch (e) {
      messages.append(errorBox(e));
    }
  });
  return form;
}
