// Timesheets (owner): per member and local day, the time on each job site and the distance travelled (trips), with
// totals for the period per member and per site, the server's CSV and a printable view. Every figure is the API's
// (GET /api/accounts/{accountId}/timesheets, at most 31 days): the page adds up its rows and formats them, nothing
// more. Days are each member's own local days.

import type { Context } from "../../context";
import type { components } from "../../api/schema";
import { api, data } from "../../api/typed";
import { h, clear, announce, errorBox } from "../../ui/dom";
import { distanceText, type Units } from "../../ui/format";
import { allMembers } from "../sites/members";
import { durationText } from "./format";

type Sheet = components["schemas"]["Timesheet"];
type Day = components["schemas"]["TimesheetDay"];

/** YYYY-MM-DD of a Date in the browser's own time zone. */
function isoDay(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** Monday of the current week to today (the owner's own calendar). */
export function thisWeek(today = new Date()): { from: string; to: string } {
  const monday = new Date(today);
  monday.setDate(today.getDate() - ((today.getDay() + 6) % 7));
  return { from: isoDay(monday), to: isoDay(today) };
}

export interface Totals {
  key: string;
  label: string;
  seconds: number;
  distance: number;
  days: number;
  visits: number;
}

/** Totals of the period per member (time on sites, distance, days with data) and per site (time, visits). */
export function totals(days: Day[]): { members: Totals[]; sites: Totals[] } {
  const members = new Map<string, Totals>();
  const sites = new Map<string, Totals>();
  for (const d of days) {
    const m = members.get(d.memberId) ?? {
      key: d.memberId,
      label: d.memberName,
      seconds: 0,
      distance: 0,
      days: 0,
      visits: 0,
    };
    m.seconds += d.onSiteSeconds;
    m.distance += d.distanceMeters;
    m.days += 1;
    m.visits += d.sites.reduce((n, s) => n + s.visits, 0);
    members.set(d.memberId, m);
    for (const s of d.sites) {
      const t = sites.get(s.siteId) ?? {
        key: s.siteId,
        label: s.siteName ?? "A deleted site",
        seconds: 0,
        distance: 0,
        days: 0,
        visits: 0,
      };
      t.seconds += s.seconds;
      t.visits += s.visits;
      t.days += 1;
      sites.set(s.siteId, t);
    }
  }
  const byLabel = (a: Totals, b: Totals): number => a.label.localeCompare(b.label);
  return { members: [...members.values()].sort(byLabel), sites: [...sites.values()].sort(byLabel) };
}

export async function renderTimesheets(ctx: Context): Promise<() => void> {
  const accountId = ctx.me.accountId;
  const week = thisWeek();
  const from = h("input", { id: "ts-from", type: "date", value: ctx.params.get("from") ?? week.from, required: true });
  const to = h("input", { id: "ts-to", type: "date", value: ctx.params.get("to") ?? week.to, required: true });
  const member = h("select", { id: "ts-member" }, h("option", { value: "" }, "Every member"));
  const site = h("select", { id: "ts-site" }, h("option", { value: "" }, "Every site"));
  const units = h(
    "select",
    { id: "ts-units" },
    h("option", { value: "metric" }, "Kilometres"),
    h("option", { value: "imperial" }, "Miles"),
  );
  units.value = ctx.me.units;
  const unitsNote = h("span", { id: "ts-units-note", class: "muted" }, "for everyone in the account");
  units.setAttribute("aria-describedby", "ts-units-note");
  const csv = h("button", { type: "button", id: "ts-csv" }, "Download CSV");
  const print = h("button", { type: "button", id: "ts-print" }, "Print");
  const status = h("p", { id: "ts-status", role: "status" }, "Loading the timesheet…");
  const memberBody = h("tbody", {});
  const siteBody = h("tbody", {});
  const dayBody = h("tbody", {});
  const form = h(
    "form",
    { class: "toolbar no-print", id: "ts-filters", "aria-label": "Period and filters" },
    h("label", { for: "ts-from" }, "From"),
    from,
    h("label", { for: "ts-to" }, "to"),
    to,
    h("label", { for: "ts-member" }, "Member"),
    member,
    h("label", { for: "ts-site" }, "Site"),
    site,
    h("label", { for: "ts-units" }, "Distances in"),
    units,
    unitsNote,
    h("button", { type: "submit" }, "Show"),
    csv,
    print,
  );
  const table = (id: string, caption: string, heads: string[], body: HTMLElement): HTMLElement =>
    h(
      "table",
      { class: "grid", id },
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, ...heads.map((t) => h("th", { scope: "col" }, t)))),
      body,
    );
  ctx.main.append(
    h("h1", {}, "Timesheets"),
    h(
      "p",
      { class: "note no-print" },
      "Time on job sites and distance travelled per member and day, in each member's own " +
        "time zone; at most 31 days at a time. A visit still open counts until now.",
    ),
    form,
    status,
    table("ts-members", "Totals per member", ["Member", "Days", "Time on sites", "Visits", "Distance"], memberBody),
    table("ts-sites", "Totals per site", ["Site", "Member-days", "Time", "Visits"], siteBody),
    table("ts-days", "Per member and day", ["Day", "Member", "Time on sites", "Sites", "Trips", "Distance"], dayBody),
  );

  let sheet: Sheet | null = null;
  const query = (): { from: string; to: string; memberId?: string; siteId?: string } => ({
    from: from.value,
    to: to.value,
    memberId: member.value || undefined,
    siteId: site.value || undefined,
  });

  const draw = (): void => {
    if (!sheet) return;
    const u = ctx.me.units;
    const t = totals(sheet.days);
    clear(memberBody);
    clear(siteBody);
    clear(dayBody);
    if (!sheet.days.length) dayBody.append(h("tr", {}, h("td", { colspan: 6 }, "No time recorded in this period.")));
    for (const m of t.members) {
      memberBody.append(
        h(
          "tr",
          {},
          h("th", { scope: "row" }, m.label),
          h("td", {}, String(m.days)),
          h("td", {}, durationText(m.seconds)),
          h("td", {}, String(m.visits)),
          h("td", {}, distanceText(m.distance, u)),
        ),
      );
    }
    for (const s of t.sites) {
      siteBody.append(
        h(
          "tr",
          {},
          h("th", { scope: "row" }, s.label),
          h("td", {}, String(s.days)),
          h("td", {}, durationText(s.seconds)),
          h("td", {}, String(s.visits)),
        ),
      );
    }
    if (!t.sites.length)
      siteBody.append(h("tr", {}, h("td", { colspan: 4 }, "No visits to job sites in this period.")));
    for (const d of sheet.days) {
      const sitesText =
        d.sites.map((s) => `${s.siteName ?? "A deleted site"} (${durationText(s.seconds)})`).join(", ") || "—";
      dayBody.append(
        h(
          "tr",
          { "data-member-id": d.memberId, "data-date": d.date },
          h("td", {}, d.date),
          h("th", { scope: "row" }, d.memberName),
          h("td", {}, durationText(d.onSiteSeconds)),
          h("td", {}, sitesText),
          h("td", {}, String(d.trips.length)),
          h("td", {}, distanceText(d.distanceMeters, u)),
        ),
      );
    }
    const total = t.members.reduce((n, m) => n + m.seconds, 0);
    const n = t.members.length;
    status.textContent = `${sheet.from} to ${sheet.to}: ${n} ${n === 1 ? "member" : "members"}, ${durationText(total)} on sites.`;
  };

  const load = async (): Promise<void> => {
    status.textContent = "Loading the timesheet…";
    try {
      sheet = data(
        await api().GET("/api/accounts/{accountId}/timesheets", { params: { path: { accountId }, query: query() } }),
      );
      history.replaceState(null, "", `${location.pathname}?from=${from.value}&to=${to.value}`);
      draw();
    } catch (e) {
      sheet = null;
      clear(memberBody);
      clear(siteBody);
      clear(dayBody);
      status.replaceChildren(errorBox(e));
    }
  };

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void load();
  });
  // The account's setting (PATCH /api/accounts/{accountId}): the day view, the live map and every member's portal
  // write distances in it. Refused or failed: the select shows the account's units again, with the error.
  units.addEventListener(
    "change",
    () =>
      void (async () => {
        const chosen: Units = units.value === "imperial" ? "imperial" : "metric";
        units.disabled = true;
        try {
          const saved = data(
            await api().PATCH("/api/accounts/{accountId}", {
              params: { path: { accountId } },
              body: { units: chosen },
            }),
          );
          ctx.me.units = saved.units;
          unitsNote.textContent = "for everyone in the account";
          announce(`Distances in ${saved.units === "imperial" ? "miles" : "kilometres"} for everyone in the account.`);
        } catch (e) {
          units.value = ctx.me.units;
          unitsNote.replaceChildren(errorBox(e));
        } finally {
          units.disabled = false;
          draw();
        }
      })(),
  );
  print.addEventListener("click", () => window.print());
  csv.addEventListener(
    "click",
    () =>
      void (async () => {
        try {
          const text = data(
            await api().GET("/api/accounts/{accountId}/timesheets", {
              params: { path: { accountId }, query: query() },
              headers: { Accept: "text/csv" }, // the server's CSV of the same rows
              parseAs: "text",
            }),
          );
          const link = h("a", {
            href: URL.createObjectURL(new Blob([text], { type: "text/csv" })),
            download: `timesheet-${from.value}-${to.value}.csv`,
          });
          document.body.append(link);
          link.click();
          link.remove();
        } catch (e) {
          status.replaceChildren(errorBox(e));
        }
      })(),
  );

  // The filters' choices load beside the sheet: a failure there leaves the sheet usable.
  void allMembers(accountId)
    .then((ms) => member.append(...ms.map((m) => h("option", { value: m.userId }, m.fullName))))
    .catch(() => undefined);
  void api()
    .GET("/api/accounts/{accountId}/job-sites", { params: { path: { accountId }, query: { limit: 1000 } } })
    .then((r) => site.append(...data(r).items.map((s) => h("option", { value: s.siteId }, s.name))))
    .catch(() => undefined);
  await load();
  return () => undefined;
}
