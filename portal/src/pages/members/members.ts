// Members (owner), built for 1,000 workers: one request answers a page of members with their last position, sharing
// state and private-zone count (GET /api/accounts/{id}/member-overview, searched, sorted and paged by the server),
// and on load the pending invitations with it. Inviting, revoking and removing change the rows in place; nothing is reloaded.
// The API enforces every rule (owner only, the owner cannot be removed).

import type { Context } from "../../context";
import type { components } from "../../api/schema";
import { api, data } from "../../api/typed";
import { h, clear, ageText, announce, errorBox, timeText } from "../../ui/dom";
import { sharingText } from "../../ui/sharing";

type Row = components["schemas"]["MemberRowPublic"];
type Invitation = components["schemas"]["InvitationPublic"];
type Sort = "name" | "lastSeen";

const PAGE = 50;
const SEARCH_DELAY_MS = 250;

function placeText(row: Row): string {
  const seen = row.lastSeen;
  if (!seen) return "";
  if (seen.inPrivateZone || !seen.place) return "In a private zone";
  if (seen.place.siteName) return `At ${seen.place.siteName}`;
  const fmt = new Intl.NumberFormat(undefined, { minimumFractionDigits: 3, maximumFractionDigits: 3 });
  return `Near ${fmt.format(seen.place.latitude)}, ${fmt.format(seen.place.longitude)}`;
}

function section(title: string, id: string): { box: HTMLElement; state: HTMLElement } {
  const state = h("div", { class: "section-state", "aria-live": "polite" });
  const box = h("section", { class: "members-section", "aria-labelledby": id }, h("h2", { id }, title), state);
  return { box, state };
}

