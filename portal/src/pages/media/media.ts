// Photos and notes (owner): a gallery of the thumbnails the photo pipeline made, straight from the list answer (one
// request for the whole gallery, one read in the worker's access log); opening a photo asks for its detail once (one
// more read) and shows the display copy, the capture time and place, and the note written about it. Every note
// shows its written time (`writtenAt`), as the worker's own page does. Texts and names are shown as text only.

import type { Context } from "../../context";
import { api, data } from "../../api/typed";
import type { components } from "../../api/schema";
import { h, append, clear, errorBox, timeText } from "../../ui/dom";
import { createMap, webglAvailable, type PortalMap } from "../map/maplib";

type Photo = components["schemas"]["PhotoListItem"];
type Note = components["schemas"]["NotePublic"];

/** The note written about a photo: one that links the photo, else the one the photo was uploaded with. */
export function noteAbout(photo: Pick<Photo, "photoId" | "noteId">, notes: readonly Note[]): Note | null {
  return notes.find((n) => n.photoId === photo.photoId) ?? notes.find((n) => n.noteId === photo.noteId) ?? null;
}

export async function renderMedia(ctx: Context): Promise<() => void> {
  const accountId = ctx.me.accountId;
  const gallery = h("ul", { class: "gallery", id: "gallery" });
  const notesBody = h("tbody", {});
  const viewer = h("dialog", { id: "photo-viewer", "aria-labelledby": "photo-viewer-title" });
  ctx.main.append(
    h("h1", {}, "Photos and notes"),
    h("h2", {}, "Photos"),
    gallery,
    h("h2", {}, "Notes"),
    h(
      "table",
      { class: "grid", id: "notes" },
      h("caption", {}, "Notes from the crew, newest first"),
      h("thead", {}, h("tr", {}, ...["Member", "Written", "Note"].map((t) => h("th", { scope: "col" }, t)))),
      notesBody,
    ),
    viewer,
  );

  let viewerMap: PortalMap | null = null;
  const path = { accountId };
  const [members, photos, notes] = await Promise.all([
    api().GET("/api/accounts/{accountId}/members", { params: { path } }).then(data),
    api()
      .GET("/api/accounts/{accountId}/photos", { params: { path, query: { limit: 100 } } })
      .then(data),
    api()
      .GET("/api/accounts/{accountId}/notes", { params: { path, query: { limit: 100 } } })
      .then(data),
  ]);
  const names = new Map(members.items.map((m) => [m.userId, m.fullName]));
  const nameOf = (id: string): string => names.get(id) ?? "Former member";

  const open = async (photo: Photo, opener: HTMLElement): Promise<void> => {
    clear(viewer);
    viewerMap?.remove();
    viewerMap = null;
    const close = h("button", { type: "button", class: "close" }, "Close");
    close.addEventListener("click", () => viewer.close());
    viewer.addEventListener("close", () => opener.focus(), { once: true });
    try {
      const d = data(
        await api().GET("/api/accounts/{accountId}/photos/{photoId}", {
          params: { path: { accountId, photoId: photo.photoId } },
        }),
      );
      const place = d.location
        ? `${d.location.latitude.toFixed(5)}, ${d.location.longitude.toFixed(5)}`
        : "No place kept";
      const mapBox = h("div", { class: "map small", role: "region", "aria-label": "Where the photo was taken" });
      const note = noteAbout(d, notes.items);
      const facts = h(
        "dl",
        {},
        h("dt", {}, "Taken"),
        h("dd", {}, timeText(d.capturedAt)),
        h("dt", {}, "Place"),
        h("dd", {}, place),
      );
      if (note) {
        facts.append(
          h("dt", {}, "Note"),
          h(
            "dd",
            { id: "photo-note" },
            h("span", { class: "note-text" }, note.text),
            h("br", {}),
            h("span", { class: "when" }, `Written ${timeText(note.writtenAt)}`),
          ),
        );
      }
      append(
        viewer,
        h("h2", { id: "photo-viewer-title" }, `Photo by ${nameOf(d.userId)}`),
        h(
          "div",
          { class: "viewer-body" },
          d.displayUrl
            ? h("img", {
                src: d.displayUrl,
                alt: `Photo by ${nameOf(d.userId)}, taken ${timeText(d.capturedAt)}`,
                class: "display",
                id: "photo-display",
              })
            : h("p", {}, "Not available."),
          h("div", { class: "viewer-facts" }, facts, d.location ? mapBox : null, close),
        ),
      );
      viewer.showModal();
      close.focus();
      if (d.location && webglAvailable()) {
        viewerMap = await createMap(mapBox, "Where the photo was taken");
        const c = [d.location.longitude, d.location.latitude];
        viewerMap.fit([c]);
        await viewerMap.setPoints([{ id: d.photoId, lon: c[0], lat: c[1] }]);
      }
    } catch (e) {
      viewer.append(errorBox(e), close);
      if (!viewer.open) viewer.showModal();
    }
  };

  if (!photos.items.length) gallery.append(h("li", {}, "No photos yet."));
  for (const p of photos.items) {
    const label = `Photo by ${nameOf(p.userId)}, taken ${timeText(p.capturedAt)}`;
    const button = h(
      "button",
      { type: "button", class: "thumb", "data-photo-id": p.photoId, "aria-label": `Open: ${label}` },
      p.thumbnailUrl
        ? h("img", { src: p.thumbnailUrl, alt: "", loading: "lazy", decoding: "async" })
        : h("span", {}, p.status === "ready" ? "Photo" : `Photo (${p.status})`),
    );
    button.addEventListener("click", () => void open(p, button));
    gallery.append(
      h("li", {}, button, h("span", { class: "caption" }, `${nameOf(p.userId)}, ${timeText(p.capturedAt)}`)),
    );
  }
  if (!notes.items.length) notesBody.append(h("tr", {}, h("td", { colspan: 3 }, "No notes yet.")));
  for (const n of notes.items) {
    notesBody.append(
      h(
        "tr",
        { "data-note-id": n.noteId },
        h("td", {}, nameOf(n.userId)),
        h("td", {}, timeText(n.writtenAt)),
        h("td", { class: "note-text" }, n.text),
      ),
    );
  }
  return () => viewerMap?.remove();
}
