// Closing the account (owner): what ends, what the law keeps and for how long (the server's own table, GET
// /accounts/{id}/closure), and a typed confirmation: the owner types the company name. The API checks the typed
// name too (422 on typedName) and closes only with its signed confirmation phrase.

import type { Context } from "../../context";
import type { ClosureTerms } from "../../api/client";
import { api, data } from "../../api/typed";
import { announce, clear, errorBox, h, timeText } from "../../ui/dom";

const CATEGORY_NAMES: Record<string, string> = {
  "billing-records": "Billing records",
  "closure-record": "The record of this closure",
  "privacy-requests-and-audit": "Privacy requests and their audit trail",
};

function years(days: number): string {
  const y = days / 365;
  return y >= 1 && Math.abs(y - Math.round(y)) < 0.02
    ? `${days} days (about ${Math.round(y)} ${Math.round(y) === 1 ? "year" : "years"})`
    : `${days} days`;
}

function same(a: string, b: string): boolean {
  const norm = (s: string): string => s.split(/\s+/).filter(Boolean).join(" ").toLocaleLowerCase();
  return norm(a) === norm(b);
}

export async function renderClosure(ctx: Context): Promise<null> {
  ctx.main.append(h("h1", {}, "Close the account"));
  if (ctx.me.role !== "owner") {
    ctx.main.append(h("p", {}, "Only the Account Owner can close the account."));
    return null;
  }
  const terms = data(
    await api().GET("/api/accounts/{accountId}/closure", { params: { path: { accountId: ctx.me.accountId } } }),
  );
  const result = h("div", { id: "closure-result" });
  const others = terms.membersLosingAccess - 1;

  ctx.main.append(
    h(
      "section",
      { "aria-labelledby": "closure-ends" },
      h("h2", { id: "closure-ends" }, "What ends at once"),
      h(
        "ul",
        {},
        h(
          "li",
          { id: "closure-workers" },
          `Access ends for you and ${others} ${others === 1 ? "member" : "members"} at the same moment: `,
          "every sign-in to the website and the apps is refused, the apps stop sending locations, photos and notes, ",
          "and invitations can no longer be accepted.",
        ),
        h("li", {}, "The subscription is canceled, and you get an e-mail confirming the closure."),
      ),
    ),
    h(
      "section",
      { "aria-labelledby": "closure-kept" },
      h("h2", { id: "closure-kept" }, "What is kept, and for how long"),
      h(
        "p",
        { id: "closure-window" },
        `Everything personal (locations, photos, notes, profiles, consents, access logs) is kept for `,
        `${terms.closedAccountDays} days after closure, for disputes, and then deleted. A legal hold keeps data until it is lifted.`,
      ),
      h(
        "table",
        { class: "grid", id: "kept-after-closure" },
        h("caption", {}, "Kept by law after the personal data is deleted"),
        h(
          "thead",
          {},
          h("tr", {}, ...["What", "Why", "How long after closure"].map((t) => h("th", { scope: "col" }, t))),
        ),
        h(
          "tbody",
          {},
          ...terms.keptAfterClosure.map((k) =>
            h(
              "tr",
              { "data-category": k.category },
              h("th", { scope: "row" }, CATEGORY_NAMES[k.category] ?? k.category),
              h("td", {}, k.reason),
              h("td", {}, years(k.days)),
            ),
          ),
        ),
      ),
    ),
    terms.status === "closed" ? h("p", {}, "This account is closed.") : confirmForm(ctx, terms, result),
    result,
  );
  return null;
}

function confirmForm(ctx: Context, terms: ClosureTerms, result: HTMLElement): HTMLElement {
  const typed = h("input", {
    id: "closure-name",
    autocomplete: "off",
    required: true,
    "aria-describedby": "closure-name-hint",
  });
  const reason = h("textarea", { id: "closure-reason", rows: 2, maxlength: 500 });
  const button = h("button", { type: "submit", class: "danger" }, "Close the account for good");
  const form = h(
    "form",
    { id: "closure-form", class: "stack wide", "aria-labelledby": "closure-confirm" },
    h("h2", { id: "closure-confirm" }, "Confirm"),
    h("label", { for: "closure-name" }, `Type the company name, ${terms.confirmationName}, to confirm`),
    typed,
    h("p", { class: "note", id: "closure-name-hint" }, "Capital letters do not matter."),
    h("label", { for: "closure-reason" }, "Why are you leaving? (optional)"),
    reason,
    button,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clear(result);
    if (!same(typed.value, terms.confirmationName)) {
      typed.setAttribute("aria-invalid", "true");
      result.append(
        h(
          "p",
          { class: "error", role: "alert", id: "closure-refused" },
          `The name you typed is not ${terms.confirmationName}. Nothing was closed.`,
        ),
      );
      typed.focus();
      return;
    }
    typed.removeAttribute("aria-invalid");
    button.disabled = true;
    try {
      const path = { accountId: ctx.me.accountId };
      const typedName = typed.value.trim();
      const asked = data(
        await api().POST("/api/accounts/{accountId}/closure", {
          params: { path },
          body: { typedName, confirm: null, reason: null },
        }),
      );
      const closed = data(
        await api().POST("/api/accounts/{accountId}/closure", {
          params: { path },
          body: { confirm: asked.confirmationPhrase ?? "", typedName, reason: reason.value.trim() || null },
        }),
      );
      form.remove();
      const kept = h("button", { type: "button", id: "closure-see-kept" }, "See what is kept about you");
      // The shell switches to the closed account's view: what is kept about you and until when (pages/former).
      kept.addEventListener("click", () => window.dispatchEvent(new Event("industrack:access-ended")));
      result.append(
        h(
          "p",
          { class: "ok", role: "status", id: "closure-done" },
          `The account is closed${closed.closedAt ? ` (${timeText(closed.closedAt)})` : ""}. Access has ended for everyone. `,
          closed.retentionDeadline ? `Personal data is deleted after ${timeText(closed.retentionDeadline)}.` : "",
        ),
        h("p", {}, "Your own access has ended with it. "),
        h("div", { class: "toolbar" }, kept),
      );
      announce("The account is closed.");
    } catch (e) {
      button.disabled = false;
      result.append(errorBox(e));
    }
  });
  return form;
}
