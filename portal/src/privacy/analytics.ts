// Cookies, optional analytics and Global Privacy Control (docs/privacy-signals.md).
// No cookie, ever. Nothing in localStorage until the person chooses; then one entry with the choice. GPC
// (navigator.globalPrivacyControl) turns optional analytics off whatever was chosen, and the page says so. The API
// applies the same rule (and drops events sent with `Sec-GPC: 1`).

import { api } from "../api/typed";
import { announce, append, clear, h } from "../ui/dom";
import { showSheet } from "../ui/sheet";

export type Choice = "granted" | "denied";
const KEY = "industrack.analytics";

/** The rule the API applies too: send only with consent and never under GPC. */
export function shouldSend(choice: Choice | null, gpc: boolean): boolean {
  return choice === "granted" && !gpc;
}

export function gpcOn(): boolean {
  return "globalPrivacyControl" in navigator && navigator.globalPrivacyControl === true;
}

function storedChoice(): Choice | null {
  try {
    const v = localStorage.getItem(KEY);
    return v === "granted" || v === "denied" ? v : null;
  } catch {
    return null; // storage blocked: as if nothing was chosen
  }
}

function remember(choice: Choice): void {
  try {
    localStorage.setItem(KEY, choice);
  } catch {
    /* storage blocked: the choice holds for this page only */
  }
}

let choice: Choice | null = null;
let lastSent = "";

function statusText(): string {
  if (gpcOn())
    return "Optional analytics is off: your browser's Global Privacy Control signal is honoured as your opt-out.";
  if (choice === "granted") return "Optional analytics is on (you allowed it).";
  if (choice === "denied") return "Optional analytics is off (you declined it).";
  return "Optional analytics is off until you choose.";
}

function explanation(): HTMLElement {
  return h(
    "p",
    {},
    "This portal sets no cookies. Optional analytics, only if you allow it, tells IndusTrack (no one else) which ",
    "pages of this portal are viewed: the page's path, your browser and operating-system family, your network ",
    "with the last part of your address removed, and, when you are signed in, your account. It is kept for 90 days ",
    'and is part of your data export. You can change your choice at any time under "Cookies and analytics" at ',
    "the bottom of the page.",
  );
}

function drawBanner(open: boolean): void {
  const banner = document.getElementById("privacy-choices");
  if (!banner) return;
  clear(banner);
  banner.hidden = !open;
  if (!open) return;
  const gpc = gpcOn();
  // Closing without a choice leaves analytics off; the sheet asks again on the next visit.
  const close = h(
    "button",
    {
      type: "button",
      class: "secondary",
      "data-dismiss": "",
      onclick: () => {
        drawBanner(false);
        document.getElementById("main")?.focus({ preventScroll: true });
      },
    },
    gpc || choice ? "Close" : "Decide later",
  );
  append(
    banner,
    h("h2", { id: "privacy-choices-title", tabindex: -1 }, "Cookies and analytics"),
    explanation(),
    gpc
      ? h(
          "p",
          { class: "ok", "data-testid": "gpc-honoured" },
          "Your browser sends a Global Privacy Control signal. We honour it as your opt-out: optional analytics is ",
          "off and no page views are recorded.",
        )
      : null,
    h(
      "div",
      { class: "toolbar" },
      gpc
        ? null
        : h(
            "button",
            { type: "button", "data-testid": "analytics-allow", onclick: () => choose("granted") },
            "Allow analytics",
          ),
      gpc
        ? null
        : h(
            "button",
            { type: "button", class: "secondary", "data-testid": "analytics-deny", onclick: () => choose("denied") },
            "No thanks",
          ),
      close,
    ),
  );
}

function drawFooter(): void {
  const foot = document.getElementById("foot");
  if (!foot) return;
  clear(foot);
  append(
    foot,
    h("p", { "data-testid": "analytics-status" }, statusText()),
    h(
      "p",
      {},
      h(
        "a",
        {
          href: "#privacy-choices",
          "data-testid": "privacy-choices-link",
          onclick: (ev: Event) => {
            ev.preventDefault();
            drawBanner(true);
            document.getElementById("privacy-choices-title")?.focus?.();
          },
        },
        "Cookies and analytics",
      ),
    ),
  );
}

function choose(c: Choice): void {
  choice = c;
  remember(c);
  drawBanner(false);
  drawFooter();
  announce(statusText());
  lastSent = "";
  if (c === "granted") pageViewed(location.pathname);
}

/** Once, at start: the banner (open until a choice, and always under GPC) and the footer with the link. */
export function startPrivacySignals(): void {
  choice = storedChoice();
  const banner = h("aside", {
    id: "privacy-choices",
    class: "sheet privacy-choices",
    "aria-labelledby": "privacy-choices-title",
  });
  showSheet(banner);
  const main = document.getElementById("main");
  main?.after(h("footer", { id: "foot", class: "foot" }));
  // Under GPC it opens (offering no choice) to say that the opt-out is honoured, also over an earlier "Allow".
  drawBanner(choice === null || (gpcOn() && choice === "granted"));
  drawFooter();
}

/** After each page is shown: one page view, only with consent and never under GPC. Failures are ignored. */
export function pageViewed(path: string): void {
  if (!shouldSend(choice, gpcOn()) || path === lastSent) return;
  lastSent = path;
  void api()
    .POST("/api/analytics/page-views", { body: { path, consent: true } })
    .catch(() => undefined);
}
