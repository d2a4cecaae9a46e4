// The notice shown on every page while a posted privacy-policy version takes effect within 30 days: a bottom sheet
// (ui/sheet.ts), dismissible for the rest of the session. It reads the public GET /policy once per page load (the
// answer is the same for everybody).

import type { PolicyNow } from "../../api/client";
import { api, data } from "../../api/typed";
import { h } from "../../ui/dom";
import { dateText as localDateText } from "../../ui/format";
import { showSheet } from "../../ui/sheet";

export const BANNER_DAYS = 30;
const DAY_MS = 86_400_000;

let policy: Promise<PolicyNow> | null = null;

/** GET /policy, once per page load (navigation inside the portal reuses it); `fresh` asks again. */
export function policyNow(fresh = false): Promise<PolicyNow> {
  if (fresh || !policy) {
    policy = api().GET("/api/policy").then(data);
    policy.catch(() => {
      policy = null;
    });
  }
  return policy;
}

/** Days until `effectiveAt`, rounded up, when that is within the banner's window, else null. */
export function daysUntil(effectiveAt: string, now: number = Date.now()): number | null {
  const ms = new Date(effectiveAt).getTime() - now;
  return ms > 0 && ms <= BANNER_DAYS * DAY_MS ? Math.ceil(ms / DAY_MS) : null;
}

/** The date alone, in the browser's locale. */
export function dateText(iso: string): string {
  return localDateText(iso);
}

const DISMISSED = "industrack.policy-notice-dismissed"; // the version dismissed in this tab (sessionStorage)

function dismissed(versionId: string): boolean {
  try {
    return sessionStorage.getItem(DISMISSED) === versionId;
  } catch {
    return false;
  }
}

export async function showPolicyBanner(): Promise<void> {
  document.getElementById("policy-banner")?.remove();
  let now: PolicyNow;
  try {
    now = await policyNow();
  } catch {
    return; // the banner is a courtesy: a failed read must not break the page
  }
  const next = now.upcoming;
  const days = next ? daysUntil(next.effectiveAt) : null;
  if (!next || days === null || document.getElementById("policy-banner") || dismissed(next.versionId)) return;
  const when = days === 1 ? "within a day" : `in ${days} days`;
  const close = h("button", { type: "button", class: "secondary", "data-dismiss": "" }, "Dismiss");
  const banner = h(
    "section",
    { id: "policy-banner", class: "sheet policy-sheet", "aria-labelledby": "policy-banner-title" },
    h("h2", { id: "policy-banner-title" }, "Privacy policy update"),
    h(
      "p",
      {},
      `An updated privacy policy (version ${next.versionId}) takes effect on ${dateText(next.effectiveAt)}, ${when}. `,
      h("a", { href: "/privacy", "data-link": true }, "See what changes"),
    ),
    h("div", { class: "toolbar" }, close),
  );
  close.addEventListener("click", () => {
    try {
      sessionStorage.setItem(DISMISSED, next.versionId);
    } catch {
      /* storage blocked: dismissed for this page only */
    }
    banner.remove();
    document.getElementById("main")?.focus({ preventScroll: true });
  });
  showSheet(banner);
}
