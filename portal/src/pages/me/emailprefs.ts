// "E-mail I receive": the optional categories can be turned off (PUT /me/email-preferences); account and legal
// e-mail is always sent, shown checked and disabled with the reason, as the API answers it.

import type { EmailPreferences } from "../../api/client";
import { api, data } from "../../api/typed";
import { h, clear, announce, errorBox } from "../../ui/dom";

const NAMES: Record<string, string> = {
  account: "Account e-mail (sign-in, billing, data requests)",
  legal: "Legal notices (privacy policy changes)",
  "product-updates": "Product updates",
  tips: "Tips for using IndusTrack",
  "job-site-visits": "A member's first arrival at and departure from a job site each day (owners)",
};

export function emailPreferencesForm(initial: EmailPreferences): HTMLElement {
  const list = h("ul", { class: "plain", id: "email-categories" });
  const messages = h("div", {});

  const draw = (prefs: EmailPreferences): void => {
    clear(list);
    for (const c of prefs.categories) {
      const id = `pref-${c.category}`;
      const box = h("input", {
        type: "checkbox",
        id,
        value: c.category,
        checked: c.subscribed,
        disabled: c.transactional,
        "aria-describedby": c.transactional ? `${id}-why` : undefined,
      });
      list.append(
        h(
          "li",
          { "data-category": c.category },
          box,
          " ",
          h("label", { for: id }, NAMES[c.category] ?? c.category),
          c.transactional
            ? h("span", { class: "note", id: `${id}-why` }, " (always sent: it is needed to run your account)")
            : null,
        ),
      );
    }
  };
  draw(initial);

  const form = h(
    "form",
    { id: "email-prefs-form", "aria-label": "E-mail preferences" },
    h("fieldset", {}, h("legend", {}, "Send me"), list),
    h("button", { type: "submit" }, "Save e-mail preferences"),
    messages,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clear(messages);
    const categories: Record<string, boolean> = {};
    for (const box of list.querySelectorAll<HTMLInputElement>("input[type=checkbox]:not(:disabled)"))
      categories[box.value] = box.checked;
    try {
      draw(data(await api().PUT("/api/me/email-preferences", { body: { categories } })));
      messages.append(h("p", { class: "ok" }, "Saved."));
      announce("E-mail preferences saved.");
    } catch (e) {
      messages.append(errorBox(e));
    }
  });
  return form;
}
