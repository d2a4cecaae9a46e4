// Members (owner): who is in the account and when each was last seen; invite by e-mail; pending invitations
// (revoke); remove a member. The API enforces every rule (owner only, the owner cannot be removed).

import type { Context } from "../../context";
import { get, send, type InvitationList, type LatestPositions, type MemberList, type PrivateZoneCount } from "../../api/client";
import { h, clear, ageText, changeRunner, errorBox, timeText } from "../../ui/dom";

export async function renderMembers(ctx: Context): Promise<null> {
  const accountId = ctx.me.accountId;
  const membersBody = h("tbody", {});
  const invitesBody = h("tbody", {});
  const messages = h("div", {});
  const email = h("input", { id: "invite-email", type: "email", required: true, autocomplete: "off" });
  const name = h("input", { id: "invite-name", autocomplete: "off" });
  const form = h("form", { class: "inline", "aria-labelledby": "invite-title" },
    h("label", { for: "invite-email" }, "E-mail"), email,
    h("label", { for: "invite-name" }, "Name (optional)"), name,
    h("button", { type: "submit" }, "Send invitation"));

  const load = async (): Promise<void> => {
    const [members, latest, invites] = await Promise.all([
      get<MemberList>(`/accounts/${accountId}/members`),
      get<LatestPositions>(`/accounts/${accountId}/locations/latest`),
      get<InvitationList>(`/accounts/${accountId}/invitations`),
    ]);
    const seen = new Map(latest.items.map((i) => [i.userId, i.position?.timestamp ?? null]));
    // How many private zones each member has (never where: the API answers only a count).
    const zones = new Map(await Promise.all(members.items.map(async (m) => [m.userId,
      (await get<PrivateZoneCount>(`/accounts/${accountId}/members/${encodeURIComponent(m.userId)}/private-zones`)).count] as const)));
    clear(membersBody);
    for (const m of members.items) {
      const last = seen.get(m.userId);
      const remove = m.role === "owner" ? h("span", {}, "Account Owner") : removeButton(m.userId, m.fullName);
      membersBody.append(h("tr", { "data-user-id": m.userId },
        h("th", { scope: "row" }, m.fullName), h("td", {}, m.email), h("td", {}, m.role),
        h("td", {}, last ? ageText((Date.now() - new Date(last).getTime()) / 1000) : "Never"),
        h("td", { class: "zone-count" }, String(zones.get(m.userId) ?? 0)),
        h("td", {}, m.role === "owner" ? "" : h("a", { href: `/members/${encodeURIComponent(m.userId)}/day`, "data-link": true },
          h("span", {}, "Day view"), h("span", { class: "sr-only" }, ` of ${m.fullName}`))),
        h("td", {}, remove)));
    }
    clear(invitesBody);
    if (!invites.items.length) invitesBody.append(h("tr", {}, h("td", { colspan: 4 }, "No pending invitations.")));
    for (const i of invites.items) {
      const revoke = h("button", { type: "button", "aria-label": `Revoke the invitation to ${i.email}` }, "Revoke");
      revoke.addEventListener("click", () => void act(() => send("DELETE", `/accounts/${accountId}/invitations/${i.invitationId}`),
        `The invitation to ${i.email} is revoked.`));
      invitesBody.append(h("tr", { "data-invitation-id": i.invitationId },
        h("th", { scope: "row" }, i.email), h("td", {}, i.fullName ?? ""), h("td", {}, timeText(i.expiresAt)), h("td", {}, revoke)));
    }
  };

  const act = changeRunner(messages, () => load());

  function removeButton(userId: string, fullName: string): HTMLElement {
    const box = h("span", {});
    const ask = h("button", { type: "button", "aria-label": `Remove ${fullName}` }, "Remove");
    ask.addEventListener("click", () => {
      const yes = h("button", { type: "button", class: "danger", "aria-label": `Confirm: remove ${fullName}` }, "Confirm removal");
      const no = h("button", { type: "button" }, "Cancel");
      yes.addEventListener("click", () => void act(() => send("DELETE", `/accounts/${accountId}/members/${encodeURIComponent(userId)}`),
        `${fullName} is removed; their access has ended.`));
      no.addEventListener("click", () => { box.replaceChildren(ask); ask.focus(); });
      box.replaceChildren(yes, no);
      yes.focus();
    });
    box.append(ask);
    return box;
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const body: Record<string, string> = { email: email.value.trim() };
    if (name.value.trim()) body.fullName = name.value.trim();
    void act(async () => { await send("POST", `/accounts/${accountId}/invitations`, body); form.reset(); },
      `An invitation was sent to ${body.email}.`);
  });

  ctx.main.append(h("h1", {}, "Members"), messages,
    h("table", { class: "grid", id: "members" }, h("caption", {}, "Active members"),
      h("thead", {}, h("tr", {}, ...["Name", "E-mail", "Role", "Last seen", "Private zones", "Track", "Access"].map((t) => h("th", { scope: "col" }, t)))),
      membersBody),
    h("h2", { id: "invite-title" }, "Invite a worker"), form,
    h("table", { class: "grid", id: "invitations" }, h("caption", {}, "Pending invitations"),
      h("thead", {}, h("tr", {}, ...["E-mail", "Name", "Expires", "Revoke"].map((t) => h("th", { scope: "col" }, t)))),
      invitesBody));
  try { await load(); } catch (e) { messages.append(errorBox(e)); }
  return null;
}
