// The e-mailed invitation link (/join?invitation=...): who invites me to which company and what joining means (what
// is collected, when, who sees it, the privacy policy in force), all before signing in or accepting; an expired,
// revoked or used invitation says so plainly. Then sign in with the invited address and accept; accepting leads on
// to "Connect my phone".

import { ApiError } from "../../api/client";
import { api, data } from "../../api/typed";
import type { components } from "../../api/schema";
import { isSignedIn } from "../../auth/session";
import { config } from "../../config";
import { navigate } from "../../router";
import { h, errorBox, timeText } from "../../ui/dom";
import { policyDocument } from "../privacy/policytext";

type Preview = components["schemas"]["InvitationPreview"];
type Policy = components["schemas"]["PolicyVersionPublic"];

// Fields the preview names when the API has them (company and inviter: issue 29).
type Named = Preview & { companyName?: string | null; invitedByName?: string | null; state?: string };

const ENDED: Record<string, string> = {
  expired: "This invitation has expired. Ask the person who invited you to send a new one.",
  revoked: "This invitation was withdrawn by the company. Ask them if you should still join.",
  accepted: "This invitation has already been used. If you accepted it, sign in to see your data.",
  used: "This invitation has already been used. If you accepted it, sign in to see your data.",
};

function endedBox(text: string): HTMLElement {
  return h("div", { class: "ended", id: "invitation-ended" }, h("p", { role: "alert" }, text),
    h("p", {}, h("a", { href: "/signin", "data-link": true }, "Sign in"), " if you already have an account."));
}

function meaning(preview: Named, policy: Policy | null): HTMLElement {
  const company = preview.companyName ?? "the company";
  return h("section", { "aria-labelledby": "join-meaning", class: "meaning" },
    h("h2", { id: "join-meaning" }, "What joining means"),
    h("dl", { class: "facts" },
      h("dt", {}, "What is collected"),
      h("dd", {}, "Your name and e-mail address. Your phone's position, only once you allow location. Photos and " +
        "notes you choose to take, with the time they were taken, only once you allow the camera."),
      h("dt", {}, "When"),
      h("dd", {}, "Nothing is collected before you allow it, and you can withdraw it at any time. Positions are " +
        "stored only inside the tracking windows you see on your page, and never inside the private zones you set " +
        "(such as home)."),
      h("dt", {}, "Who sees it"),
      h("dd", {}, `The Account Owner of ${company} sees your positions, photos and notes. You see every time ` +
        "someone looks at your data, and you can download or erase it."),
      h("dt", {}, "Privacy policy"),
      h("dd", {}, policy
        ? h("details", { class: "policy-inline" },
          h("summary", {}, `Read the privacy policy in force (version ${policy.versionId}, since ${timeText(policy.effectiveAt)})`),
          policyDocument(policy.text, 3))
        : "The privacy policy could not be loaded; you can read it after signing in, under Privacy.")));
}

export async function renderJoin(main: HTMLElement, params: URLSearchParams, joined: () => void): Promise<null> {
  const token = params.get("invitation") ?? "";
  main.append(h("h1", {}, "Join your team on IndusTrack"));
  if (!token) {
    main.append(h("p", { role: "alert" }, "This link has no invitation in it."));
    return null;
  }
  let preview: Named;
  try {
    preview = data(await api().GET("/api/invitations/{token}", { params: { path: { token } } })) as Named;
  } catch (e) {
    if (e instanceof ApiError && (e.status === 410 || e.status === 404)) {
      main.append(endedBox(e.status === 410 ? "This invitation is no longer valid: it has expired, was withdrawn or " +
        "was already used. Ask the person who invited you to send a new one." : "This invitation link is not valid."));
      return null;
    }
    throw e;
  }
  const state = preview.state ?? preview.status;
  if (state !== "pending" && state !== "valid") {
    main.append(endedBox(ENDED[state] ?? "This invitation is no longer valid."));
    return null;
  }
  const policy = await api().GET("/api/policy").then((r) => data(r).current).catch(() => null);
  const who = preview.invitedByName ? `${preview.invitedByName} invited you` : "You are invited";
  main.append(
    h("p", { class: "lead", id: "join-who" }, `${who} to join `, h("strong", {}, preview.companyName ?? "a team"),
      " on IndusTrack, the tracking service the company uses for its field work."),
    h("p", {}, `The invitation is for ${preview.email}`, preview.fullName ? ` (${preview.fullName})` : "",
      ` and is valid until ${timeText(preview.expiresAt)}.`),
    meaning(preview, policy));

  if (!(await isSignedIn())) {
    const back = `/join?invitation=${encodeURIComponent(token)}`;
    main.append(h("p", {}, `Sign in with ${preview.email}, then accept.`));
    if (config().auth.mode === "msal") { // straight to the issuer's sign-in page, which brings the visitor back here
      const go = h("button", { type: "button", class: "big" }, "Sign in");
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
      main.append(h("a", { href: "/signin", "data-link": true, class: "button big" }, "Sign in"));
    }
    return null;
  }
  const accept = h("button", { type: "button", class: "big" }, "Accept the invitation");
  accept.addEventListener("click", async () => {
    accept.disabled = true;
    try {
      data(await api().POST("/api/invitations/{token}/accept", { params: { path: { token } }, body: { fullName: null, timeZone: null } }));
      joined();
      navigate("/me/connect");
    } catch (e) {
      accept.disabled = false;
      main.append(errorBox(e));
    }
  });
  main.append(h("p", {}, "Accepting makes you a member of the company's account. Nothing is tracked until you " +
    "allow location and connect your phone, on the next page."), accept);
  return null;
}
