// My data (every signed-in person, the worker's page): my track today, my information (profile.ts), e-mail
// preferences (emailprefs.ts), consents and their history (consents.ts), tracking windows with a preview
// (windows.ts, preview.ts), photos, notes and the access log of who looked at my data.

import type { Context } from "../../main";
import { get, type Consents, type EmailPreferences, type Me, type NotePage, type PhotoPage,
  type TrackCollection, type TrackingSchedule } from "../../api/client";
import { h, timeText } from "../../ui/dom";
import { dayRange, showPrivateGaps } from "../day/day";
import { createMap, webglAvailable } from "../map/maplib";
import { accessLogPanel } from "./accesslog";
import { consentsPanel } from "./consents";
import { emailPreferencesForm } from "./emailprefs";
import { profileForm } from "./profile";
import { scheduleEditor } from "./windows";
import { zoneList } from "./zones";

const CONTENTS: [string, string][] = [["my-track", "My track today"], ["my-information", "My information"],
  ["my-email", "E-mail I receive"], ["my-consents", "What I allowed"], ["my-windows", "When I am tracked"],
  ["my-photos", "My photos"], ["my-notes", "My notes"], ["my-access-log", "Who looked at my data"]];

function section(id: string, title: string, ...content: (Node | string)[]): HTMLElement {
  return h("section", { "aria-labelledby": id }, h("h2", { id, tabindex: -1 }, title), ...content);
}

/** In-page links move focus to the section without a history entry (the router re-renders on popstate). */
function jump(ev: Event, id: string): void {
  ev.preventDefault();
  const heading = document.getElementById(id);
  heading?.scrollIntoView();
  heading?.focus({ preventScroll: true });
}

export async function renderMe(ctx: Context): Promise<() => void> {
  const me = ctx.me;
  const today = new Intl.DateTimeFormat("en-CA", { timeZone: me.timeZone }).format(new Date());
  const [track, photos, notes, consents, schedule, mine, prefs] = await Promise.all([
    get<TrackCollection>("/me/track", { ...dayRange(today, me.timeZone), limit: 10000 }),
    get<PhotoPage>(`/accounts/${me.accountId}/photos`, { userId: me.userId, limit: 50 }),
    get<NotePage>("/me/notes", { limit: 50 }),
    get<Consents>("/me/consents"),
    get<TrackingSchedule>("/me/tracking-schedule"),
    get<Me>("/me"),
    get<EmailPreferences>("/me/email-preferences"),
  ]);
  const pings = track.features.filter((f) => f.properties.kind === "ping");
  const mapBox = h("div", { class: "map small", id: "my-map", role: "region", "aria-label": "My track today" });
  const gaps = h("ul", { id: "my-private-gaps", class: "plain", "aria-label": "Private gaps today" });
  showPrivateGaps(gaps, track.features, me.timeZone);

  ctx.main.append(h("h1", {}, `${me.fullName}: my data`),
    h("p", {}, `${me.email}, ${me.role === "owner" ? "Account Owner" : "member"}. Time zone ${me.timeZone}.`),
    h("nav", { "aria-label": "On this page" }, h("ul", { class: "toc" }, ...CONTENTS.map(([id, text]) =>
      h("li", {}, h("a", { href: `#${id}`, onclick: (ev: Event) => jump(ev, id) }, text))))),
    section("my-track", "My track today",
      h("p", { id: "my-track-summary" }, pings.length
        ? `${pings.length} positions today, the last at ${timeText(String(pings[pings.length - 1].properties.time), me.timeZone)}.`
        : "No positions today."), gaps, pings.length ? mapBox : "",
      h("p", {}, h("a", { href: "/me/zones", "data-link": true, id: "my-zones-link" }, "My private zones"),
        ": places such as home where no position of mine is stored.")),
    section("my-information", "My information", profileForm(mine)),
    section("my-email", "E-mail I receive", emailPreferencesForm(prefs)),
    section("my-consents", "What I allowed", consentsPanel(consents, me.timeZone)),
    section("my-windows", "When I am tracked", scheduleEditor(schedule, me.timeZone)),
    section("my-photos", "My photos", photos.items.length
      ? h("ul", { id: "my-photos" }, ...photos.items.map((p) => h("li", {}, `Taken ${timeText(p.capturedAt)} (${p.status})`)))
      : h("p", {}, "No photos.")),
    section("my-notes", "My notes", notes.items.length
      ? h("ul", { id: "my-notes" }, ...notes.items.map((n) => h("li", {}, h("span", { class: "when" }, timeText(n.createdAt)), " ", h("span", { class: "note-text" }, n.text))))
      : h("p", {}, "No notes.")),
    section("my-access-log", "Who looked at my data", accessLogPanel(me.timeZone)),
    zoneList());
  if (!pings.length || !webglAvailable()) return () => undefined;
  const map = await createMap(mapBox, "My track today");
  const coords = pings.map((f) => f.geometry.coordinates as number[]);
  map.fit(coords);
  await map.setTrack(coords, []);
  return () => map.remove();
}
