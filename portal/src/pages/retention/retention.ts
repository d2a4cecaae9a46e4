// Retention settings (owner): how long the account keeps location history, photos and notes, and the log of who
// looked at whose data, and whether old location history is coarsened. Each setting says what it means and what the
// policy allows (the limits come from the API); a refusal is shown next to the field it names (problem+json).

import type { Context } from "../../context";
import type { components } from "../../api/schema";
import { ApiError } from "../../api/client";
import { api, data } from "../../api/typed";
import { h, clear, announce, errorBox, timeText } from "../../ui/dom";

type Retention = components["schemas"]["RetentionPublic"];
type Key = "locationDays" | "mediaDays" | "accessLogDays" | "coarsenAfterDays";

interface Field {
  key: Key;
  label: string;
  meaning: string;
  optional?: { label: string; meaning: string }; // the setting may be off (null)
  bounds: (l: Retention["limits"]) => [number, number];
}

const FIELDS: Field[] = [
  {
    key: "locationDays",
    label: "Location history",
    meaning:
      "Every position your workers' phones send, their latest position and the visits, stops and trips worked out from them are deleted this many days after the day they were taken.",
    bounds: (l) => [l.locationMinDays, l.locationMaxDays],
  },
  {
    key: "coarsenAfterDays",
    label: "Coarsen location history after",
    meaning:
      "After this many days, each worker's stored positions are reduced to at most one point per 15 minutes, placed at the centre of an area of at least 1 km² — enough for hours worked, not for where exactly someone was. Must be less than the location history setting.",
    optional: { label: "Coarsen old location history", meaning: "Off: positions stay precise until they are deleted." },
    bounds: (l) => [l.coarsenMinDays, l.coarsenMaxDays],
  },
  {
    key: "mediaDays",
    label: "Photos and notes",
    meaning: "Photos and notes your workers send are deleted this many days after they were taken or written.",
    optional: {
      label: "Delete photos and notes after a number of days",
      meaning: "Off: they are kept until someone deletes them.",
    },
    bounds: (l) => [l.mediaMinDays, l.mediaMaxDays],
  },
  {
    key: "accessLogDays",
    label: "Access log",
    meaning:
      "The record of each time someone looked at a worker's location, photos or notes (workers see it under “Who looked at my data”) is kept this many days.",
    bounds: (l) => [l.accessLogMinDays, l.accessLogMaxDays],
  },
];

const nf = new Intl.NumberFormat();

export async function renderRetention(ctx: Context): Promise<null> {
  const accountId = ctx.me.accountId;
  const state = h("div", { "aria-live": "polite" }, h("p", { class: "loading" }, "Loading the retention settings…"));
  ctx.main.append(
    h("h1", {}, "Retention"),
    h(
      "p",
      {},
      "How long this account keeps its workers' data. Shorter settings apply to data already stored: it is deleted within a day of saving.",
    ),
    state,
  );
  let current: Retention;
  try {
    current = data(await api().GET("/api/accounts/{accountId}/retention", { params: { path: { accountId } } }));
  } catch (e) {
    clear(state);
    state.append(errorBox(e));
    return null;
  }
  clear(state);

  const inputs = new Map<Key, HTMLInputElement>();
  const toggles = new Map<Key, HTMLInputElement>();
  const errors = new Map<Key, HTMLElement>();
  const messages = h("div", { "aria-live": "polite" });
  const saved = h("p", { class: "muted", id: "retention-updated" });
  const showSaved = (r: Retention): void => {
    saved.textContent = r.updatedAt ? `Last changed ${timeText(r.updatedAt)}.` : "The defaults apply (never changed).";
  };
  showSaved(current);

  const form = h("form", { class: "retention-form", novalidate: true });
  for (const f of FIELDS) {
    const [low, high] = f.bounds(current.limits);
    const value = current[f.key];
    const id = `retention-${f.key}`;
    const input = h("input", {
      id,
      name: f.key,
      type: "number",
      inputmode: "numeric",
      min: low,
      max: high,
      step: 1,
      value: value ?? "",
      "aria-describedby": `${id}-meaning ${id}-allowed ${id}-error`,
    });
    const error = h("p", { id: `${id}-error`, class: "field-error" });
    inputs.set(f.key, input);
    errors.set(f.key, error);
    const box = h(
      "fieldset",
      { class: "retention-field" },
      h("legend", {}, f.label),
      h("p", { id: `${id}-meaning` }, f.meaning),
      h("p", { id: `${id}-allowed`, class: "muted" }, `Allowed: ${nf.format(low)} to ${nf.format(high)} days.`),
    );
    if (f.optional) {
      const toggle = h("input", { id: `${id}-on`, type: "checkbox", checked: value !== null && value !== undefined });
      toggles.set(f.key, toggle);
      const sync = (): void => {
        input.disabled = !toggle.checked;
        if (toggle.checked && !input.value) input.value = String(low);
      };
      toggle.addEventListener("change", sync);
      sync();
      box.append(
        h("div", { class: "check" }, toggle, h("label", { for: `${id}-on` }, f.optional.label)),
        h("p", { class: "muted" }, f.optional.meaning),
      );
    }
    box.append(
      h(
        "div",
        { class: "days" },
        h("label", { for: id }, "Days", h("span", { class: "sr-only" }, ` (${f.label.toLowerCase()})`)),
        input,
      ),
      error,
    );
    form.append(box);
  }
  const save = h("button", { type: "submit" }, "Save retention settings");
  form.append(save, messages);
  ctx.main.append(saved, form);

  function read(key: Key): number | null | "invalid" {
    const toggle = toggles.get(key);
    if (toggle && !toggle.checked) return null;
    const text = inputs.get(key)?.value.trim() ?? "";
    return /^\d+$/.test(text) ? Number(text) : "invalid";
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    clear(messages);
    for (const e of errors.values()) e.textContent = "";
    for (const i of inputs.values()) i.removeAttribute("aria-invalid");
    const values = new Map(FIELDS.map((f) => [f.key, read(f.key)] as const));
    let bad = false;
    for (const [key, v] of values) {
      if (v === "invalid") {
        markError(key, "Enter a whole number of days.");
        bad = true;
      }
    }
    if (bad) return;
    const number = (key: Key): number | null => {
      const v = values.get(key);
      return typeof v === "number" ? v : null;
    };
    void (async () => {
      save.disabled = true;
      try {
        current = data(
          await api().PUT("/api/accounts/{accountId}/retention", {
            params: { path: { accountId } },
            body: {
              locationDays: number("locationDays"),
              mediaDays: number("mediaDays"),
              accessLogDays: number("accessLogDays"),
              coarsenAfterDays: number("coarsenAfterDays"),
            },
          }),
        );
        showSaved(current);
        messages.append(h("p", { class: "ok" }, "The retention settings are saved."));
        announce("The retention settings are saved.");
      } catch (e) {
        const named =
          e instanceof ApiError ? e.fields.filter((f) => markError(f.field.replace(/^body\./, ""), f.message)) : [];
        if (!named.length) messages.append(errorBox(e));
        else
          messages.append(
            h("p", { class: "error", role: "alert" }, "Nothing was saved: see the message next to the setting."),
          );
      } finally {
        save.disabled = false;
      }
    })();
  });

  function markError(field: string, message: string): boolean {
    const key = FIELDS.find((f) => f.key === field)?.key;
    if (!key) return false;
    const el = errors.get(key);
    if (el) el.textContent = message;
    inputs.get(key)?.setAttribute("aria-invalid", "true");
    return true;
  }
  return null;
}
