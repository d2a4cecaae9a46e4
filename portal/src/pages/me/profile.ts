// "My information": name, e-mail address, phone and time zone, changed with PATCH /me. A new e-mail address is
// not applied by the API until the link it sends there is used: the page shows it as waiting, with "send again".

import type { Me, MeUpdate } from "../../api/client";
import { api, data } from "../../api/typed";
import { h, clear, announce, errorBox, timeText } from "../../ui/dom";
import { ZONE_LIST_ID } from "./zones";

function field(id: string, label: string, input: HTMLInputElement, hint?: string): HTMLElement {
  if (hint) input.setAttribute("aria-describedby", `${id}-hint`);
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    input,
    hint ? h("span", { class: "note", id: `${id}-hint` }, hint) : null,
  );
}

export function profileForm(initial: Me): HTMLElement {
  let me = initial;
  const name = h("input", {
    id: "profile-name",
    value: me.fullName,
    required: true,
    autocomplete: "name",
    maxlength: 200,
  });
  const email = h("input", {
    id: "profile-email",
    type: "email",
    value: me.email,
    required: true,
    autocomplete: "email",
  });
  const phone = h("input", { id: "profile-phone", type: "tel", value: me.phone ?? "", autocomplete: "tel" });
  const zone = h("input", {
    id: "profile-tz",
    list: ZONE_LIST_ID,
    value: me.timeZone,
    required: true,
    autocomplete: "off",
  });
  const status = h("div", { id: "email-status" });
  const messages = h("div", {});

  const showStatus = (): void => {
    clear(status);
    status.append(h("p", {}, `Address in use: ${me.email} (${me.emailVerified ? "confirmed" : "not confirmed yet"}).`));
    if (!me.pendingEmail) return;
    const again = h("button", { type: "button", id: "resend-link" }, "Send the link again");
    again.addEventListener("click", async () => {
      try {
        const sent = data(await api().POST("/api/me/email-verification"));
        announce(`A new link was sent to ${sent.email}.`);
        again.after(h("span", { class: "ok" }, ` Sent to ${sent.email}.`));
      } catch (e) {
        status.append(errorBox(e));
      }
    });
    status.append(
      h(
        "p",
        { id: "pending-email", role: "status" },
        `Waiting for confirmation: ${me.pendingEmail}. We sent a link to that address; ${me.email} stays in use until ` +
          `the link is opened${me.pendingEmailExpiresAt ? ` (it expires ${timeText(me.pendingEmailExpiresAt)})` : ""}. `,
        again,
      ),
    );
  };

  const changes = (): MeUpdate => {
    const body: Partial<MeUpdate> = {};
    if (name.value.trim() !== me.fullName) body.fullName = name.value.trim();
    if (email.value.trim() !== me.email && email.value.trim() !== me.pendingEmail) body.email = email.value.trim();
    if (phone.value.trim() !== (me.phone ?? "")) body.phone = phone.value.trim() || null;
    if (zone.value.trim() !== me.timeZone) body.timeZone = zone.value.trim();
    // Only the changed fields are sent (an absent field is left as it is; a null name is refused). The generated
    // types mark every field with a default as present, which holds for answers but not for this request's body.
    return body as MeUpdate;
  };

  const form = h(
    "form",
    { id: "profile-form", class: "stack", "aria-label": "My information" },
    field("profile-name", "Full name", name),
    field("profile-email", "E-mail address", email, "A new address is used once you open the link we send to it."),
    field("profile-phone", "Phone (optional)", phone),
    field("profile-tz", "My time zone", zone, "An IANA time zone such as Europe/Berlin."),
    h("div", {}, h("button", { type: "submit" }, "Save my information")),
    status,
    messages,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clear(messages);
    const body = changes();
    if (!Object.keys(body).length) {
      messages.append(h("p", { class: "note" }, "Nothing changed."));
      return;
    }
    try {
      me = data(await api().PATCH("/api/me", { body }));
      email.value = me.pendingEmail ?? me.email;
      showStatus();
      messages.append(
        h(
          "p",
          { class: "ok" },
          me.pendingEmail && body.email ? "Saved. Check your inbox to confirm the new address." : "Saved.",
        ),
      );
      announce("My information saved.");
    } catch (e) {
      messages.append(errorBox(e));
    }
  });
  email.value = me.pendingEmail ?? me.email;
  showStatus();
  return form;
}
