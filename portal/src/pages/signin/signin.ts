// Sign-in: MSAL.js in Azure; locally, the development sign-in (pick a known identity or make one up).

import { config } from "../../config";
import { devIdentities, devSignIn, type DevIdentity } from "../../auth/session";
import { h, errorBox } from "../../ui/dom";

export async function renderSignIn(main: HTMLElement, done: () => void): Promise<null> {
  main.append(
    h("h1", {}, "Sign in"),
    h("p", {}, "New to IndusTrack? ", h("a", { href: "/signup", "data-link": true }, "Register your company"), "."),
  );
  if (config().auth.mode === "msal") {
    // back to the page remembered before coming here (msal.ts AFTER_SIGN_IN)
    const go = h("button", { type: "button" }, "Sign in with your IndusTrack account");
    go.addEventListener("click", () => {
      go.disabled = true;
      import("../../auth/msal")
        .then((m) => m.signIn())
        .catch((e: unknown) => {
          go.disabled = false;
          main.append(errorBox(e));
        });
    });
    main.append(go);
    return null;
  }
  const go = async (who: DevIdentity): Promise<void> => {
    try {
      await devSignIn(who);
      done();
    } catch (e) {
      main.append(errorBox(e));
    }
  };
  main.append(
    h(
      "p",
      { class: "note" },
      "Development sign-in: tokens come from the local development issuer. ",
      "It exists only on this computer's local stack.",
    ),
  );
  const known = await devIdentities();
  if (known.length) {
    main.append(
      h("h2", {}, "Signed in before"),
      h(
        "ul",
        { class: "plain" },
        ...known.map((who) =>
          h(
            "li",
            {},
            h(
              "button",
              { type: "button", onclick: () => void go(who) },
              `Continue as ${who.email}${who.admin ? " (platform admin)" : ""}`,
            ),
          ),
        ),
      ),
    );
  }
  const sub = h("input", { id: "dev-sub", name: "sub", required: true, autocomplete: "off" });
  const email = h("input", { id: "dev-email", name: "email", type: "email", required: true, autocomplete: "email" });
  const admin = h("input", { id: "dev-admin", name: "admin", type: "checkbox" });
  const form = h(
    "form",
    { class: "stack", "aria-label": "Development sign-in" },
    h("h2", {}, "Another identity"),
    h("label", { for: "dev-sub" }, "User id"),
    sub,
    h("label", { for: "dev-email" }, "E-mail"),
    email,
    h("span", {}, admin, h("label", { for: "dev-admin" }, " With the platform-admin role")),
    h("button", { type: "submit" }, "Sign in"),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void go({ sub: sub.value.trim(), email: email.value.trim(), admin: admin.checked || undefined });
  });
  main.append(form);
  return null;
}
