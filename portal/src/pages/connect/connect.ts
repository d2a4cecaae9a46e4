// Connect my phone (/me/connect): the worker points a free tracking app at the API without typing a token. For each
// supported app: a device token made here (shown once), the app's one-tap set-up link where it has one (OwnTracks,
// Overland), a QR code of it drawn in the page, and the values to paste with copy buttons. Below, the worker's
// devices with what each sent (received, stored, dropped by reason) and a revoke button. Location consent is asked
// first on this page: without it nothing a phone sends is stored.

import type { Context } from "../../context";
import type { components } from "../../api/schema";
import { api, data } from "../../api/typed";
import { config } from "../../config";
import { h, clear, announce, errorBox, timeText } from "../../ui/dom";
import { qrSvg } from "../../ui/qr";
import { consentControl, loadConsents } from "../me/consents";
import { APPS, setupFor, trackerIdOf, type AppKey, type AppSetup } from "./setup";

type Device = components["schemas"]["DevicePublic"];

const DROPPED: [keyof Device["dropped"], string][] = [
  ["noConsent", "without location allowed"],
  ["outsideWindow", "outside my tracking windows"],
  ["privateZone", "in a private zone"],
  ["tooOld", "too old"],
  ["inFuture", "dated in the future"],
  ["unreadable", "unreadable"],
  ["duplicates", "sent twice (kept once)"],
];
const PROTOCOL: Record<string, string> = {
  owntracks: "OwnTracks",
  overland: "Overland",
  traccar: "Traccar Client",
  gpslogger: "GPSLogger",
};

async function copy(text: string, button: HTMLButtonElement, what: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    announce(`${what} copied.`);
    button.textContent = "Copied";
  } catch {
    announce(`Copying is not available here: select the ${what.toLowerCase()} and copy it.`);
  }
}

function valueRow(label: string, value: string, id: string): HTMLElement {
  const field = h("input", { type: "text", readonly: true, value, id, class: "paste" });
  const button = h("button", { type: "button", class: "copy", "aria-label": `Copy: ${label}` }, "Copy");
  button.addEventListener("click", () => void copy(value, button, label));
  return h(
    "div",
    { class: "paste-row" },
    h("label", { for: id }, label),
    h("div", { class: "paste-field" }, field, button),
  );
}

function setupView(s: AppSetup): HTMLElement {
  const out = h("div", { class: "setup", id: `setup-${s.key}`, "data-app": s.key });
  out.append(
    h(
      "p",
      { class: "warning", role: "note" },
      h("strong", {}, "Shown only this once. "),
      "The password below lets anyone who has it send positions as you: keep it on your phone, do not share it. " +
        "If it leaks, revoke the device below and make a new one.",
    ),
  );
  if (s.link) {
    out.append(
      h("p", {}, h("a", { href: s.link.href, class: "button big", id: `open-${s.key}` }, s.link.text)),
      h("p", { class: "note" }, "On this phone: tap the button. From a computer: scan the code with the phone."),
    );
  }
  const steps = h("ol", { class: "steps" }, ...s.steps.map((t) => h("li", {}, t)));
  out.append(
    steps,
    h(
      "figure",
      { class: "qr-box" },
      qrSvg(s.qr, s.qrLabel, `qr-${s.key}`),
      h("figcaption", {}, s.link ? "The same set-up link as a QR code" : "The URL as a QR code"),
    ),
  );
  const values = h(
    "details",
    { class: "values", open: s.link ? undefined : true },
    h("summary", {}, s.link ? "Or type the settings in the app yourself" : "Settings to paste in the app"),
    ...s.values.map((v, i) => valueRow(v.label, v.value, `value-${s.key}-${i}`)),
  );
  out.append(values);
  return out;
}

function deviceRows(devices: Device[], timeZone: string, revoke: (d: Device, row: HTMLElement) => void): HTMLElement[] {
  if (!devices.length) return [h("tr", {}, h("td", { colspan: 7 }, "No phone connected yet."))];
  return devices.map((d) => {
    const drops = DROPPED.filter(([k]) => d.dropped[k] > 0).map(([k, text]) => `${d.dropped[k]} ${text}`);
    const row = h(
      "tr",
      { "data-device-id": d.deviceId },
      h("th", { scope: "row", "data-label": "Device" }, d.name),
      h(
        "td",
        { "data-label": "Last seen" },
        d.lastSeenAt
          ? `${timeText(d.lastSeenAt, timeZone)}${d.lastProtocol ? ` (${PROTOCOL[d.lastProtocol] ?? d.lastProtocol})` : ""}`
          : "never",
      ),
      h("td", { "data-label": "Received", class: "num" }, String(d.received)),
      h("td", { "data-label": "Stored", class: "num" }, String(d.stored)),
      h("td", { "data-label": "Not stored" }, drops.length ? drops.join(", ") : "none"),
      h(
        "td",
        { "data-label": "Battery" },
        d.lastBattery !== null && d.lastBattery !== undefined ? `${Math.round(d.lastBattery)} %` : "unknown",
      ),
      h("td", { "data-label": "" }),
    );
    const cell = row.lastElementChild as HTMLElement;
    if (d.revokedAt) cell.append(`Revoked ${timeText(d.revokedAt, timeZone)}`);
    else {
      const b = h("button", { type: "button", class: "danger", "aria-label": `Revoke ${d.name}` }, "Revoke");
      b.addEventListener("click", () => revoke(d, row));
      cell.append(b);
    }
    return row;
  });
}

