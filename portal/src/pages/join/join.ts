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

// The 410 problem types of an invitation that ended (docs: GET /api/invitations/{token}).
const ENDED: Record<string, string> = {
  "invitation-expired": "This invitation has expired. Ask the person who invited you to send a new one.",
  "invitation-revoked": "This invitation was withdrawn by the company. Ask them whether you should still join.",
  "invitation-used": "This invitation has already been used. If it was you who accepted it, sign in to see your data.",
};
const ENDED_OTHERWISE = "This invitation link is not valid any more. Ask the person who invited you to send a new one.";

// What joining means, as the API words it (from the privacy policy), grouped under the questions a worker asks.
const GROUPS: [string, string[]][] = [
  ["What is collected", ["location", "photos-notes", "metadata"]],
  ["When", ["when", "private-zones"]],
  ["Who sees it", ["who-sees"]],
  ["Your rights", ["rights"]],
];

function endedBox(text: string): HTMLElement {
  return h(
    "div",
    { class: "ended", id: "invitation-ended" },
    h("p", { role: "alert" }, text),
    h("p", {}, h("a", { href: "/signin", "data-link": true }, "Sign in"), " if you already have an account."),
  );
}

function meaning(preview: Preview, policy: Policy | null): HTMLElement {
  const facts = h("dl", { class: "facts" });
  const shown = new Set<string>();
  for (const [title, topics] of GROUPS) {
    const points = preview.collected.filter((p) => topics.includes(p.topic));
    if (!points.length) continue;
    for (const p of points) shown.add(p.topic);
    facts.append(h("dt", {}, title), h("dd", {}, ...points.map((p) => h("p", { "data-topic": p.topic }, p.text))));
  }
  const others = preview.collected.filter((p) => !shown.has(p.topic));
  if (others.length) facts.append(h("dt", {}, "Also"), h("dd", {}, ...others.map((p) => h("p", {}, p.text))));
  facts.append(
    h("dt", {}, "Privacy policy"),
    h(
      "dd",
      { id: "join-policy" },
      policy
        ? h(
            "details",
            { class: "policy-inline" },
            h(
              "summary",
              {},
              `Read the privacy policy in force (version ${policy.versionId}, since ${timeText(policy.effectiveAt)})`,
            ),
            policyDocument(policy.text, 3),
          )
        : `Version ${preview.policyVersion}; you can read it after signing in, under Privacy.`,
    ),
  );
  return h(
    "section",
    { "aria-labelledby": "join-meaning", class: "meaning" },
    h("h2", { id: "join-meaning" }, "What joining means"),
    facts,
  );
}

export async function renderJoin(main: HTMLElement, params: URLSearchParams, joined: () => void): Promise<null> {
  const token = params.get("invitation") ?? "";
  main.append(h("h1", {}, "Join your team on IndusTrack"));
  if (!token) {
    main.append(h("p", { role: "alert" }, "This link has no invitation in it."));
    return null;
  }
  let preview: Preview;
  try {
    preview = data(await api().GET("/api/invitations/{token}", { params: { path: { token } } }));
  } catch (e) {
    if (e instanceof ApiError && (e.status === 410 || e.status === 404)) {
      const code = (e.problemType ?? "").split("/").pop() ?? "";
      main.append(endedBox(ENDED[code] ?? ENDED_OTHERWISE));
      return null;
    }
    throw e;
  }
  // The policy the preview names (its path is the API's GET of that version, readable without signing in).
  const policy = await api()
    .GET("/api/policy/versions/{versionId}", { params: { path: { versionId: preview.policyVersion } } })
    .then(data)
    .catch(() => null);
  const who = preview.inviterName ? `${preview.inviterName} invited you` : "You are invited";
  main.append(
    h(
      "p",
      { class: "lead", id: "join-who" },
      `${who} to join `,
      h("strong", {}, preview.accountName ?? "a team"),
      " on IndusTrack, the tracking service the company uses for its field work.",
    ),
    h(
      "p",
      {},
      `The invitation is for ${preview.email}`,
      preview.fullName ? ` (${preview.fullName})` : "",
      ` and is valid until ${timeText(preview.expiresAt)}.`,
    ),
    meaning(preview, policy),
  );

  if (!(await isSignedIn())) {
    const back = `/join?invitation=${encodeURIComponent(token)}`;
    main.append(h("p", {}, `Sign in with ${preview.email}, then accept.`));
    if (config().auth.mode === "msal") {
      // straight to the issuer's sign-in page, which brings the visitor back here
      const go = h("button", { type: "button", class: "big" }, "Sign in");
      go.addEventListener("click", () => {
        go.disabled = true;
        import("../../auth/msal")
          .then((m) => m.signIn(back))
          .catch((e: unknown) => {
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
      data(
        await api().POST("/api/invitations/{token}/accept", {
          params: { path: { token } },
          body: { fullName: null, timeZone: null },
        }),
      );
      joined();
      navigate("/me/connect");
    } catch (e) {
      accept.disabled = false;
      main.append(errorBox(e));
    }
  });
  main.append(
    h(
      "p",
      {},
      "Accepting makes you a member of the company's account. Nothing is tracked until you " +
        "allow location and connect your phone, on the next page.",
    ),
    accept,
  );
  return null;
}
