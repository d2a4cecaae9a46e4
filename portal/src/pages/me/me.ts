// My data (every signed-in person, the worker's page): my track today, my information (profile.ts), e-mail
// preferences (emailprefs.ts), consents and their history (consents.ts), tracking windows with a preview
// (windows.ts, preview.ts), photos, notes and the access log of who looked at my data. Each section loads on its
// own (ui/section.ts): one failed request shows its error in its section, the rest of the page still works.

import { type Feature, isTrackCollection } from "../../api/client";
import { api, data } from "../../api/typed";
import type { Context } from "../../context";
import { dayRange, localDate } from "../../ui/days";
import { h, timeText } from "../../ui/dom";
import { fillSection } from "../../ui/section";
import { showPrivateGaps } from "../day/day";
import { createMap, type PortalMap, webglAvailable } from "../map/maplib";
import { captureForm, myPhotos } from "./capture";
import { accessLogPanel } from "./accesslog";
import { consentsPanel } from "./consents";
import { emailPreferencesForm } from "./emailprefs";
import { profileForm } from "./profile";
import { scheduleEditor } from "./windows";
import { zoneList } from "./zones";

const CONTENTS: [string, string][] = [
  ["my-track", "My track today"],
  ["my-information", "My information"],
  ["my-email", "E-mail I receive"],
  ["my-consents", "What I allowed"],
  ["my-windows", "When I am tracked"],
  ["my-capture", "Send a photo or note"],
  ["my-photos", "My photos"],
  ["my-notes", "My notes"],
  ["my-access-log", "Who looked at my data"],
];

function section(id: string, title: string, body: HTMLElement): HTMLElement {
  return h("section", { "aria-labelledby": id }, h("h2", { id, tabindex: -1 }, title), body);
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
  const boxes = Object.fromEntries(CONTENTS.map(([id]) => [id, h("div", { class: "section-body" })]));
  let map: PortalMap | null = null;
  let gone = false;

  ctx.main.append(
    h("h1", {}, `${me.fullName}: my data`),
    h("p", {}, `${me.email}, ${me.role === "owner" ? "Account Owner" : "member"}. Time zone ${me.timeZone}.`),
    h(
      "nav",
      { "aria-label": "On this page" },
      h(
        "ul",
        { class: "toc" },
        ...CONTENTS.map(([id, text]) =>
          h("li", {}, h("a", { href: `#${id}`, onclick: (ev: Event) => jump(ev, id) }, text)),
        ),
      ),
    ),
    ...CONTENTS.map(([id, title]) => section(id, title, boxes[id])),
    zoneList(),
  );

  const mapBox = h("div", { class: "map small", id: "my-map", role: "region", "aria-label": "My track today" });
  let pings: Feature[] = [];
  const track = fillSection(boxes["my-track"], "your track", async () => {
    const range = dayRange(localDate(Date.now(), me.timeZone), me.timeZone);
    const answer = data(
      await api().GET("/api/me/track", { params: { query: { from: range.from, to: range.to, limit: 10000 } } }),
    );
    if (!isTrackCollection(answer)) throw new Error("The track answer is not the GeoJSON the page expects.");
    pings = answer.features.filter((f) => f.properties.kind === "ping");
    const gaps = h("ul", { id: "my-private-gaps", class: "plain", "aria-label": "Private gaps today" });
    showPrivateGaps(gaps, answer.features, me.timeZone);
    const last = pings[pings.length - 1];
    return [
      h(
        "p",
        { id: "my-track-summary" },
        last
          ? `${pings.length} positions today, the last at ${timeText(String(last.properties.time), me.timeZone)}.`
          : "No positions today.",
      ),
      gaps,
      pings.length ? mapBox : null,
      h(
        "p",
        {},
        h("a", { href: "/me/zones", "data-link": true, id: "my-zones-link" }, "My private zones"),
        ": places such as home where no position of mine is stored.",
      ),
      h(
        "p",
        {},
        h("a", { href: "/me/connect", "data-link": true, id: "my-connect-link" }, "Connect my phone"),
        ": set up a free tracking app on your phone in one tap.",
      ),
    ];
  });
  void fillSection(boxes["my-information"], "your information", async () =>
    profileForm(data(await api().GET("/api/me"))),
  );
  void fillSection(boxes["my-email"], "your e-mail preferences", async () =>
    emailPreferencesForm(data(await api().GET("/api/me/email-preferences"))),
  );
  void fillSection(boxes["my-consents"], "your consents", async () =>
    consentsPanel(data(await api().GET("/api/me/consents")), me.timeZone),
  );
  void fillSection(boxes["my-windows"], "your tracking windows", async () =>
    scheduleEditor(data(await api().GET("/api/me/tracking-schedule")), me.timeZone),
  );
  // Photos and notes from the phone (capture.ts): sending one reloads both lists.
  const loadPhotos = (): Promise<unknown> =>
    fillSection(boxes["my-photos"], "your photos", () => myPhotos(me.accountId, me.userId, me.timeZone));
  const loadNotes = (): Promise<unknown> =>
    fillSection(boxes["my-notes"], "your notes", async () => {
      const notes = data(await api().GET("/api/me/notes", { params: { query: { limit: 50 } } }));
      return notes.items.length
        ? h(
            "ul",
            { id: "my-note-list" },
            ...notes.items.map((n) =>
              h(
                "li",
                {},
                h("span", { class: "when" }, timeText(n.writtenAt, me.timeZone)),
                " ",
                h("span", { class: "note-text" }, n.text),
              ),
            ),
          )
        : h("p", {}, "No notes.");
    });
  void fillSection(boxes["my-capture"], "the photo and note form", async () => [
    h(
      "p",
      { class: "note" },
      'Photos need the camera allowed under "What I allowed"; the Account Owner sees what you send.',
    ),
    captureForm(async () => {
      await Promise.all([loadPhotos(), loadNotes()]);
    }),
  ]);
  void loadPhotos();
  void loadNotes();
  boxes["my-access-log"].replaceChildren(accessLogPanel(me.timeZone)); // coalesced reads, loaded by the panel

  if ((await track) && pings.length && webglAvailable() && !gone) {
    try {
      const shown = await createMap(mapBox, "My track today", undefined, ctx.me.units);
      if (gone) shown.remove();
      else {
        map = shown;
        const coords = pings.map((f) => f.geometry.coordinates.flat()); // a ping is a Point: [longitude, latitude]
        map.fit(coords);
        await map.setTrack(coords, []);
      }
    } catch (e) {
      mapBox.replaceChildren(h("p", { class: "error", role: "alert" }, `The map could not be drawn: ${String(e)}`));
    }
  }
  return () => {
    gone = true;
    map?.remove();
  };
}