export async function renderConnect(ctx: Context): Promise<() => void> {
  const me = ctx.me;
  const consentBox = h("div", { id: "connect-consent" });
  const devicesBody = h("tbody", {});
  const deviceMessages = h("div", { id: "device-messages" });
  const made = h("div", { id: "connect-setup" });

  const drawConsent = async (): Promise<void> => {
    const consents = await loadConsents();
    const location = consents.current.find((c) => c.capability === "location");
    clear(consentBox);
    if (location) consentBox.append(consentControl(location, me.timeZone, drawConsent));
  };
  const drawDevices = async (): Promise<void> => {
    const list = data(await api().GET("/api/me/devices"));
    clear(devicesBody);
    devicesBody.append(...deviceRows(list.items, me.timeZone, askRevoke));
  };
  const askRevoke = (d: Device, row: HTMLElement): void => {
    clear(deviceMessages);
    const yes = h("button", { type: "button", class: "danger", id: "confirm-revoke-device" }, `Yes, revoke ${d.name}`);
    const no = h("button", { type: "button" }, "Keep it");
    yes.addEventListener("click", async () => {
      yes.disabled = true;
      try {
        await api().DELETE("/api/me/devices/{deviceId}", { params: { path: { deviceId: d.deviceId } } });
        clear(deviceMessages);
        const text = `${d.name} is revoked: what it sends is refused from now on.`;
        deviceMessages.append(h("p", { class: "ok" }, text));
        announce(text);
        await drawDevices();
      } catch (e) {
        yes.disabled = false;
        deviceMessages.append(errorBox(e));
      }
    });
    no.addEventListener("click", () => {
      clear(deviceMessages);
      (row.querySelector("button") as HTMLElement | null)?.focus();
    });
    deviceMessages.append(
      h(
        "div",
        { class: "confirm", role: "group", "aria-label": `Confirm revoking ${d.name}` },
        h("p", {}, `Revoke ${d.name}? The app on it can no longer send positions; its settings stop working.`),
        yes,
        " ",
        no,
      ),
    );
    yes.focus();
  };

  const connect = async (app: AppKey, button: HTMLButtonElement): Promise<void> => {
    clear(made);
    button.disabled = true;
    try {
      const name = `${PROTOCOL[app]} on my phone`;
      const device = data(await api().POST("/api/me/devices", { body: { name } }));
      const setup = setupFor(app, {
        apiBase: config().apiBase,
        deviceId: device.deviceId,
        token: device.token,
        trackerId: trackerIdOf(me.fullName),
      });
      const heading = h("h2", { id: "connect-setup-title", tabindex: -1 }, `Set up ${setup.name}`);
      made.append(h("section", { "aria-labelledby": "connect-setup-title" }, heading, setupView(setup)));
      announce(`A device for ${setup.name} is made.`);
      heading.focus();
      await drawDevices();
    } catch (e) {
      made.append(errorBox(e));
    } finally {
      button.disabled = false;
    }
  };

  const choices = h(
    "ul",
    { class: "apps", id: "connect-apps" },
    ...APPS.map((a) => {
      const b = h("button", { type: "button", id: `connect-${a.key}` }, `Set up ${a.name}`);
      b.addEventListener("click", () => void connect(a.key, b));
      return h(
        "li",
        { class: "app-card" },
        h("h3", {}, a.name),
        h("p", { class: "note" }, `${a.platforms}. ${a.about}`),
        b,
      );
    }),
  );

  ctx.main.append(
    h("h1", {}, "Connect my phone"),
    h(
      "p",
      {},
      "Your phone sends its position with a free tracking app. Pick the app, tap its set-up link on the " +
        "phone, and the first position appears within a minute.",
    ),
    h(
      "p",
      { class: "note", id: "server-rules" },
      h("strong", {}, "Your rules hold whatever the phone sends: "),
      "the server stores nothing outside your tracking windows or inside your private zones, and nothing without " +
        "your location permission, whatever the app is set to. ",
      h("a", { href: "/me#my-windows", "data-link": true }, "When I am tracked"),
      ", ",
      h("a", { href: "/me/zones", "data-link": true }, "My private zones"),
      ".",
    ),
    h(
      "section",
      { "aria-labelledby": "connect-step-consent" },
      h("h2", { id: "connect-step-consent" }, "1. Allow location"),
      consentBox,
    ),
    h(
      "section",
      { "aria-labelledby": "connect-step-app" },
      h("h2", { id: "connect-step-app" }, "2. Pick your app"),
      choices,
    ),
    made,
    h(
      "section",
      { "aria-labelledby": "connect-devices" },
      h("h2", { id: "connect-devices" }, "My connected phones"),
      h(
        "table",
        { class: "grid stack", id: "devices" },
        h("caption", {}, `Devices and what they sent (times in ${me.timeZone})`),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ...["Device", "Last seen", "Received", "Stored", "Not stored", "Battery", "Revoke"].map((t) =>
              h("th", { scope: "col" }, t),
            ),
          ),
        ),
        devicesBody,
      ),
      deviceMessages,
    ),
  );
  await Promise.all([drawConsent(), drawDevices()]);
  return () => undefined;
}
