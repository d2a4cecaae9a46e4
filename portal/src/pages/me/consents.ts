// "What I allowed": the current location and camera state and the consent ledger's history as the API records it
// (time, kind, granted or revoked, policy version, device and app). Location sharing and camera access can be
// turned off here; the API appends the revocation to the ledger and ingest refuses the next ping at once.

import { get, send, type Consents } from "../../api/client";
import { h, clear, announce, errorBox, timeText } from "../../ui/dom";

// How the portal names itself in the ledger's device and app fields (the ledger records where a change came from).
const FROM_PORTAL = { deviceId: "web-portal", appVersion: "portal" };
const KIND: Record<string, string> = { location: "Location", camera: "Camera" };
const TURN_OFF: Record<string, string> = { location: "Stop sharing my location", camera: "Turn off camera access" };

export function consentsPanel(initial: Consents, timeZone: string): HTMLElement {
  const current = h("ul", { id: "consents" });
  const history = h("tbody", {});
  const messages = h("div", {});

  const draw = (consents: Consents): void => {
    clear(current);
    clear(history);
    for (const c of consents.current) {
      const item = h("li", { "data-capability": c.capability },
        `${KIND[c.capability] ?? c.capability}: ${c.granted ? "allowed" : "not allowed"}`,
        c.since ? ` since ${timeText(c.since, timeZone)}` : "", c.policyVersion ? ` (privacy policy ${c.policyVersion})` : "");
      if (c.granted) {
        const off = h("button", { type: "button", class: "danger", id: `revoke-${c.capability}` }, TURN_OFF[c.capability] ?? "Turn off");
        off.addEventListener("click", () => void revoke(c.capability, off));
        item.append(" ", off);
      }
      current.append(item);
    }
    const entries = [...consents.history].reverse();
    if (!entries.length) history.append(h("tr", {}, h("td", { colspan: 5 }, "Nothing recorded yet.")));
    for (const e of entries) {
      history.append(h("tr", { "data-entry": e.entryId },
        h("td", {}, timeText(e.recordedAt, timeZone)), h("td", {}, KIND[e.capability] ?? e.capability),
        h("td", {}, e.granted ? "granted" : "revoked"), h("td", {}, e.policyVersion),
        h("td", {}, `${e.deviceId}, ${e.appVersion}`)));
    }
  };

  const revoke = async (capability: string, button: HTMLButtonElement): Promise<void> => {
    clear(messages);
    button.disabled = true;
    try {
      await send("PUT", `/me/consents/${capability}`, { ...FROM_PORTAL, granted: false });
      draw(await get<Consents>("/me/consents"));
      const text = capability === "location" ? "Location sharing is off from now on." : "Camera access is off from now on.";
      messages.append(h("p", { class: "ok", id: "consent-saved" }, text));
      announce(text);
    } catch (e) {
      button.disabled = false;
      messages.append(errorBox(e));
    }
  };

  draw(initial);
  return h("div", {}, current, messages,
    h("p", { class: "note" }, "Allowing location or camera again is done in the mobile app, on the device itself."),
    h("table", { class: "grid", id: "consent-history" },
      h("caption", {}, `Consent history as recorded, newest first (times in ${timeZone})`),
      h("thead", {}, h("tr", {}, ...["When", "What", "Decision", "Privacy policy", "From (device, app)"].map((t) => h("th", { scope: "col" }, t)))),
      history));
}
