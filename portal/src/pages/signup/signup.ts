// Registration of a new Account Owner (POST /api/accounts): company, full legal name, e-mail, billing address,
// time zone and the age check. The API decides everything (age rule included); this page only collects and shows.

import { type AccountCreate, ApiError } from "../../api/client";
import { api } from "../../api/typed";
import { isSignedIn, signOut } from "../../auth/session";
import { navigate } from "../../router";
import { h, errorBox } from "../../ui/dom";

function field(id: string, label: string, input: HTMLInputElement | HTMLSelectElement, hint?: string): HTMLElement[] {
  const out: HTMLElement[] = [h("label", { for: id }, label), input];
  if (hint) {
    const hintEl = h("span", { id: `${id}-hint`, class: "note" }, hint);
    input.setAttribute("aria-describedby", hintEl.id);
    out.push(hintEl);
  }
  return out;
}

function text(id: string, attrs: Record<string, string | boolean> = {}): HTMLInputElement {
  return h("input", { id, name: id, type: "text", ...attrs });
}

function timeZones(): string[] {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return zones.includes("UTC") ? zones : ["UTC", ...zones];
}

/** `registered` is told once the account exists; it forgets the cached "who am I". */
export async function renderSignup(
  main: HTMLElement,
  signedInAs: string | null,
  hasAccount: boolean,
  registered: () => void,
): Promise<null> {
  main.append(h("h1", {}, "Register your company"));
  if (!(await isSignedIn())) {
    sessionStorage.setItem("industrack.after", "/signup");
    main.append(
      h(
        "p",
        {},
        "First sign in with the identity you will use as the Account Owner; then fill in your ",
        "company's details here.",
      ),
      h("a", { href: "/signin", "data-link": true, class: "button" }, "Sign in"),
    );
    return null;
  }
  const switchIdentity = h("button", { type: "button", class: "link" }, "Sign out");
  switchIdentity.addEventListener("click", () => {
    signOut();
    registered();
    navigate("/signup");
  });
  main.append(
    h("p", { class: "note" }, `Signed in as ${signedInAs ?? "you"}. Not the right identity? `, switchIdentity),
  );
  if (hasAccount) {
    main.append(
      h("p", {}, "This identity already belongs to an account."),
      h("p", {}, h("a", { href: "/billing" }, "Go to billing")),
    );
    return null;
  }
  const here = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const zone = h(
    "select",
    { id: "su-zone", name: "timeZone", required: true },
    ...timeZones().map((z) => h("option", { value: z, selected: z === here }, z)),
  );
  const inputs = {
    company: text("su-company", { autocomplete: "organization", maxlength: "120" }),
    name: text("su-name", { required: true, autocomplete: "name", maxlength: "120" }),
    email: h("input", {
      id: "su-email",
      name: "email",
      type: "email",
      required: true,
      autocomplete: "email",
      value: signedInAs ?? "",
    }),
    line1: text("su-line1", { required: true, autocomplete: "address-line1", maxlength: "120" }),
    line2: text("su-line2", { autocomplete: "address-line2", maxlength: "120" }),
    city: text("su-city", { required: true, autocomplete: "address-level2", maxlength: "120" }),
    state: text("su-state", { autocomplete: "address-level1", maxlength: "60" }),
    postal: text("su-postal", { required: true, autocomplete: "postal-code", maxlength: "20" }),
    country: text("su-country", {
      required: true,
      autocomplete: "country",
      maxlength: "2",
      pattern: "[A-Za-z]{2}",
      size: "3",
    }),
    birth: h("input", { id: "su-birth", name: "dateOfBirth", type: "date", required: true, autocomplete: "bday" }),
  };
  const outcome = h("div", { id: "signup-outcome", "aria-live": "polite" });
  const submit = h("button", { type: "submit" }, "Register");
  const form = h(
    "form",
    { class: "stack", id: "signup-form", "aria-labelledby": "su-legend" },
    h("h2", { id: "su-legend" }, "Your company and you"),
    ...field("su-company", "Company", inputs.company),
    ...field("su-name", "Full legal name", inputs.name),
    ...field("su-email", "E-mail", inputs.email, "We send a link to confirm this address."),
    h(
      "fieldset",
      { class: "stack" },
      h("legend", {}, "Billing address"),
      ...field("su-line1", "Address line 1", inputs.line1),
      ...field("su-line2", "Address line 2 (optional)", inputs.line2),
      ...field("su-city", "City", inputs.city),
      ...field("su-state", "State or region (optional)", inputs.state),
      ...field("su-postal", "Postal code", inputs.postal),
      ...field("su-country", "Country", inputs.country, "Two-letter code, for example US."),
    ),
    ...field("su-zone", "Time zone", zone),
    ...field(
      "su-birth",
      "Date of birth",
      inputs.birth,
      "Only to confirm you are at least 13. The date itself is not kept.",
    ),
    submit,
    outcome,
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const opt = (v: string): string | null => (v.trim() ? v.trim() : null);
    const body: AccountCreate = {
      companyName: opt(inputs.company.value),
      fullLegalName: inputs.name.value.trim(),
      email: inputs.email.value.trim(),
      billingAddress: {
        line1: inputs.line1.value.trim(),
        line2: opt(inputs.line2.value),
        city: inputs.city.value.trim(),
        state: opt(inputs.state.value),
        postalCode: inputs.postal.value.trim(),
        country: inputs.country.value.trim().toUpperCase(),
      },
      timeZone: zone.value,
      dateOfBirth: inputs.birth.value,
      units: null, // by the billing country until the owner chooses (on the timesheets page)
    };
    submit.disabled = true;
    outcome.replaceChildren();
    void api()
      .POST("/api/accounts", { body })
      .then(() => {
        registered();
        // A full page load: the billing page's Content-Security-Policy (Stripe.js) comes with its document.
        location.assign("/billing?welcome=1");
      })
      .catch((e: unknown) => {
        submit.disabled = false;
        if (e instanceof ApiError && e.status === 403) {
          outcome.append(h("p", { class: "error", role: "alert" }, e.detail ?? e.title));
          return;
        }
        outcome.append(errorBox(e));
      });
  });
  main.append(
    h(
      "p",
      {},
      "You become the Account Owner: you invite your workers and pay for their seats. ",
      "After registering you can put a card on file; the trial needs none.",
    ),
    form,
  );
  return null;
}
