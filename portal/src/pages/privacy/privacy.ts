// Privacy centre (everyone signed in): the policy in force, a posted upcoming version with its effective date and
// what changes (a line diff), acknowledgements, and my data-subject requests with status and due date. The owner
// also finds the way to close the account here (closure.ts). The API enforces every rule.

import type { DataRequest, DataRequestList, PolicyNow, PolicyVersion } from "../../api/client";
import { api, data } from "../../api/typed";
import type { Context } from "../../context";
import { announce, append, clear, errorBox, h, timeText } from "../../ui/dom";
import { dateText } from "../../ui/format";
import { fillSection } from "../../ui/section";
import { policyNow } from "./banner";
import { diffView, policyDocument } from "./policytext";

const POLL_MS = 2000;

const TYPES: [DataRequest["type"], string, string][] = [
  [
    "access",
    "A copy of my data",
    "An export of everything stored about you, as a ZIP file you download through a link that works for a short time.",
  ],
  [
    "rectification",
    "Correct my data",
    "Tell us what is wrong and what it should say. Your name, e-mail, phone and time zone you can also change yourself.",
  ],
  [
    "erasure",
    "Erase my data",
    "Everything about you that the law does not require us to keep is deleted. This cannot be undone.",
  ],
  [
    "california-disclosure",
    "California disclosure",
    "Which categories of your personal information were shared with third parties for their direct marketing last year (California Civil Code 1798.83).",
  ],
];
const TYPE_NAMES = new Map(TYPES.map(([t, name]) => [t, name]));
const STATUS_NAMES: Record<DataRequest["status"], string> = {
  received: "Received",
  processing: "In progress",
  completed: "Answered",
  failed: "Could not be answered",
};

function isRequestType(value: string): value is DataRequest["type"] {
  return TYPES.some(([t]) => t === value);
}

function section(id: string, title: string, ...content: (Node | string | null)[]): HTMLElement {
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), ...content);
}

function policySections(policy: PolicyNow): HTMLElement[] {
  const current = policy.current;
  const upcoming = policy.upcoming ?? null;
  const out: HTMLElement[] = [];
  if (upcoming) {
    out.push(
      section(
        "policy-upcoming",
        `Upcoming privacy policy: version ${upcoming.versionId}`,
        h(
          "p",
          { id: "upcoming-effective" },
          `Takes effect on ${dateText(upcoming.effectiveAt)}; posted ${dateText(upcoming.postedAt)}.`,
        ),
        h("p", {}, h("strong", {}, "What changes, in short: "), upcoming.summary),
        h("h3", {}, current ? `Line by line, compared with version ${current.versionId}` : "Its text"),
        current ? diffView(current.text, upcoming.text) : policyDocument(upcoming.text, 4),
        acknowledge(upcoming),
      ),
    );
  }
  out.push(
    current
      ? section(
          "policy-current",
          `The privacy policy in force: version ${current.versionId}`,
          h("p", {}, `In force since ${dateText(current.effectiveAt)}.`),
          h(
            "details",
            { id: "policy-current-text" },
            h("summary", {}, "Read the whole policy"),
            policyDocument(current.text, 3),
          ),
          acknowledge(current),
        )
      : section("policy-current", "The privacy policy", h("p", {}, "No policy is in force yet.")),
  );
  return out;
}

export async function renderPrivacy(ctx: Context): Promise<() => void> {
  const policyBox = h("div", { id: "policy-sections" });
  const requestsBox = h("div", { id: "data-requests" });
  const noticeBox = h("div", {});
  let timer: number | undefined;
  let gone = false;

  const showRequests = (list: DataRequestList): HTMLElement => {
    window.clearTimeout(timer);
    if (!gone && list.items.some((r) => r.status === "received" || r.status === "processing")) {
      timer = window.setTimeout(() => void refresh(), POLL_MS);
    }
    noticeBox.replaceChildren(...[deletionNotice(list)].filter((n): n is HTMLElement => n !== null));
    return requestTable(list.items);
  };
  const refresh = async (): Promise<void> => {
    try {
      const list = data(await api().GET("/api/me/data-requests"));
      requestsBox.replaceChildren(showRequests(list));
    } catch (e) {
      requestsBox.append(errorBox(e));
    }
  };

  append(
    ctx.main,
    h("h1", {}, "Privacy centre"),
    policyBox,
    section(
      "my-requests",
      "Ask about my data",
      requestForm(() => void refresh()),
      noticeBox,
      requestsBox,
    ),
    ctx.me.role === "owner"
      ? section(
          "account-closure",
          "Close the account",
          h(
            "p",
            {},
            "Closing ends access for you and every member at once and deletes the account's personal data after a dispute window; the law keeps a few records longer. ",
          ),
          h(
            "p",
            {},
            h(
              "a",
              { href: "/privacy/close-account", "data-link": true },
              "What closing keeps, and closing the account",
            ),
          ),
        )
      : section("account-leave", "Leave the account", leaveForm()),
  );
  await Promise.all([
    fillSection(policyBox, "the privacy policy", async () => policySections(await policyNow(true))),
    fillSection(requestsBox, "your requests", async () => showRequests(data(await api().GET("/api/me/data-requests")))),
  ]);
  return () => {
    gone = true;
    window.clearTimeout(timer);
  };
}

