// The owner's devices (issue 30): every phone app sending a member's positions, with what it sent — last seen,
// battery, received, stored and dropped by reason — and a revocation with confirmation. Paged by the server
// (GET /api/accounts/{accountId}/devices); at phone widths the table's rows stack (styles.css, "Devices page").

import type { Context } from "../../context";
import { api, data } from "../../api/typed";
import type { components } from "../../api/schema";
import { h, clear, announce, ageText, errorBox, timeText } from "../../ui/dom";

type Device = components["schemas"]["AccountDevice"];
type Dropped = components["schemas"]["DroppedByReason"];

const PAGE = 100;
const APPS: Record<string, string> = {
  owntracks: "OwnTracks",
  overland: "Overland",
  traccar: "Traccar Client",
  gpslogger: "GPSLogger",
};
// Each reason as the owner reads it; `rejected` is the total of tooOld, inFuture and unreadable, so it is not listed.
const REASONS: [keyof Dropped, string][] = [
  ["noConsent", "location not allowed"],
  ["outsideWindow", "outside tracking hours"],
  ["privateZone", "in a private zone"],
  ["tooOld", "older than retention"],
  ["inFuture", "time in the future"],
  ["unreadable", "unreadable"],
  ["duplicates", "sent twice (stored once)"],
];
const COLUMNS = ["Member", "Device", "Last seen", "Battery", "Received", "Stored", "Dropped", "Actions"];

const count = (n: number): string => n.toLocaleString();

export function droppedText(dropped: Dropped): string {
  const parts = REASONS.filter(([key]) => Number(dropped[key] ?? 0) > 0).map(
    ([key, label]) => `${count(Number(dropped[key]))} ${label}`,
  );
  return parts.length ? parts.join(", ") : "none";
}

function seen(iso: string | null, now: number): HTMLElement | string {
  if (!iso) return "never";
  return h("time", { datetime: iso, title: timeText(iso) }, ageText((now - Date.parse(iso)) / 1000));
}

function battery(d: Device): HTMLElement | string {
  if (d.lastBattery === null || d.lastBattery === undefined) return "unknown";
  const text = `${Math.round(d.lastBattery)} %`;
  return d.lastBatteryAt ? h("span", { title: `reported ${timeText(d.lastBatteryAt)}` }, text) : text;
}

export async function renderDevices(ctx: Context): Promise<() => void> {
  document.title = "Devices - IndusTrack";
  const accountId = ctx.me.accountId;
  const messages = h("div", { id: "device-messages" });
  const state = h("p", { id: "devices-state", role: "status" }, "Loading devices…");
  const body = h("tbody", {});
  const more = h("button", { type: "button", id: "devices-more" }, "Show more devices");
  // `hidden` loses to the stylesheet's display rules for buttons and the stacked table: set display instead.
  const show = (el: HTMLElement, visible: boolean): void => {
    el.style.display = visible ? "" : "none";
  };
  const table = h(
    "table",
    { class: "grid devices", id: "devices", "aria-describedby": "devices-state" },
    h("caption", {}, "Devices of the account's members"),
    h("thead", {}, h("tr", {}, ...COLUMNS.map((t) => h("th", { scope: "col" }, t)))),
    body,
  );
  ctx.main.append(
    h("h1", {}, "Devices"),
    h(
      "p",
      {},
      "The tracking apps your members connected (OwnTracks, Overland, Traccar Client, GPSLogger). Each " +
        "device counts what it sent since it was connected. Positions taken without the member's permission, outside " +
        "their tracking hours or inside their private zones are dropped by the server and counted here, never stored.",
    ),
    messages,
    state,
    table,
    more,
  );

  let continuation: string | null = null;
  let shown = 0;

  const revokeCell = (d: Device): HTMLElement => {
    const cell = h("td", { "data-label": "Actions" });
    if (d.revokedAt) {
      cell.append(h("span", { class: "note" }, `Revoked ${timeText(d.revokedAt)}`));
      return cell;
    }
    const label = `${d.name} of ${d.memberName}`;
    const revoke = h("button", { type: "button", class: "danger", "aria-label": `Revoke ${label}` }, "Revoke");
    revoke.addEventListener("click", () => {
      const yes = h("button", { type: "button", class: "danger" }, "Revoke the device");
      const no = h("button", { type: "button" }, "Cancel");
      const confirm = h(
        "div",
        { class: "toolbar", role: "group", "aria-label": `Confirm revoking ${label}` },
        h("span", {}, `Revoke ${label}? The app is refused from its next request; what it sent stays.`),
        yes,
        no,
      );
      no.addEventListener("click", () => {
        cell.replaceChildren(revoke);
        revoke.focus();
      });
      yes.addEventListener("click", async () => {
        yes.disabled = true;
        clear(messages);
        try {
          await api().DELETE("/api/accounts/{accountId}/members/{userId}/devices/{deviceId}", {
            params: { path: { accountId, userId: d.userId, deviceId: d.deviceId } },
          });
          const done = `${label} is revoked.`;
          announce(done);
          messages.append(h("p", { class: "ok" }, done));
          cell.replaceChildren(h("span", { class: "note" }, "Revoked just now"));
        } catch (e) {
          yes.disabled = false;
          messages.append(errorBox(e));
        }
      });
      cell.replaceChildren(confirm);
      no.focus();
    });
    cell.append(revoke);
    return cell;
  };

  const row = (d: Device, now: number): HTMLElement =>
    h(
      "tr",
      { "data-device-id": d.deviceId },
      h("th", { scope: "row", "data-label": "Member" }, d.memberName),
      h(
        "td",
        { "data-label": "Device" },
        d.name,
        h("br", {}),
        h("span", { class: "note" }, d.lastProtocol ? (APPS[d.lastProtocol] ?? d.lastProtocol) : "no app yet"),
      ),
      h("td", { "data-label": "Last seen" }, seen(d.lastSeenAt, now)),
      h("td", { "data-label": "Battery" }, battery(d)),
      h("td", { "data-label": "Received", class: "num" }, count(d.received)),
      h("td", { "data-label": "Stored", class: "num" }, count(d.stored)),
      h("td", { "data-label": "Dropped" }, droppedText(d.dropped)),
      revokeCell(d),
    );

  const load = async (): Promise<void> => {
    more.disabled = true;
    try {
      const page = data(
        await api().GET("/api/accounts/{accountId}/devices", {
          params: { path: { accountId }, query: { limit: PAGE, ...(continuation ? { continuation } : {}) } },
        }),
      );
      const now = Date.now();
      const items = [...page.items].sort(
        (a, b) => a.memberName.localeCompare(b.memberName) || a.name.localeCompare(b.name),
      );
      body.append(...items.map((d) => row(d, now)));
      shown += items.length;
      continuation = page.continuation ?? null;
      show(more, continuation !== null);
      state.textContent = shown
        ? `${count(shown)} device${shown === 1 ? "" : "s"} shown.`
        : "No devices yet: members connect their phone from their own page.";
      show(table, shown > 0);
    } catch (e) {
      state.textContent = "The devices could not be loaded.";
      messages.append(errorBox(e));
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener("click", () => void load());
  show(more, false);
  show(table, false);
  await load();
  return () => undefined;
}
