// Platform admin (the platform-admin role only; the API refuses everyone else with 403 and this page shows that):
// post a privacy-policy version, place and lift legal holds, see the purge runs and the optional analytics counts.

import { ApiError, type LegalHold, type PageViewCounts, type PolicyVersion, type PurgeRunList } from "../../api/client";
import { api, data } from "../../api/typed";
import { announce, clear, errorBox, h, timeText } from "../../ui/dom";
import { loadingSection } from "../../ui/section";
import { dateText, policyNow } from "../privacy/banner";

function section(id: string, title: string, ...content: (Node | string)[]): HTMLElement {
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), ...content);
}

function hasRoles(claims: unknown): claims is { roles: unknown[] } {
  return typeof claims === "object" && claims !== null && "roles" in claims && Array.isArray(claims.roles);
}

/** Whether the signed-in token carries the platform-admin role (only to show the link; the API decides). */
export function tokenHasAdminRole(token: string | null): boolean {
  try {
    const payload = token?.split(".")[1];
    if (!payload) return false;
    const claims: unknown = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
    return hasRoles(claims) && claims.roles.includes("platform-admin");
  } catch {
    return false;
  }
}

export async function renderAdmin(main: HTMLElement): Promise<null> {
  main.append(h("h1", {}, "Platform administration"));
  let runs: PurgeRunList;
  try {
    runs = data(await api().GET("/api/platform/purge-runs"));
  } catch (e) {
    if (e instanceof ApiError && (e.status === 403 || e.status === 401)) {
      main.append(
        h(
          "p",
          { id: "admin-refused", role: "alert" },
          "This page is for platform administrators. Your sign-in does not have that role.",
        ),
      );
      return null;
    }
    throw e;
  }
  main.append(
    loadingSection("admin-policy", "Post a privacy-policy version", "the latest policy", policyForm),
    section("admin-holds", "Legal holds", holdsPanel()),
    section("admin-purge", "Purge runs", purgeTable(runs)),
    loadingSection(
      "admin-analytics",
      "Page views (optional analytics, last 30 days)",
      "the page-view counts",
      async () =>
        pageViewTables(data(await api().GET("/api/admin/analytics/page-views", { params: { query: { days: 30 } } }))),
    ),
  );
  return null;
}

// Aggregate counts only (docs/privacy-signals.md): views by people who allowed analytics and sent no GPC signal.
function pageViewTables(c: PageViewCounts): HTMLElement {
  const table = (id: string, caption: string, head: string, rows: { key: string; count: number }[]): HTMLElement =>
    h(
      "table",
      { class: "grid", id },
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, head), h("th", { scope: "col" }, "Views"))),
      h(
        "tbody",
        {},
        ...(rows.length
          ? rows.map((r) => h("tr", {}, h("th", { scope: "row" }, r.key), h("td", {}, String(r.count))))
          : [h("tr", {}, h("td", { colspan: 2 }, "None."))]),
      ),
    );
  return h(
    "div",
    { id: "page-view-counts" },
    h(
      "p",
      {},
      `${c.total} views from ${c.fromDay} to ${c.toDay}, ${c.signedIn} of them signed in.`,
      c.truncated ? " Some days held more views than are counted; their figures are lower bounds." : "",
    ),
    table("views-by-path", "By page", "Page", c.byPath),
    table("views-by-browser", "By browser family", "Browser", c.byBrowser),
    table("views-by-os", "By operating system family", "Operating system", c.byOs),
  );
}

async function policyForm(): Promise<HTMLElement> {
  const now = await policyNow(true);
  const latest: PolicyVersion | null = now.upcoming ?? now.current ?? null;
  const messages = h("div", {});
  const text = h("textarea", { id: "policy-text", rows: 14, required: true, spellcheck: true });
  text.value = latest?.text ?? "";
  const summary = h("textarea", { id: "policy-summary", rows: 2, required: true, minlength: 3, maxlength: 4000 });
  const effective = h("input", { id: "policy-effective", type: "date" });
  const form = h(
    "form",
    { id: "policy-form", class: "stack wide", "aria-label": "New policy version" },
    h(
      "p",
      { class: "note" },
      latest ? `The text starts from version ${latest.versionId}, the latest posted.` : "No version posted yet.",
      " A version takes effect 30 days after posting at the soonest, and every user is told by e-mail.",
    ),
    h("label", { for: "policy-text" }, "Policy text (Markdown)"),
    text,
    h("label", { for: "policy-summary" }, "What changed, in plain words"),
    summary,
    h("label", { for: "policy-effective" }, "Takes effect on (optional; empty means in 30 days)"),
    effective,
    h("button", { type: "submit" }, "Post the version"),
    messages,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clear(messages);
    try {
      const effectiveAt = effective.value ? new Date(`${effective.value}T00:00:00Z`).toISOString() : null;
      const posted: PolicyVersion = data(
        await api().POST("/api/admin/policy/versions", {
          body: { text: text.value, summary: summary.value.trim(), effectiveAt },
        }),
      );
      await policyNow(true);
      const done = `Version ${posted.versionId} is posted; it takes effect on ${dateText(posted.effectiveAt)}.`;
      messages.append(h("p", { class: "ok", id: "policy-posted", role: "status" }, done));
      announce(done);
    } catch (e) {
      messages.append(errorBox(e));
    }
  });
  return form;
}

