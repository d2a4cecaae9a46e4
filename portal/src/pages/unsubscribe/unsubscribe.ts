// The unsubscribe link of an optional e-mail (/unsubscribe?token=...): one button turns that kind of e-mail off
// through POST /api/email/unsubscribe/{token}, no sign-in. (Mail clients' one-click unsubscribe, RFC 8058, posts to
// the API directly: the List-Unsubscribe header points there.)

import { ApiError } from "../../api/client";
import { api, data } from "../../api/typed";
import { h, errorBox } from "../../ui/dom";
import { takeToken } from "../verify/token";

const NAMES: Record<string, string> = { "product-updates": "product update", tips: "tips" };

export async function renderUnsubscribe(main: HTMLElement, params: URLSearchParams): Promise<null> {
  const token = takeToken(params);
  main.append(h("h1", {}, "Unsubscribe"));
  if (!token) {
    main.append(h("p", { role: "alert" }, "This link has no token in it. Open the link from the e-mail again."));
    return null;
  }
  const outcome = h("div", { id: "unsubscribe-outcome" });
  const button = h("button", { type: "button" }, "Unsubscribe");
  button.addEventListener("click", () => {
    button.disabled = true;
    void api()
      .POST("/api/email/unsubscribe/{token}", { params: { path: { token } } })
      .then(data)
      .then((r) => {
        button.remove();
        const kind = NAMES[r.category] ?? r.category;
        outcome.replaceChildren(
          h("p", { class: "ok", role: "status" }, `Done: you will no longer receive ${kind} e-mails.`),
          h(
            "p",
            {},
            "E-mails your account needs (and legal notices) still arrive. Change every choice on your profile ",
            "page after signing in.",
          ),
        );
      })
      .catch((e: unknown) => {
        button.remove();
        outcome.replaceChildren(
          e instanceof ApiError && e.status === 410
            ? h("p", { class: "error", role: "alert" }, e.detail ?? e.title)
            : errorBox(e),
        );
      });
  });
  main.append(h("p", {}, "Stop receiving this kind of e-mail from IndusTrack?"), button, outcome);
  return null;
}
