// The limited view of a person whose access to their account ended (removed, left, or the account closed): what is
// still kept about them and until when, their export, erasure, and their own requests. Nothing of the account is
// shown or reachable; the API answers 403 access-ended everywhere else (docs/privacy-and-retention.md,
// "After leaving an account").

import type { HeldData } from "../../api/client";
import { api, data } from "../../api/typed";
import { announce, clear, errorBox, h, timeText } from "../../ui/dom";
import { fillSection } from "../../ui/section";
import { requestTable } from "../privacy/privacy";

const POLL_MS = 2000;
const WHY: Record<string, string> = {
  removed: "You are no longer a member of this account.",
  closed: "This account was closed.",
};

function keptText(kind: HeldData["kinds"][number]): string {
  return kind.keptUntil ? `Until ${timeText(kind.keptUntil)}. ${kind.rule}` : kind.rule;
}

function heldTable(held: HeldData): HTMLElement {
  return h(
    "table",
    { class: "grid", id: "held-data" },
    h("caption", {}, "What is still kept about you"),
    h("thead", {}, h("tr", {}, ...["What", "Items", "How long it is kept"].map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      {},
      ...(held.kinds.length
        ? held.kinds.map((k) =>
            h(
              "tr",
              { "data-kind": k.kind },
              h("th", { scope: "row" }, k.description),
              h("td", {}, `${k.items}${k.itemsAtLeast ? " or more" : ""}`),
              h("td", {}, keptText(k)),
            ),
          )
        : [h("tr", {}, h("td", { colspan: 3 }, "Nothing personal is kept about you any more."))]),
    ),
  );
}

function why(held: HeldData): HTMLElement {
  if (held.access !== "closed")
    return h("p", { id: "former-why" }, WHY[held.access] ?? "Your access to this account has ended.");
  const deadlines = held.kinds
    .map((k) => k.keptUntil)
    .filter((t): t is string => t !== null)
    .sort();
  return h(
    "div",
    { id: "former-why" },
    h(
      "p",
      {},
      `${WHY.closed}${held.accountClosedAt ? ` It was closed on ${timeText(held.accountClosedAt)}` : ""}; `,
      "nobody can sign in to it or reach its data any more.",
    ),
    h(
      "p",
      { id: "former-kept-until" },
      deadlines.length
        ? `What is kept about you is listed below with how long it is kept: the last of it until ${timeText(deadlines[deadlines.length - 1])}, then it is deleted.`
        : "What is kept about you is listed below with how long it is kept.",
    ),
  );
}

export async function renderFormer(main: HTMLElement, signOut: () => void): Promise<() => void> {
  const heldBox = h("div", { id: "held-box" });
  const requestsBox = h("div", { id: "former-requests" });
  const messages = h("div", { id: "former-messages" });
  const heading = h("h1", {}, "Your access to this account has ended");
  let timer: number | undefined;
  let gone = false;

  const showHeld = async (): Promise<HTMLElement[]> => {
    const held = data(await api().GET("/api/me/held-data"));
    if (held.access === "closed") {
      heading.textContent = "This account is closed";
      document.title = "This account is closed – IndusTrack";
    }
    return [why(held), heldTable(held)];
  };
  const showRequests = async (): Promise<HTMLElement> => {
    const requests = data(await api().GET("/api/me/data-requests"));
    window.clearTimeout(timer);
    if (!gone && requests.items.some((r) => r.status === "received" || r.status === "processing")) {
      timer = window.setTimeout(() => void reloadRequests(), POLL_MS);
    }
    return requestTable(requests.items);
  };
  const reloadRequests = async (): Promise<void> => {
    try {
      requestsBox.replaceChildren(await showRequests());
    } catch (e) {
      requestsBox.append(errorBox(e));
    }
  };

  const ask = async (type: "access" | "erasure"): Promise<void> => {
    clear(messages);
    try {
      await api().POST("/api/me/data-requests", { body: { type, details: null } });
      const text =
        type === "access"
          ? "Your export is being prepared; its download link appears below."
          : "Your erasure request is received.";
      messages.append(h("p", { class: "ok" }, text));
      announce(text);
      await reloadRequests();
    } catch (e) {
      messages.append(errorBox(e));
    }
  };

  const exportButton = h("button", { type: "button", id: "former-export" }, "Download my data");
  exportButton.addEventListener("click", () => void ask("access"));
  const understood = h("input", { type: "checkbox", id: "former-erase-confirm" });
  const eraseButton = h("button", { type: "button", id: "former-erase", class: "danger" }, "Erase my data");
  eraseButton.addEventListener("click", () => {
    if (!understood.checked) {
      clear(messages);
      messages.append(h("p", { class: "error", role: "alert" }, "Tick the box first: erasure cannot be undone."));
      return;
    }
    void ask("erasure");
  });
  const out = h("button", { type: "button" }, "Sign out");
  out.addEventListener("click", signOut);

  main.append(
    heading,
    h(
      "p",
      {},
      "You can no longer see anything of the account. What is kept about you, a copy of it and its erasure stay available here.",
    ),
    h(
      "section",
      { "aria-labelledby": "former-held" },
      h("h2", { id: "former-held" }, "What is kept about you"),
      heldBox,
    ),
    h(
      "section",
      { "aria-labelledby": "former-actions" },
      h("h2", { id: "former-actions" }, "Your data"),
      h("div", { class: "toolbar" }, exportButton),
      h(
        "div",
        { class: "choice" },
        understood,
        h("label", { for: "former-erase-confirm" }, "I understand that erasure cannot be undone"),
      ),
      h("div", { class: "toolbar" }, eraseButton),
      messages,
    ),
    h(
      "section",
      { "aria-labelledby": "former-requests-title" },
      h("h2", { id: "former-requests-title" }, "Your requests"),
      requestsBox,
    ),
    h("p", {}, out),
  );
  await Promise.all([
    fillSection(heldBox, "what is kept about you", showHeld),
    fillSection(requestsBox, "your requests", showRequests),
  ]);
  return () => {
    gone = true;
    window.clearTimeout(timer);
  };
}