function holdsPanel(): HTMLElement {
  const messages = h("div", {});
  const listBox = h("div", { id: "holds" });
  const account = h("input", { id: "hold-account", required: true, autocomplete: "off" });
  const user = h("input", { id: "hold-user", autocomplete: "off" });
  const reason = h("textarea", { id: "hold-reason", rows: 2, required: true, minlength: 3, maxlength: 500 });
  let shown = "";

  const load = async (accountId: string): Promise<void> => {
    shown = accountId;
    const holds = data(
      await api().GET("/api/platform/accounts/{accountId}/legal-holds", { params: { path: { accountId } } }),
    );
    clear(listBox);
    listBox.append(
      holdTable(
        accountId,
        holds.items,
        (hold) =>
          void act(async () => {
            await api().DELETE("/api/platform/accounts/{accountId}/legal-holds/{holdId}", {
              params: { path: { accountId, holdId: hold.holdId } },
            });
          }, `The hold ${hold.holdId} is lifted.`),
      ),
    );
  };
  const act = async (what: () => Promise<unknown>, done: string): Promise<void> => {
    clear(messages);
    try {
      await what();
      messages.append(h("p", { class: "ok", role: "status" }, done));
      announce(done);
      if (shown) await load(shown);
    } catch (e) {
      messages.append(errorBox(e));
    }
  };
  const show = h("button", { type: "button", id: "hold-show" }, "Show this account's holds");
  show.addEventListener("click", () => void act(() => load(account.value.trim()), "Holds loaded."));
  const form = h(
    "form",
    { id: "hold-form", class: "stack wide", "aria-label": "Legal hold" },
    h("label", { for: "hold-account" }, "Account id"),
    account,
    show,
    h("label", { for: "hold-user" }, "Member's user id (optional; empty holds the whole account)"),
    user,
    h("label", { for: "hold-reason" }, "Reason"),
    reason,
    h("button", { type: "submit" }, "Place the hold"),
    messages,
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const body = { accountId: account.value.trim(), reason: reason.value.trim(), userId: user.value.trim() || null };
    void act(
      async () => {
        await api().POST("/api/platform/legal-holds", { body });
        reason.value = "";
        shown = body.accountId;
      },
      `A hold is placed on ${body.userId ? `member ${body.userId} of ` : ""}account ${body.accountId}.`,
    );
  });
  return h("div", {}, form, listBox);
}

function holdTable(accountId: string, holds: LegalHold[], lift: (hold: LegalHold) => void): HTMLElement {
  return h(
    "table",
    { class: "grid", id: "holds-table" },
    h("caption", {}, `Legal holds of account ${accountId}`),
    h(
      "thead",
      {},
      h("tr", {}, ...["Covers", "Reason", "Placed", "Lifted", "Action"].map((t) => h("th", { scope: "col" }, t))),
    ),
    h(
      "tbody",
      {},
      ...(holds.length
        ? holds.map((hold) => {
            const button = h(
              "button",
              { type: "button", "aria-label": `Lift the hold placed ${timeText(hold.placedAt)}` },
              "Lift",
            );
            button.addEventListener("click", () => lift(hold));
            return h(
              "tr",
              { "data-hold-id": hold.holdId, "data-active": hold.liftedAt ? "false" : "true" },
              h("th", { scope: "row" }, hold.userId ? `Member ${hold.userId}` : "The whole account"),
              h("td", {}, hold.reason),
              h("td", {}, `${timeText(hold.placedAt)} by ${hold.placedBy}`),
              h("td", {}, hold.liftedAt ? `${timeText(hold.liftedAt)} by ${hold.liftedBy ?? ""}` : "In force"),
              h("td", {}, hold.liftedAt ? "" : button),
            );
          })
        : [h("tr", {}, h("td", { colspan: 5 }, "No holds."))]),
    ),
  );
}

function purgeTable(runs: PurgeRunList): HTMLElement {
  const counts = (m: Record<string, number>): string =>
    Object.entries(m)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(", ") || "none";
  return h(
    "table",
    { class: "grid", id: "purge-runs" },
    h("caption", {}, "The latest purge runs, newest first"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ...["Started", "Finished", "Deleted", "Held", "Held accounts", "Gaps"].map((t) => h("th", { scope: "col" }, t)),
      ),
    ),
    h(
      "tbody",
      {},
      ...(runs.items.length
        ? runs.items.map((r) =>
            h(
              "tr",
              { "data-run-id": r.runId },
              h("th", { scope: "row" }, timeText(r.startedAt)),
              h(
                "td",
                {},
                r.finishedAt
                  ? `${timeText(r.finishedAt)}${r.completePass ? " (complete pass)" : ""}`
                  : "Running or stopped",
              ),
              h("td", {}, counts(r.deleted)),
              h("td", {}, counts(r.held)),
              h("td", {}, String(r.heldAccounts.length)),
              h("td", {}, r.gaps.length ? r.gaps.join(", ") : "none"),
            ),
          )
        : [h("tr", {}, h("td", { colspan: 6 }, "No purge run yet."))]),
    ),
  );
}