function leaveForm(): HTMLElement {
  const messages = h("div", {});
  const understood = h("input", { type: "checkbox", id: "leave-confirm" });
  const button = h("button", { type: "button", id: "leave-account", class: "danger" }, "Leave this account");
  button.addEventListener("click", async () => {
    clear(messages);
    if (!understood.checked) {
      messages.append(
        h("p", { class: "error", role: "alert" }, "Tick the box first: leaving ends your access at once."),
      );
      return;
    }
    try {
      await api().POST("/api/me/leave");
      // main.ts switches to the limited view: what is kept about you, your export and erasure (pages/former)
      window.dispatchEvent(new Event("industrack:access-ended"));
    } catch (e) {
      messages.append(errorBox(e));
    }
  });
  return h(
    "div",
    { class: "stack wide" },
    h(
      "p",
      {},
      "Leaving ends your access to the account and its apps at once. What is kept about you then follows the account's retention; you can still sign in to see it, download it or ask for its erasure.",
    ),
    h(
      "div",
      { class: "choice" },
      understood,
      h("label", { for: "leave-confirm" }, "I understand that my access ends at once"),
    ),
    h("div", { class: "toolbar" }, button),
    messages,
  );
}

function acknowledge(version: PolicyVersion): HTMLElement {
  const out = h("p", { role: "status", id: `ack-${version.versionId}-state` });
  const button = h(
    "button",
    { type: "button", id: `ack-${version.versionId}` },
    `I have read version ${version.versionId}`,
  );
  button.addEventListener("click", async () => {
    clear(out);
    try {
      const ack = data(
        await api().POST("/api/me/policy-acknowledgements", { body: { versionId: version.versionId, app: "web" } }),
      );
      out.append(`Recorded: you read version ${version.versionId} on ${timeText(ack.at)}.`);
      announce(`Your reading of version ${version.versionId} is recorded.`);
    } catch (e) {
      out.append(errorBox(e));
    }
  });
  return h("div", { class: "toolbar" }, button, out);
}

function requestForm(done: () => void): HTMLElement {
  const messages = h("div", {});
  const details = h("textarea", {
    id: "request-details",
    rows: 3,
    maxlength: 2000,
    "aria-describedby": "request-details-hint",
  });
  const radios = TYPES.map(([type, name, hint], i) => {
    const id = `request-type-${type}`;
    return h(
      "div",
      { class: "choice" },
      h("input", {
        type: "radio",
        name: "request-type",
        id,
        value: type,
        checked: i === 0,
        "aria-describedby": `${id}-hint`,
      }),
      h("label", { for: id }, name),
      h("p", { class: "note", id: `${id}-hint` }, hint),
    );
  });
  const submit = h("button", { type: "submit" }, "Send my request");
  const form = h(
    "form",
    { id: "request-form", class: "stack wide", "aria-label": "A request about my data" },
    h("fieldset", {}, h("legend", {}, "What do you ask for?"), ...radios),
    h(
      "label",
      { for: "request-details" },
      "Details (optional; for a correction, what is wrong and what it should say)",
    ),
    details,
    h(
      "p",
      { class: "note", id: "request-details-hint" },
      "Each request is answered by its due date: 30 days, 45 for the California disclosure.",
    ),
    submit,
    messages,
  );
  let confirmed = false;
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clear(messages);
    const picked = form.querySelector<HTMLInputElement>("input[name=request-type]:checked")?.value ?? "access";
    const type = isRequestType(picked) ? picked : "access";
    if (type === "erasure" && !confirmed) {
      confirmed = true;
      submit.textContent = "Yes, erase my data";
      submit.classList.add("danger");
      messages.append(
        h("p", { class: "error", role: "alert" }, "Erasure cannot be undone. Press the button again to confirm."),
      );
      return;
    }
    confirmed = false;
    submit.textContent = "Send my request";
    submit.classList.remove("danger");
    try {
      const made = data(
        await api().POST("/api/me/data-requests", { body: { type, details: details.value.trim() || null } }),
      );
      details.value = "";
      const text = `Your request (${TYPE_NAMES.get(type)}) is received; due ${dateText(made.dueAt)}.`;
      messages.append(h("p", { class: "ok" }, text));
      announce(text);
      done();
    } catch (e) {
      messages.append(errorBox(e));
    }
  });
  form.addEventListener("change", () => {
    if (!confirmed) return;
    confirmed = false;
    submit.textContent = "Send my request";
    submit.classList.remove("danger");
  });
  return form;
}

// How long deleted data stays in soft delete and backups: the deployed values, as the API states them (issue 28).
function deletionNotice(list: DataRequestList): HTMLElement | null {
  const notice = list.deletion;
  if (!notice) return null;
  return h("div", { id: "deletion-notice" }, h("h3", {}, "When data is deleted"), h("p", {}, notice.text));
}

