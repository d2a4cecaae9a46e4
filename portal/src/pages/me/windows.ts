// "When I am tracked": the tracking-windows editor (IANA time zone, days, from/to) and a preview of the coming days
// in local time. The preview is the API's answer (POST /me/tracking-schedule/preview, the rule ingest applies,
// clock changes included) laid out by the pure module preview.ts; the page computes no window itself.

import type { TrackingPreview, TrackingSchedule, TrackingScheduleUpdate } from "../../api/client";
import { api, data } from "../../api/typed";
import { h, clear, announce, errorBox } from "../../ui/dom";
import { previewRows } from "./preview";
import { ZONE_LIST_ID } from "./zones";

type Window = TrackingScheduleUpdate["windows"][number];
type Day = Window["days"][number];
const DAYS: Day[] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

function isDay(value: string): value is Day {
  return DAYS.some((d) => d === value);
}

const RESTRICTED = "Tracked only inside these windows.";
const OPEN = "Tracked whenever location is allowed (no windows).";

export function scheduleEditor(current: TrackingSchedule, fallbackZone: string): HTMLElement {
  const zone = h("input", {
    id: "tz",
    list: ZONE_LIST_ID,
    value: current.timeZone ?? fallbackZone,
    required: true,
    autocomplete: "off",
  });
  const rows = h("ol", { class: "windows", id: "windows" });
  const messages = h("div", {});
  let counter = 0;

  const addRow = (w: Window): void => {
    const n = ++counter;
    const start = h("input", { type: "time", id: `w${n}-start`, value: w.start, required: true });
    const end = h("input", {
      type: "time",
      id: `w${n}-end`,
      value: w.end === "24:00" ? "23:59" : w.end,
      required: true,
    });
    const days = DAYS.map((d) => {
      const box = h("input", { type: "checkbox", id: `w${n}-${d}`, value: d, checked: w.days.includes(d) });
      return h("span", { class: "day" }, box, h("label", { for: `w${n}-${d}` }, d));
    });
    const remove = h("button", { type: "button", "aria-label": `Remove window ${n}` }, "Remove");
    const li = h(
      "li",
      { "data-window": n },
      h(
        "fieldset",
        {},
        h("legend", {}, `Window ${n}`),
        ...days,
        h("label", { for: `w${n}-start` }, "From"),
        start,
        h("label", { for: `w${n}-end` }, "to"),
        end,
        remove,
      ),
    );
    remove.addEventListener("click", () => li.remove());
    rows.append(li);
  };
  for (const w of current.windows ?? []) addRow(w);

  const read = (): TrackingScheduleUpdate => ({
    timeZone: zone.value.trim(),
    windows: Array.from(rows.querySelectorAll("li")).map((li) => ({
      days: Array.from(li.querySelectorAll<HTMLInputElement>("input[type=checkbox]:checked"))
        .map((b) => b.value)
        .filter(isDay),
      start: li.querySelector<HTMLInputElement>("input[id$=-start]")?.value ?? "",
      end: li.querySelector<HTMLInputElement>("input[id$=-end]")?.value ?? "",
    })),
  });

  const preview = previewBox(read);
  const state = h("p", { id: "windows-state" }, current.restricted ? RESTRICTED : OPEN);
  const save = h("button", { type: "submit" }, "Save windows");
  const form = h(
    "form",
    { id: "windows-form", "aria-label": "Tracking windows" },
    state,
    h("label", { for: "tz" }, "Time zone"),
    zone,
    h("p", { class: "note", id: "tz-hint" }, "An IANA time zone such as America/Chicago; type to search the list."),
    rows,
    h(
      "button",
      {
        type: "button",
        id: "add-window",
        onclick: () => addRow({ days: ["mon", "tue", "wed", "thu", "fri"], start: "08:00", end: "17:00" }),
      },
      "Add a window",
    ),
    " ",
    save,
    messages,
    preview.element,
  );
  zone.setAttribute("aria-describedby", "tz-hint");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clear(messages);
    try {
      const body = read();
      let restricted = false;
      if (body.windows.length) restricted = data(await api().PUT("/api/me/tracking-schedule", { body })).restricted;
      else await api().DELETE("/api/me/tracking-schedule");
      state.textContent = restricted ? RESTRICTED : OPEN;
      messages.append(h("p", { class: "ok" }, "Saved."));
      announce("Tracking windows saved.");
      await preview.refresh();
    } catch (e) {
      messages.append(errorBox(e));
    }
  });
  void preview.refresh();
  return form;
}

function previewBox(read: () => TrackingScheduleUpdate): { element: HTMLElement; refresh: () => Promise<void> } {
  const from = h("input", { type: "date", id: "preview-start" });
  const output = h("div", { id: "windows-preview", "aria-live": "polite" });
  const refresh = async (): Promise<void> => {
    clear(output);
    const draft = read();
    if (!draft.windows.length) {
      output.append(h("p", {}, "No windows: pings are kept whenever location is allowed."));
      return;
    }
    try {
      const answer = data(
        await api().POST("/api/me/tracking-schedule/preview", {
          body: { ...draft, from: from.value || null, days: 7 },
        }),
      );
      output.append(previewTable(answer));
    } catch (e) {
      output.append(errorBox(e));
    }
  };
  const button = h("button", { type: "button", id: "preview-button", onclick: () => void refresh() }, "Preview 7 days");
  const element = h(
    "fieldset",
    { class: "preview" },
    h("legend", {}, "The coming days in local time (these windows, saved or not)"),
    h("label", { for: "preview-start" }, "Preview starting on (empty: today)"),
    " ",
    from,
    " ",
    button,
    output,
  );
  return { element, refresh };
}

function previewTable(answer: TrackingPreview): HTMLElement {
  const rows = previewRows(answer);
  return h(
    "table",
    { class: "grid", id: "preview-table" },
    h("caption", {}, `Tracked times from ${answer.from} to ${answer.to}, ${answer.timeZone}`),
    h("thead", {}, h("tr", {}, ...["Day", "Tracked", "Clock change"].map((t) => h("th", { scope: "col" }, t)))),
    h(
      "tbody",
      {},
      ...rows.map((r) =>
        h(
          "tr",
          { "data-date": r.date },
          h("th", { scope: "row" }, r.day),
          h(
            "td",
            {},
            r.spans.length ? h("ul", { class: "plain" }, ...r.spans.map((s) => h("li", {}, s))) : "Not tracked",
          ),
          h("td", { class: "clock-change" }, r.change ?? ""),
        ),
      ),
    ),
  );
}
