// Billing (owner): the subscription's status with its dates, seats, the card on file (brand and last four only), a
// banner saying what to do when a payment failed, and the card form (Stripe Elements confirming a SetupIntent, so
// the card goes from this page to Stripe and never to IndusTrack's API).
//
// The page's Content-Security-Policy (staticwebapp.config.json, route /billing) is the only one that lets Stripe.js
// in, and a policy comes with the document: reached by in-app navigation from another page, the page reloads itself.

import { ApiError, type Billing } from "../../api/client";
import { api, data } from "../../api/typed";
import { config } from "../../config";
import type { Context } from "../../context";
import { announce, errorBox, h, timeText } from "../../ui/dom";
import { dateText, moneyText } from "../../ui/format";
import { fillSection } from "../../ui/section";
import { type CardElement, loadStripe } from "./stripe";

const DOCUMENT_PATH = location.pathname.replace(/\/+$/, ""); // the path this document was loaded for

const STATUS: Record<string, string> = {
  incomplete: "Being set up",
  trialing: "Trial",
  active: "Active",
  past_due: "Past due",
  suspended: "Suspended",
  canceled: "Canceled",
};

type Plan = NonNullable<Billing["plan"]>;

/** "a month", "every 3 months". */
function periodText(plan: Plan): string {
  const n = plan.intervalCount;
  return n === 1 ? `a ${plan.interval}` : `every ${n} ${plan.interval}s`;
}

function planRows(b: Billing, row: (term: string, ...value: (string | Node)[]) => HTMLElement[]): HTMLElement[] {
  const plan = b.plan;
  if (!plan) return row("Plan", "The price is not available right now.");
  const seats = Math.max(1, b.seats);
  return [
    ...row("Plan", h("span", { id: "billing-plan" }, plan.name ?? "Per seat")),
    ...row(
      "Price",
      h("span", { id: "billing-price" }, `${moneyText(plan.unitAmount, plan.currency)} per seat ${periodText(plan)}`),
    ),
    ...row("Currency", h("span", { id: "billing-currency" }, plan.currency)),
    ...row(
      "For your seats",
      h(
        "span",
        { id: "billing-total" },
        `${moneyText(plan.unitAmount * seats, plan.currency)} ${periodText(plan)} for ${seats} ${seats === 1 ? "seat" : "seats"}`,
        b.status === "trialing" || b.status === "incomplete" ? " once the trial ends" : "",
      ),
    ),
  ];
}

function banner(b: Billing, tz: string): HTMLElement | null {
  const ends = b.graceEndsAt ? timeText(b.graceEndsAt, tz) : null;
  if (b.status === "past_due") {
    return h(
      "div",
      { class: "banner warn", id: "billing-banner", role: "alert" },
      h("h2", {}, "A payment failed"),
      h(
        "p",
        {},
        `Put a working card on file below${ends ? ` before ${ends}` : " soon"}. `,
        "After that the account is suspended: new locations, photos, notes and members are refused until the ",
        "invoice is paid. Nothing is deleted.",
      ),
    );
  }
  if (b.status === "suspended") {
    return h(
      "div",
      { class: "banner danger", id: "billing-banner", role: "alert" },
      h("h2", {}, "The account is suspended"),
      h(
        "p",
        {},
        `A payment failed and was not made within the grace period${ends ? ` (it ended ${ends})` : ""}. `,
        "New locations, photos, notes and members are refused; everything already stored can still be read and ",
        "exported.",
      ),
      h(
        "p",
        {},
        "To end the suspension, put a working card on file below. The account is active again as soon as ",
        "Stripe reports the invoice paid.",
      ),
    );
  }
  if (b.status === "canceled") {
    return h(
      "div",
      { class: "banner", id: "billing-banner" },
      h(
        "p",
        {},
        "The subscription is canceled",
        b.statusSince ? ` since ${timeText(b.statusSince, tz)}` : "",
        ". Nothing more is charged.",
      ),
    );
  }
  return null;
}

