// Billing (owner): the subscription's status with its dates, seats, the card on file (brand and last four only), a
// banner saying what to do when a payment failed, and the card form (Stripe Elements confirming a SetupIntent, so
// the card goes from this page to Stripe and never to IndusTrack's API).
//
// The page's Content-Security-Policy (staticwebapp.config.json, route /billing) is the only one that lets Stripe.js
// in, and a policy comes with the document: reached by in-app navigation from another page, the page reloads itself.

import type { Context } from "../../context";
import { config } from "../../config";
import { ApiError, get, send, type Billing, type CardOnFile, type SetupIntent } from "../../api/client";
import { h, announce, errorBox, timeText } from "../../ui/dom";
import { loadStripe, type CardElement } from "./stripe";

const DOCUMENT_PATH = location.pathname.replace(/\/+$/, ""); // the path this document was loaded for

const STATUS: Record<string, string> = {
  incomplete: "Being set up", trialing: "Trial", active: "Active", past_due: "Past due", suspended: "Suspended",
  canceled: "Canceled",
};

function dateText(iso: string, timeZone: string): string {
  return new Date(iso).toLocaleDateString("en-GB", { timeZone, dateStyle: "long" });
}

function banner(b: Billing, tz: string): HTMLElement | null {
  const ends = b.graceEndsAt ? timeText(b.graceEndsAt, tz) : null;
  if (b.status === "past_due") {
    return h("div", { class: "banner warn", id: "billing-banner", role: "alert" },
      h("h2", {}, "A payment failed"),
      h("p", {}, `Put a working card on file below${ends ? ` before ${ends}` : " soon"}. `,
        "After that the account is suspended: new locations, photos, notes and members are refused until the ",
        "invoice is paid. Nothing is deleted."));
  }
  if (b.status === "suspended") {
    return h("div", { class: "banner danger", id: "billing-banner", role: "alert" },
      h("h2", {}, "The account is suspended"),
      h("p", {}, `A payment failed and was not made within the grace period${ends ? ` (it ended ${ends})` : ""}. `,
        "New locations, photos, notes and members are refused; everything already stored can still be read and ",
        "exported."),
      h("p", {}, "To end the suspension, put a working card on file below. The account is active again as soon as ",
        "Stripe reports the invoice paid."));
  }
  if (b.status === "canceled") {
    return h("div", { class: "banner", id: "billing-banner" }, h("p", {}, "The subscription is canceled",
      b.statusSince ? ` since ${timeText(b.statusSince, tz)}` : "", ". Nothing more is charged."));
  }
  return null;
}

function summary(b: Billing, tz: string): HTMLElement {
  const row = (term: string, ...value: (string | Node)[]): HTMLElement[] => [h("dt", {}, term), h("dd", {}, ...value)];
  const card = b.paymentMethod?.last4
    ? `${b.paymentMethod.brand ?? "Card"} ending ${b.paymentMethod.last4}` : "No card on file";
  return h("dl", { class: "facts", id: "billing-summary", "data-status": b.status },
    ...row("Status", STATUS[b.status] ?? b.status, b.statusSince ? ` since ${timeText(b.statusSince, tz)}` : ""),
    ...(b.trialEnd && (b.status === "trialing" || b.status === "incomplete")
      ? row("Trial ends", dateText(b.trialEnd, tz)) : []),
    ...(b.currentPeriodEnd && b.status !== "canceled" ? row("Current period ends", dateText(b.currentPeriodEnd, tz)) : []),
    ...(b.graceEndsAt && b.status === "past_due" ? row("Suspended unless paid by", timeText(b.graceEndsAt, tz)) : []),
    ...row("Seats", `${b.seats} (you and every active member)`),
    ...row("Card", h("span", { id: "billing-card" }, card)),
    ...(b.lastInvoiceStatus ? row("Last invoice", b.lastInvoiceStatus) : []));
}

export async function renderBilling(ctx: Context): Promise<() => void> {
  if (DOCUMENT_PATH !== "/billing") {
    location.reload(); // this document's policy does not allow Stripe.js: load the billing page's own
    return () => undefined;
  }
  const { me, main, params } = ctx;
  const base = `/accounts/${encodeURIComponent(me.accountId)}/billing`;
  main.append(h("h1", {}, "Billing"));
  if (params.get("welcome")) {
    history.replaceState(null, "", "/billing");
    main.append(h("p", { class: "ok", id: "welcome" }, "Your account is registered. We sent you an e-mail with a link ",
      "to confirm your address."));
  }
  let view = await get<Billing>(base);
  if (view.status === "incomplete" && view.seats === 0) {
    try {
      view = (await send<Billing>("POST", `${base}/setup`)) ?? view; // idempotent: customer, subscription, seats
    } catch (e) {
      if (!(e instanceof ApiError)) throw e; // billing not configured or Stripe away: the stored view is shown
    }
  }
  const top = h("div", { id: "billing-state" });
  const show = (b: Billing): void => { top.replaceChildren(...[banner(b, me.timeZone), summary(b, me.timeZone)].filter((n): n is HTMLElement => n !== null)); };
  show(view);
  main.append(top);

  const form = h("section", { "aria-labelledby": "card-title" }, h("h2", { id: "card-title" }, "Card on file"),
    h("p", { class: "note" }, "You type the card into Stripe's own field: it goes to Stripe, our payment processor, ",
      "and never to IndusTrack. We keep only its brand and last four digits."));
  main.append(form);
  const stripeConfig = config().stripe;
  if (!stripeConfig) {
    form.append(h("p", {}, "Card entry is not available on this portal."));
    return () => undefined;
  }
  const mountPoint = h("div", { id: "card-element", class: "card-field", role: "group", "aria-label": "Card details" });
  const save = h("button", { type: "button", disabled: true }, "Save card");
  const outcome = h("div", { id: "card-outcome", "aria-live": "polite" });
  form.append(mountPoint, save, outcome);
  let card: CardElement | null = null;
  try {
    const stripe = (await loadStripe(stripeConfig.jsUrl))(stripeConfig.publishableKey);
    card = stripe.elements().create("card");
    card.mount(mountPoint);
    save.disabled = false;
    save.addEventListener("click", () => {
      if (!card) return;
      save.disabled = true;
      outcome.replaceChildren(h("p", {}, "Saving the card with Stripe…"));
      void (async () => {
        const intent = await send<SetupIntent>("POST", `${base}/setup-intent`);
        if (!intent) throw new Error("No SetupIntent was answered.");
        const result = await stripe.confirmCardSetup(intent.clientSecret, { payment_method: { card } });
        if (result.error || !result.setupIntent) {
          throw new Error(result.error?.message ?? "Stripe did not accept the card.");
        }
        const body: CardOnFile = { setupIntentId: result.setupIntent.id };
        const saved = await send<Billing>("POST", `${base}/card`, body);
        if (saved) show(saved);
        outcome.replaceChildren(h("p", { class: "ok" }, "The card is on file."));
        announce("The card is on file.");
      })().catch((e: unknown) => {
        outcome.replaceChildren(errorBox(e));
      }).finally(() => { save.disabled = false; });
    });
  } catch (e) {
    outcome.replaceChildren(errorBox(e));
  }
  return () => card?.destroy();
}
