// The e-mailed verification link (/verify-email?token=...): one button confirms the address through
// POST /api/email/verify/{token}. Opening the page changes nothing (mail scanners that open links confirm nothing).

import { ApiError } from "../../api/client";
import { api, data } from "../../api/typed";
import { h, errorBox } from "../../ui/dom";
import { takeToken } from "./token";

export async function renderVerifyEmail(main: HTMLElement, params: URLSearchParams): Promise<null> {
  const token = takeToken(params);
  main.append(h("h1", {}, "Confirm your e-mail address"));
  if (!token) {
    main.append(h("p", { role: "alert" }, "This link has no token in it. Open the link from the e-mail again."));
    return null;
  }
  const outcome = h("div", { id: "verify-outcome" });
  const confirm = h("button", { type: "button" }, "Confirm my address");
  confirm.addEventListener("click", () => {
    confirm.disabled = true;
    void api()
      .POST("/api/email/verify/{token}", { params: { path: { token } } })
      .then(data)
      .then((r) => {
        confirm.remove();
        outcome.replaceChildren(
          h("p", { class: "ok", role: "status" }, `Thank you: ${r.email} is confirmed.`),
          h("p", {}, h("a", { href: "/" }, "Go to IndusTrack")),
        );
      })
      .catch((e: unknown) => {
        confirm.remove();
        outcome.replaceChildren(
          e instanceof ApiError && e.status === 410
            ? h(
                "p",
                { class: "error", role: "alert" },
                `${e.detail ?? e.title} You can ask for a new link on your `,
                "profile page after signing in.",
              )
            : errorBox(e),
        );
      });
  });
  main.append(
    h(
      "p",
      {},
      "Confirm that this e-mail address is yours. Until then IndusTrack sends it only what your ",
      "account needs.",
    ),
    confirm,
    outcome,
  );
  return null;
}
