// Photos and notes from the phone (the worker's /me page): take a photo with the phone's camera (or pick one) and
// write a note, sent through the API's upload grant (POST /me/photos, one PUT of the file to the granted URL, POST
// /me/photos/{id}/complete), the note linked to the photo. The worker's own photos are listed with the thumbnails
// the photo pipeline made (never the original scaled down in the browser).

import type { components } from "../../api/schema";
import { api, data } from "../../api/typed";
import { h, clear, announce, errorBox, timeText } from "../../ui/dom";

type Photo = components["schemas"]["PhotoListItem"];
type ContentType = components["schemas"]["PhotoContentType"];

const TYPES: ContentType[] = ["image/jpeg", "image/png", "image/heic", "image/heif"];
const STATUS: Record<string, string> = {
  pending: "being checked",
  ready: "ready",
  rejected: "refused",
  quarantined: "held for a malware check",
};

async function uploadPhoto(file: File): Promise<string> {
  const type = TYPES.find((t) => t === file.type.toLowerCase());
  if (!type) throw new Error("Only JPEG, PNG or HEIC photos can be sent.");
  const grant = data(
    await api().POST("/api/me/photos", {
      body: { contentType: type, sizeBytes: file.size, capturedAt: null, noteId: null },
    }),
  );
  // The file goes straight to storage with the granted URL and headers (not an API call: no token is sent).
  const put = await fetch(grant.uploadUrl, { method: "PUT", body: file, headers: grant.uploadHeaders });
  if (!put.ok) throw new Error(`The photo could not be sent (storage answered ${put.status}). Try again.`);
  await api().POST("/api/me/photos/{photoId}/complete", { params: { path: { photoId: grant.photoId } } });
  return grant.photoId;
}

/** The form: a photo (camera on a phone), a note, or both; `sent` reloads the lists afterwards. */
export function captureForm(sent: () => Promise<void>): HTMLElement {
  const messages = h("div", { id: "capture-messages" });
  const file = h("input", { type: "file", id: "capture-photo", accept: "image/*", capture: "environment" });
  const note = h("textarea", { id: "capture-note", rows: 3, maxlength: 2000 });
  const send = h("button", { type: "submit", class: "big" }, "Send");
  const form = h(
    "form",
    { class: "capture", id: "capture-form" },
    h("label", { for: "capture-photo" }, "Photo (opens the camera on a phone)"),
    file,
    h("label", { for: "capture-note" }, "Note"),
    note,
    h("div", {}, send),
    messages,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clear(messages);
    const picked = file.files?.[0];
    const text = note.value.trim();
    if (!picked && !text) {
      messages.append(h("p", { class: "error", role: "alert" }, "Take a photo or write a note first."));
      return;
    }
    send.disabled = true;
    try {
      const photoId = picked ? await uploadPhoto(picked) : null;
      if (text) data(await api().POST("/api/me/notes", { body: { text, photoId, at: null, place: null } }));
      form.reset();
      const done = picked ? (text ? "Photo and note sent." : "Photo sent.") : "Note sent.";
      messages.append(
        h("p", { class: "ok", id: "capture-sent" }, done, picked ? " The photo appears below once it is checked." : ""),
      );
      announce(done);
      await sent();
    } catch (e) {
      messages.append(errorBox(e));
    } finally {
      send.disabled = false;
    }
  });
  return form;
}

/** My photos with their thumbnails (a ready photo's small copy made by the pipeline, linked from the list). */
export async function myPhotos(accountId: string, userId: string, timeZone: string): Promise<HTMLElement> {
  const page = data(
    await api().GET("/api/accounts/{accountId}/photos", {
      params: { path: { accountId }, query: { userId, limit: 50 } },
    }),
  );
  const items: Photo[] = page.items;
  if (!items.length) return h("p", { id: "my-photo-list" }, "No photos.");
  return h(
    "ul",
    { class: "gallery mine", id: "my-photo-list" },
    ...items.map((p) => {
      const when = timeText(p.capturedAt, timeZone);
      return h(
        "li",
        { "data-photo-id": p.photoId },
        p.thumbnailUrl
          ? h("img", { src: p.thumbnailUrl, alt: `My photo, taken ${when}`, class: "thumb-img" })
          : h("span", { class: "thumb-none" }, "No preview"),
        h("span", { class: "caption" }, `${when}, ${STATUS[p.status] ?? p.status}`),
      );
    }),
  );
}
