// "What I allowed": location and camera, each allowed or withdrawn here with a button (a withdrawal asks to be
// confirmed first), what the privacy policy says about each, and the consent ledger's history as the API records it
// (time, kind, granted or revoked, policy version, where the decision came from). Every decision is one ledger
// entry written by the API with the policy version in force; withdrawing location stops storage from the next ping.

import type { Consents } from "../../api/client";
import { api, data } from "../../api/typed";
import { h, clear, announce, errorBox, timeText } from "../../ui/dom";

export type Capability = "location" | "camera";
type ConsentState = Consents["current"][number];

// How the portal names itself in the ledger's device and app fields (the ledger records where a change came from).
const FROM_PORTAL = { deviceId: "web-portal", appVersion: "portal", source: "portal" as const };
const KIND: Record<string, string> = { location: "Location", camera: "Camera" };

/** What the privacy policy in force says about each capability, in plain words (privacy policy of 2023-06-15:
 * "GPS Data", "GPS and WiFi signals", "Contents", "Metadata"). */
export const POLICY_SAYS: Record<Capability, string> = {
  location:
    "The privacy policy says: with your permission the position of your phone is tracked, and the Account " +
    "Owner can see your location data. You can take the permission back at any time, and you can limit tracking to " +
    'set times ("When I am tracked"). Without it, positions your phone sends are not stored.',
  camera:
    "The privacy policy says: photos, notes and other content you capture are available to the Account Owner, " +
    "with their metadata such as the time a photo was taken. Without this permission photos are refused.",
};

const ALLOW: Record<Capability, string> = { location: "Allow location", camera: "Allow camera" };
const WITHDRAW: Record<Capability, string> = { location: "Withdraw location", camera: "Withdraw camera" };
const DONE: Record<string, string> = {
  "location:true": "Location is allowed: positions your phone sends are stored from now on.",
  "location:false": "Location is withdrawn: positions your phone sends are no longer stored, from the next one on.",
  "camera:true": "Camera is allowed: photos you take can be uploaded.",
  "camera:false": "Camera is withdrawn: new photos are refused.",
};

/** One ledger entry through the API: granted or withdrawn, recorded with the policy version in force. */
export async function setConsent(capability: Capability, granted: boolean): Promise<void> {
  data(
    await api().PUT("/api/me/consents/{capability}", {
      params: { path: { capability } },
      body: { ...FROM_PORTAL, granted },
    }),
  );
}

export async function loadConsents(): Promise<Consents> {
  return data(await api().GET("/api/me/consents"));
}

/** One capability's state with its button: "Allow" at once; "Withdraw" after an inline confirmation. `changed` is
 * called with the new state after a decision was recorded. */
export function consentControl(state: ConsentState, timeZone: string, changed: () => Promise<void>): HTMLElement {
  const capability = state.capability as Capability;
  const name = KIND[capability] ?? capability;
  const messages = h("div", { class: "consent-messages" });
  const box = h("div", { class: "consent", "data-capability": capability, id: `consent-${capability}` });
  const statusText = h(
    "p",
    { class: "consent-state" },
    h("strong", {}, `${name}: `),
    state.granted ? "allowed" : "not allowed",
    state.since ? ` since ${timeText(state.since, timeZone)}` : "",
    state.policyVersion ? ` (privacy policy ${state.policyVersion})` : "",
  );
  const decide = async (granted: boolean, button: HTMLButtonElement): Promise<void> => {
    clear(messages);
    button.disabled = true;
    try {
      await setConsent(capability, granted);
      const text = DONE[`${capability}:${granted}`];
      announce(text);
      await changed();
      document
        .getElementById(`consent-${capability}`)
        ?.querySelector(".consent-messages")
        ?.append(h("p", { class: "ok", id: "consent-saved" }, text));
    } catch (e) {
      button.disabled = false;
      messages.append(errorBox(e));
    }
  };
  const actions = h("div", { class: "toolbar" });
  if (!state.granted) {
    const allow = h("button", { type: "button", id: `allow-${capability}` }, ALLOW[capability]);
    allow.addEventListener("click", () => void decide(true, allow));
    actions.append(allow);
  } else {
    const withdraw = h("button", { type: "button", class: "danger", id: `revoke-${capability}` }, WITHDRAW[capability]);
    withdraw.addEventListener("click", () => {
      clear(messages);
      const yes = h(
        "button",
        { type: "button", class: "danger", id: `confirm-revoke-${capability}` },
        `Yes, withdraw ${name.toLowerCase()}`,
      );
      const no = h("button", { type: "button" }, "Keep it allowed");
      const ask = h(
        "div",
        { class: "confirm", role: "group", "aria-label": `Confirm withdrawing ${name.toLowerCase()}` },
        h(
          "p",
          {},
          capability === "location"
            ? "Withdraw location? Positions your phone sends are not stored from the next one on."
            : "Withdraw camera? New photos are refused.",
        ),
        yes,
        " ",
        no,
      );
      yes.addEventListener("click", () => void decide(false, yes));
      no.addEventListener("click", () => {
        clear(messages);
        withdraw.focus();
      });
      messages.append(ask);
      yes.focus();
    });
    actions.append(withdraw);
  }
  box.append(statusText, h("p", { class: "note" }, POLICY_SAYS[capability]), actions, messages);
  return box;
}

export function consentsPanel(initial: Consents, timeZone: string): HTMLElement {
  const current = h("div", { id: "consents" });
  const history = h("tbody", {});

  const draw = (consents: Consents): void => {
    clear(current);
    clear(history);
    for (const c of consents.current) current.append(consentControl(c, timeZone, reload));
    const entries = [...consents.history].reverse();
    if (!entries.length) history.append(h("tr", {}, h("td", { colspan: 5 }, "Nothing recorded yet.")));
    for (const e of entries) {
      history.append(
        h(
          "tr",
          { "data-entry": e.entryId },
          h("td", { "data-label": "When" }, timeText(e.recordedAt, timeZone)),
          h("td", { "data-label": "What" }, KIND[e.capability] ?? e.capability),
          h("td", { "data-label": "Decision" }, e.granted ? "granted" : "revoked"),
          h("td", { "data-label": "Privacy policy" }, e.policyVersion),
          h(
            "td",
            { "data-label": "From" },
            `${e.deviceId}, ${e.appVersion}`,
            e.source === "portal" ? " (portal page)" : " (phone app)",
          ),
        ),
      );
    }
  };
  const reload = async (): Promise<void> => draw(await loadConsents());

  draw(initial);
  return h(
    "div",
    {},
    current,
    h(
      "table",
      { class: "grid stack", id: "consent-history" },
      h("caption", {}, `Consent history as recorded, newest first (times in ${timeZone})`),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...["When", "What", "Decision", "Privacy policy", "From (device, app)"].map((t) =>
            h("th", { scope: "col" }, t),
          ),
        ),
      ),
      history,
    ),
  );
}
