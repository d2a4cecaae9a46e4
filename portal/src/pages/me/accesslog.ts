// The "Who looked at my data" section of my page: the API's coalesced access log (typed client), in sentences
// (accessreads.ts), with its own loading and error state.

import { api, data } from "../../api/typed";
import { errorBox, h } from "../../ui/dom";
import { readLines, sentence } from "./accessreads";

function formatters(timeZone: string): [(iso: string) => string, (iso: string) => string] {
  const withDate = new Intl.DateTimeFormat(undefined, { timeZone, dateStyle: "medium", timeStyle: "short" });
  const clock = new Intl.DateTimeFormat(undefined, { timeZone, timeStyle: "short" });
  return [(iso) => withDate.format(new Date(iso)), (iso) => clock.format(new Date(iso))];
}

/** The section's content: a list filled once the log is read. */
export function accessLogPanel(timeZone: string): HTMLElement {
  const box = h("div", { id: "access-log", "aria-busy": "true" }, h("p", {}, "Loading who looked at your data…"));
  void (async () => {
    try {
      const page = data(await api().GET("/api/me/access-log", { params: { query: { limit: 200 } } }));
      const [when, clock] = formatters(timeZone);
      const lines = readLines(page.items);
      box.replaceChildren(
        lines.length
          ? h(
              "ul",
              { class: "plain", "aria-label": "Reads of my data by others, newest first" },
              ...lines.map((line) => h("li", {}, sentence(line, when, clock))),
            )
          : h("p", {}, "Nobody has looked at your data."),
        h(
          "p",
          { class: "hint" },
          "Reads of the same data by the same person within 10 minutes of each other are" +
            " shown as one line with how many times it was read.",
        ),
      );
    } catch (error) {
      box.replaceChildren(errorBox(error));
    } finally {
      box.removeAttribute("aria-busy");
    }
  })();
  return box;
}