export async function renderMembers(ctx: Context): Promise<() => void> {
  const accountId = ctx.me.accountId;
  const path = { accountId };
  let sort: Sort = "name";
  let query = "";
  let next: string | null = null;
  let generation = 0; // a newer search or sort makes the answers of older ones stale
  let searchTimer: number | undefined;
  let shown = 0;

  // ---- invite (above the list)
  const invite = section("Invite a worker", "invite-title");
  const email = h("input", { id: "invite-email", type: "email", required: true, autocomplete: "off" });
  const name = h("input", { id: "invite-name", autocomplete: "off" });
  const inviteButton = h("button", { type: "submit" }, "Send invitation");
  const form = h(
    "form",
    { class: "inline invite-form", "aria-labelledby": "invite-title" },
    h("label", { for: "invite-email" }, "E-mail"),
    email,
    h("label", { for: "invite-name" }, "Name (optional)"),
    name,
    inviteButton,
  );
  invite.box.append(form);

  // ---- pending invitations
  const pending = section("Pending invitations", "invitations-title");
  const invitesBody = h("tbody", {});
  const invitesTable = h(
    "table",
    { class: "grid stack", id: "invitations" },
    h("caption", { class: "sr-only" }, "Pending invitations"),
    h("thead", {}, h("tr", {}, ...["E-mail", "Name", "Expires", "Revoke"].map((t) => h("th", { scope: "col" }, t)))),
    invitesBody,
  );
  pending.box.append(invitesTable);

  // ---- members
  const list = section("Active members", "members-title");
  const search = h("input", {
    id: "member-search",
    type: "search",
    autocomplete: "off",
    placeholder: "Name or e-mail",
  });
  const sortSelect = h(
    "select",
    { id: "member-sort" },
    h("option", { value: "name" }, "Name (A to Z)"),
    h("option", { value: "lastSeen" }, "Last seen (newest first)"),
  );
  const count = h("p", { class: "muted", id: "members-count", "aria-live": "polite" });
  const membersBody = h("tbody", {});
  const table = h(
    "table",
    { class: "grid stack", id: "members", "aria-describedby": "members-count" },
    h("caption", { class: "sr-only" }, "Active members"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ...["Name", "Last seen", "Location sharing", "Private zones", "Actions"].map((t) =>
          h("th", { scope: "col" }, t),
        ),
      ),
    ),
    membersBody,
  );
  const more = h("button", { type: "button", id: "members-more", hidden: true }, "Show more");
  list.box.append(
    h(
      "div",
      { class: "members-tools", role: "search" },
      h("label", { for: "member-search" }, "Search"),
      search,
      h("label", { for: "member-sort" }, "Sort by"),
      sortSelect,
    ),
    count,
    table,
    more,
  );

  const messages = h("div", { class: "members-messages" });
  ctx.main.append(h("h1", {}, "Members"), messages, invite.box, pending.box, list.box);

  function say(text: string): void {
    clear(messages);
    messages.append(h("p", { class: "ok" }, text));
    announce(text);
  }
  function fail(where: HTMLElement, e: unknown): void {
    clear(where);
    where.append(errorBox(e));
  }
  function updateCount(): void {
    count.textContent = `${shown} member${shown === 1 ? "" : "s"} shown${next ? " (more below)" : ""}${query ? ` matching “${query}”` : ""}.`;
  }

  // ---- member rows
  function memberRow(m: Row): HTMLTableRowElement {
    const seen = m.lastSeen;
    const tr = h("tr", { "data-user-id": m.userId });
    const actions = h("td", { "data-label": "Actions" });
    if (m.role === "owner") actions.append(h("span", { class: "muted" }, "Account Owner"));
    else actions.append(rowMenu(m, tr));
    tr.append(
      h(
        "th",
        { scope: "row", "data-label": "Name" },
        h("span", { class: "member-name" }, m.fullName),
        h("br", {}),
        h("span", { class: "muted" }, m.email),
      ),
      h(
        "td",
        { "data-label": "Last seen" },
        seen
          ? h("span", {}, ageText(seen.ageSeconds), h("br", {}), h("span", { class: "muted" }, placeText(m)))
          : "Never",
      ),
      h(
        "td",
        { "data-label": "Location sharing", class: `sharing sharing-${m.sharing.state}` },
        sharingText(m.sharing),
      ),
      h("td", { "data-label": "Private zones", class: "zone-count" }, String(m.privateZones)),
      actions,
    );
    return tr;
  }

  function rowMenu(m: Row, tr: HTMLTableRowElement): HTMLElement {
    const panelId = `member-actions-${m.userId}`;
    const toggle = h(
      "button",
      { type: "button", class: "secondary", "aria-expanded": "false", "aria-controls": panelId },
      "More",
      h("span", { class: "sr-only" }, ` actions for ${m.fullName}`),
    );
    const panel = h("div", { id: panelId, class: "row-menu", hidden: true });
    const close = (): void => {
      panel.hidden = true;
      toggle.setAttribute("aria-expanded", "false");
    };
    toggle.addEventListener("click", () => {
      const open = panel.hidden;
      panel.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
      if (open) showMenu();
    });
    const showMenu = (): void => {
      const ask = h("button", { type: "button", class: "danger-outline" }, "Remove from account…");
      ask.addEventListener("click", () => confirmRemove());
      panel.replaceChildren(ask);
    };
    const confirmRemove = (): void => {
      const yes = h("button", { type: "button", class: "danger" }, `Remove ${m.fullName}`);
      const no = h("button", { type: "button" }, "Cancel");
      const error = h("div", {});
      yes.addEventListener(
        "click",
        () =>
          void (async () => {
            yes.disabled = true;
            try {
              await api().DELETE("/api/accounts/{accountId}/members/{userId}", {
                params: { path: { accountId, userId: m.userId } },
              });
              tr.remove();
              shown -= 1;
              updateCount();
              say(`${m.fullName} is removed; their access has ended.`);
              search.focus();
            } catch (e) {
              yes.disabled = false;
              fail(error, e);
            }
          })(),
      );
      no.addEventListener("click", () => {
        close();
        toggle.focus();
      });
      panel.replaceChildren(
        h("p", {}, `Remove ${m.fullName}? Their access ends at once; their data follows the retention settings.`),
        yes,
        no,
        error,
      );
      yes.focus();
    };
    return h(
      "div",
      { class: "row-actions" },
      h(
        "a",
        { href: `/members/${encodeURIComponent(m.userId)}/day`, "data-link": true },
        "Day view",
        h("span", { class: "sr-only" }, ` of ${m.fullName}`),
      ),
      " ",
      toggle,
      panel,
    );
  }

  async function loadMembers(append: boolean, withInvitations = false): Promise<void> {
    const mine = ++generation;
    if (!append) {
      clear(membersBody);
      shown = 0;
      next = null;
    }
    clear(list.state);
    list.state.append(h("p", { class: "loading" }, append ? "Loading more members…" : "Loading members…"));
    table.setAttribute("aria-busy", "true");
    more.disabled = true;
    try {
      const page = data(
        await api().GET("/api/accounts/{accountId}/member-overview", {
          params: {
            path,
            query: {
              sort,
              limit: PAGE,
              ...(query ? { q: query } : {}),
              ...(append && next ? { continuation: next } : {}),
              ...(withInvitations ? { invitations: true } : {}),
            },
          },
        }),
      );
      if (withInvitations) {
        // the pending invitations came with the first page (one request for the whole page); beyond the answer's
        // limit they are listed by their own endpoint
        if (page.invitations && page.invitationsComplete) showInvitations(page.invitations);
        else void loadInvitations();
      }
      if (mine !== generation) return; // a newer search or sort answered meanwhile
      clear(list.state);
      membersBody.append(...page.items.map(memberRow));
      shown += page.items.length;
      next = page.continuation ?? null;
      more.hidden = next === null;
      if (!shown && !next) list.state.append(h("p", {}, query ? "No member matches this search." : "No members yet."));
      updateCount();
    } catch (e) {
      if (mine === generation) fail(list.state, e);
      if (withInvitations) fail(pending.state, e);
    } finally {
      if (mine === generation) {
        table.removeAttribute("aria-busy");
        more.disabled = false;
      }
    }
  }

  // ---- invitation rows
  function inviteRow(i: Invitation, fullName: string | null | undefined): HTMLTableRowElement {
    const tr = h("tr", { "data-invitation-id": i.invitationId });
    const revoke = h("button", { type: "button", "aria-label": `Revoke the invitation to ${i.email}` }, "Revoke");
    revoke.addEventListener(
      "click",
      () =>
        void (async () => {
          revoke.disabled = true;
          try {
            await api().DELETE("/api/accounts/{accountId}/invitations/{invitationId}", {
              params: { path: { accountId, invitationId: i.invitationId } },
            });
            tr.remove();
            if (!invitesBody.querySelector("tr[data-invitation-id]")) showNoInvitations();
            say(`The invitation to ${i.email} is revoked.`);
          } catch (e) {
            revoke.disabled = false;
            fail(messages, e);
          }
        })(),
    );
    tr.append(
      h("th", { scope: "row", "data-label": "E-mail" }, i.email),
      h("td", { "data-label": "Name" }, fullName ?? ""),
      h("td", { "data-label": "Expires" }, timeText(i.expiresAt)),
      h("td", { "data-label": "Revoke" }, revoke),
    );
    return tr;
  }
  function showNoInvitations(): void {
    clear(invitesBody);
    invitesBody.append(h("tr", { class: "empty" }, h("td", { colspan: 4 }, "No pending invitations.")));
  }

  function showInvitations(items: Invitation[]): void {
    clear(pending.state);
    clear(invitesBody);
    if (!items.length) showNoInvitations();
    for (const i of items) invitesBody.append(inviteRow(i, i.fullName));
  }

  async function loadInvitations(): Promise<void> {
    try {
      showInvitations(data(await api().GET("/api/accounts/{accountId}/invitations", { params: { path } })).items);
    } catch (e) {
      fail(pending.state, e);
    }
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const address = email.value.trim();
    const fullName = name.value.trim() || undefined;
    void (async () => {
      inviteButton.disabled = true;
      clear(invite.state);
      try {
        const created = data(
          await api().POST("/api/accounts/{accountId}/invitations", {
            params: { path },
            body: { email: address, fullName: fullName ?? null },
          }),
        );
        invitesBody.querySelector("tr.empty")?.remove();
        invitesBody.prepend(inviteRow(created, fullName));
        form.reset();
        say(`An invitation was sent to ${created.email}.`);
      } catch (e) {
        fail(invite.state, e);
      } finally {
        inviteButton.disabled = false;
      }
    })();
  });

  search.addEventListener("input", () => {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(() => {
      const value = search.value.trim();
      if (value === query) return;
      query = value;
      void loadMembers(false);
    }, SEARCH_DELAY_MS);
  });
  sortSelect.addEventListener("change", () => {
    sort = sortSelect.value === "lastSeen" ? "lastSeen" : "name";
    void loadMembers(false);
  });
  more.addEventListener("click", () => void loadMembers(true));

  pending.state.append(h("p", { class: "loading" }, "Loading invitations…"));
  await loadMembers(false, true); // one request: the first page of members and the pending invitations
  return () => {
    window.clearTimeout(searchTimer);
    generation += 1;
  };
}
