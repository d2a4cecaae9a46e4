// The e-mailed invitation link (/join?invitation=...): sign in with the invited address, then accept.

import { send, type Member } from "../../api/client";
import { isSignedIn } from "../../auth/session";
import { config } from "../../config";
import { navigate } from "../../router";
import { h, errorBox } from "../../ui/dom";

export async function renderJoin(main: HTMLElement, params: URLSearchParams, joined: () => void): Promise<null> {
  const token = params.get("invitation") ?? "";
  main.append(h("h1", {}, "Join your team on IndusTrack"));
  if (!token) {
    main.append(h("p", { role: "alert" }, "This link has no invitation in it."));
    return null;
  }
  if (!(await isSignedIn())) {
    const back = `/join?invitation=${encodeURIComponent(token)}`;
    main.append(h("p", {}, "Sign in with the e-mail address the invitation was sent to, then come back to this link."));
    if (config().auth.mode === "msal") { // straight to the issuer's sign-in page, which brings the visitor back here
      const go = h("button", { type: "button" }, "Sign in");
      go.addEventListener("click", () => {
        go.disabled = true;
        import("../../auth/msal").then((m) => m.signIn(back)).catch((e: unknown) => {
          go.disabled = false;
          main.append(errorBox(e));
        });
      });
      main.append(go);
    } else {
      sessionStorage.setItem("industrack.after", back);
      main.append(h("a", { href: "/signin", "data-link": true, class: "button" }, "Sign in"));
    }
    return null;
  }
  const accept = h("button", { type: "button" }, "Accept the invitation");
  accept.addEventListener("click", async () => {
    accept.disabled = true;
    try {
      await send<Member>("POST", `/invitations/${encodeURIComponent(token)}/accept`, {});
      joined();
      navigate("/me");
    } catch (e) {
      accept.disabled = false;
      main.append(errorBox(e));
    }
  });
  main.append(h("p", {}, "You were invited to join an account. Accepting makes you a member of it."), accept);
  return null;
}
