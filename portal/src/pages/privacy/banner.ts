// The banner shown above every page while a posted privacy-policy version takes effect within 30 days. It reads
// the public GET /policy once per page load (the answer is the same for everybody).

import { get, type PolicyNow } from "../../api/client";
import { h } from "../../ui/dom";

export const BANNER_DAYS = 30;
const DAY_MS = 86_400_000;

let policy: Promise<PolicyNow> | null = null;

/** GET /policy, once per page load (navigation inside the portal reuses it); `fresh` asks again. */
export function policyNow(fresh = false): Promise<PolicyNow> {
  if (fresh || !policy) {
    policy = get<PolicyNow>("/policy");
    policy.catch(() => { policy = null; });
  }
  return policy;
}

/** Days until `effectiveAt`, rounded up, when that is within the banner's window, else null. */
export function daysUntil(effectiveAt: string, now: number = Date.now()): number | null {
  const ms = new Date(effectiveAt).getTime() - now;
  return ms > 0 && ms <= BANNER_DAYS * DAY_MS ? Math.ceil(ms / DAY_MS) : null;
}

export function dateText(iso: string): string {
  return new Date(iso).toLocaleDateString("en-GB", { dateStyle: "long" });
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
  if (!next || days === null || document.getElementById("policy-banner")) return;
  const when = days === 1 ? "within a day" : `in ${days} days`;
  const banner = h("section", { id: "policy-banner", class: "banner", "aria-label": "Privacy policy update" },
    h("p", {}, `An updated privacy policy (version ${next.versionId}) takes effect on ${dateText(next.effectiveAt)}, ${when}. `,
      h("a", { href: "/privacy", "data-link": true }, "See what changes")));
  document.getElementById("main")?.before(banner);
}