function summary(b: Billing, tz: string): HTMLElement {
  const row = (term: string, ...value: (string | Node)[]): HTMLElement[] => [h("dt", {}, term), h("dd", {}, ...value)];
  const card = b.paymentMethod?.last4
    ? `${b.paymentMethod.brand ?? "Card"} ending ${b.paymentMethod.last4}`
    : "No card on file";
  return h(
    "dl",
    { class: "facts", id: "billing-summary", "data-status": b.status },
    ...row("Status", STATUS[b.status] ?? b.status, b.statusSince ? ` since ${timeText(b.statusSince, tz)}` : ""),
    ...(b.trialEnd && (b.status === "trialing" || b.status === "incomplete")
      ? row("Trial ends", dateText(b.trialEnd, tz))
      : []),
    ...(b.currentPeriodEnd && b.status !== "canceled"
      ? row("Current period ends", dateText(b.currentPeriodEnd, tz))
      : []),
    ...(b.graceEndsAt && b.status === "past_due" ? row("Suspended unless paid by", timeText(b.graceEndsAt, tz)) : []),
    ...row("Seats", `${b.seats} (you and every active member)`),
    ...planRows(b, row),
    ...row("Card", h("span", { id: "billing-card" }, card)),
    ...(b.lastInvoiceStatus ? row("Last invoice", b.lastInvoiceStatus) : []),
  );
}

export async function renderBilling(ctx: Context): Promise<() => void> {
  if (DOCUMENT_PATH !== "/billing") {
    location.reload(); // this document's policy does not allow Stripe.js: load the billing page's own
    return () => undefined;
  }
  const { me, main, params } = ctx;
  main.append(h("h1", {}, "Billing"));
  if (params.get("welcome")) {
    history.replaceState(null, "", "/billing");
    main.append(
      h(
        "p",
        { class: "ok", id: "welcome" },
        "Your account is registered. We sent you an e-mail with a link ",
        "to confirm your address.",
      ),
    );
  }
  const path = { accountId: me.accountId };
  const top = h("div", { id: "billing-state" });
  const state = (b: Billing): HTMLElement[] =>
    [banner(b, me.timeZone), summary(b, me.timeZone)].filter((n): n is HTMLElement => n !== null);
  const show = (b: Billing): void => {
    top.replaceChildren(...state(b));
  };
  main.append(top);
  await fillSection(top, "your subscription", async () => {
    let view = data(await api().GET("/api/accounts/{accountId}/billing", { params: { path } }));
    if (view.status === "incomplete" && view.seats === 0) {
      try {
        // idempotent: customer, subscription, seats
        view = data(await api().POST("/api/accounts/{accountId}/billing/setup", { params: { path } }));
      } catch (e) {
        if (!(e instanceof ApiError)) throw e; // billing not configured or Stripe away: the stored view is shown
      }
    }
    return state(view);
  });

  const form = h(
    "section",
    { "aria-labelledby": "card-title" },
    h("h2", { id: "card-title" }, "Card on file"),
    h(
      "p",
      { class: "note" },
      "You type the card into Stripe's own field: it goes to Stripe, our payment processor, ",
      "and never to IndusTrack. We keep only its brand and last four digits.",
    ),
  );
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
    const elements = stripe.elements();
    // A fresh, empty card field (also after saving: the number typed must not stay on the screen).
    const freshCard = (): CardElement => {
      card?.destroy();
      const made = elements.create("card");
      made.mount(mountPoint);
      card = made;
      return made;
    };
    freshCard();
    save.disabled = false;
    save.addEventListener("click", () => {
      if (!card) return;
      save.disabled = true;
      outcome.replaceChildren(h("p", {}, "Saving the card with Stripe…"));
      void (async () => {
        const intent = data(await api().POST("/api/accounts/{accountId}/billing/setup-intent", { params: { path } }));
        const typed = card ?? freshCard();
        const result = await stripe.confirmCardSetup(intent.clientSecret, { payment_method: { card: typed } });
        if (result.error || !result.setupIntent) {
          throw new Error(result.error?.message ?? "Stripe did not accept the card.");
        }
        const saved = data(
          await api().POST("/api/accounts/{accountId}/billing/card", {
            params: { path },
            body: { setupIntentId: result.setupIntent.id },
          }),
        );
        show(saved);
        freshCard();
        outcome.replaceChildren(h("p", { class: "ok" }, "The card is on file."));
        announce("The card is on file.");
      })()
        .catch((e: unknown) => {
          outcome.replaceChildren(errorBox(e));
        })
        .finally(() => {
          save.disabled = false;
        });
    });
  } catch (e) {
    outcome.replaceChildren(errorBox(e));
  }
  return () => card?.destroy();
}