export function requestTable(items: DataRequest[]): HTMLElement {
  return h(
    "table",
    { class: "grid", id: "requests" },
    h("caption", {}, "My requests, newest first"),
    h(
      "thead",
      {},
      h("tr", {}, ...["Request", "Status", "Received", "Due", "Answer"].map((t) => h("th", { scope: "col" }, t))),
    ),
    h(
      "tbody",
      {},
      ...(items.length
        ? items.map((r) =>
            h(
              "tr",
              { "data-request-id": r.requestId, "data-status": r.status },
              h("th", { scope: "row" }, TYPE_NAMES.get(r.type) ?? r.type),
              h("td", {}, STATUS_NAMES[r.status] ?? r.status),
              h("td", {}, timeText(r.receivedAt)),
              h("td", {}, dateText(r.dueAt)),
              h("td", {}, answer(r)),
            ),
          )
        : [h("tr", {}, h("td", { colspan: 5 }, "No requests yet."))]),
    ),
  );
}

/** A kind of personal data as the API names it ("access-log") in words ("access log"). */
function kindText(kind: string): string {
  return kind.replace(/[-_]/g, " ");
}

/** The answer in words, from the request's fields (never the server's free-text outcome). */
function answer(r: DataRequest, now: number = Date.now()): HTMLElement {
  const box = h("div", { "data-answer": r.type });
  const line = (...parts: (Node | string)[]): void => {
    box.append(h("p", {}, ...parts));
  };
  if (r.status === "failed")
    line("Something went wrong while answering this request; our support team has been told and will answer it.");
  if (r.type === "access") {
    if (r.downloadUrl && r.downloadExpiresAt && new Date(r.downloadExpiresAt).getTime() > now) {
      box.append(
        h(
          "p",
          { "data-ready-until": r.downloadExpiresAt },
          `Ready to download until ${timeText(r.downloadExpiresAt)}. `,
        ),
        h(
          "a",
          { href: r.downloadUrl, class: "button", "data-download": "export", rel: "noopener" },
          "Download my data (ZIP)",
        ),
      );
    } else if (r.status === "completed") {
      line(
        `The download link expired${r.downloadExpiresAt ? ` on ${timeText(r.downloadExpiresAt)}` : ""}; ask again for a new copy.`,
      );
    } else if (r.status !== "failed") {
      line("Your copy is being prepared; its download link appears here.");
    }
  }
  if (r.type === "rectification" && r.status !== "completed" && r.status !== "failed") {
    line(
      "Your name, e-mail, phone and time zone you can change yourself under My data at once; anything else is answered by support.",
    );
  }
  const erased = Object.entries(r.erased ?? {}).filter(([, n]) => n > 0);
  if (erased.length) line(`Erased: ${erased.map(([k, n]) => `${kindText(k)} (${n})`).join(", ")}.`);
  const pending = (r.progress ?? []).filter((p) => !p.finished);
  if (r.status !== "completed" && pending.length) {
    box.append(
      h("p", {}, "Still being erased:"),
      h(
        "ul",
        { "data-erasure": "progress" },
        ...pending.map((p) =>
          h("li", {}, `${kindText(p.kind)}: ${p.done} done, ${p.left ?? "an unknown number"} left`),
        ),
      ),
    );
  }
  if (r.kept?.length) {
    box.append(
      h("p", {}, "Kept under a legal hold:"),
      h("ul", { "data-erasure": "kept" }, ...r.kept.map((k) => h("li", {}, `${kindText(k.kind)} (${k.reason})`))),
    );
  }
  if (r.retained?.length) {
    box.append(
      h("p", {}, "Kept by law:"),
      h("ul", {}, ...r.retained.map((k) => h("li", {}, `${kindText(k.category)}: ${k.reason} (${k.days} days)`))),
    );
  }
  if (r.residualCopies?.length) {
    box.append(
      h("p", {}, "Still held out of reach for a while:"),
      h(
        "ul",
        { "data-residual-copies": "" },
        ...r.residualCopies.map((c) => h("li", {}, `${c.what} Gone by ${dateText(c.until)}.`)),
      ),
    );
  }
  if (r.disclosure) {
    const d = r.disclosure;
    line(d.statement);
    line(
      `Year ${d.calendarYear}: ${d.categories.length ? d.categories.join(", ") : "no categories"}; ${d.thirdParties.length ? d.thirdParties.map((t) => t.thirdParty).join(", ") : "no third parties"}.`,
    );
  }
  if (r.details) box.append(h("p", { class: "note" }, `You wrote: ${r.details}`));
  if (r.completedAt) {
    box.append(
      h(
        "p",
        { class: "note" },
        `Answered ${timeText(r.completedAt)}`,
        r.emailed === true ? "; we also sent you an e-mail." : r.emailed === false ? "; no e-mail could be sent." : ".",
      ),
    );
  }
  return box;
}
