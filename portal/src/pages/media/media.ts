// Photos and notes (owner): a gallery of thumbnails through the short-lived read links, capture time and place;
// the notes list. Note texts and names are shown as text, never as markup.

import type { Context } from "../../main";
import { get, type MemberList, type NotePage, type PhotoDetail, type PhotoPage } from "../../api/client";
import { h, append, clear, errorBox, timeText } from "../../ui/dom";
import { createMap, webglAvailable, type PortalMap } from "../map/maplib";

export async function renderMedia(ctx: Context): Promise<() => void> {
  const accountId = ctx.me.accountId;
  const gallery = h("ul", { class: "gallery", id: "gallery" });
  const notesBody = h("tbody", {});
  const viewer = h("dialog", { id: "photo-viewer", "aria-labelledby": "photo-viewer-title" });
  ctx.main.append(h("h1", {}, "Photos and notes"), h("h2", {}, "Photos"), gallery,
    h("h2", {}, "Notes"),
    h("table", { class: "grid", id: "notes" }, h("caption", {}, "Notes from the crew, newest first"),
      h("thead", {}, h("tr", {}, ...["Member", "Written", "Note"].map((t) => h("th", { scope: "col" }, t)))), notesBody),
    viewer);

  let viewerMap: PortalMap | null = null;
  const [members, photos, notes] = await Promise.all([
    get<MemberList>(`/accounts/${accountId}/members`),
    get<PhotoPage>(`/accounts/${accountId}/photos`, { limit: 100 }),
    get<NotePage>(`/accounts/${accountId}/notes`, { limit: 100 }),
  ]);
  const names = new Map(members.items.map((m) => [m.userId, m.fullName]));
  const nameOf = (id: string): string => names.get(id) ?? "Former member";

  const open = async (photoId: string, opener: HTMLElement): Promise<void> => {
    clear(viewer);
    viewerMap?.remove();
    viewerMap = null;
    const close = h("button", { type: "button", class: "close" }, "Close");
    close.addEventListener("click", () => viewer.close());
    viewer.addEventListener("close", () => opener.focus(), { once: true });
    try {
      const d = await get<PhotoDetail>(`/accounts/${accountId}/photos/${encodeURIComponent(photoId)}`);
      const place = d.location ? `${d.location.latitude.toFixed(5)}, ${d.location.longitude.toFixed(5)}` : "No place kept";
      const mapBox = h("div", { class: "map small", role: "region", "aria-label": "Where the photo was taken" });
      append(viewer, h("h2", { id: "photo-viewer-title" }, `Photo by ${nameOf(d.userId)}`),
        d.displayUrl ? h("img", { src: d.displayUrl, alt: `Photo by ${nameOf(d.userId)}, taken ${timeText(d.capturedAt)}`, class: "display", id: "photo-display" }) : h("p", {}, "Not available."),
        h("dl", {}, h("dt", {}, "Taken"), h("dd", {}, timeText(d.capturedAt)), h("dt", {}, "Place"), h("dd", {}, place)),
        d.location ? mapBox : null, close);
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
  const ready = photos.items.filter((p) => p.status === "ready");
  const details = await Promise.all(ready.map((p) => get<PhotoDetail>(`/accounts/${accountId}/photos/${encodeURIComponent(p.photoId)}`).catch(() => null)));
  for (const p of photos.items) {
    const d = details.find((x) => x?.photoId === p.photoId);
    const label = `Photo by ${nameOf(p.userId)}, taken ${timeText(p.capturedAt)}`;
    const button = h("button", { type: "button", class: "thumb", "data-photo-id": p.photoId, "aria-label": `Open: ${label}` },
      d?.thumbnailUrl ? h("img", { src: d.thumbnailUrl, alt: "" }) : h("span", {}, p.status === "ready" ? "Photo" : `Photo (${p.status})`));
    button.addEventListener("click", () => void open(p.photoId, button));
    gallery.append(h("li", {}, button, h("span", { class: "caption" }, `${nameOf(p.userId)}, ${timeText(p.capturedAt)}`)));
  }
  if (!notes.items.length) notesBody.append(h("tr", {}, h("td", { colspan: 3 }, "No notes yet.")));
  for (const n of notes.items) {
    notesBody.append(h("tr", { "data-note-id": n.noteId }, h("td", {}, nameOf(n.userId)), h("td", {}, timeText(n.at ?? n.createdAt)),
      h("td", { class: "note-text" }, n.text)));
  }
  return () => viewerMap?.remove();
}
