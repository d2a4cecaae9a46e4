// The IANA time-zone picker's suggestions: one <datalist> per page, shared by every time-zone field of /me
// (the browser's own list, Intl.supportedValuesOf("timeZone"); the API validates what is sent).

import { h } from "../../ui/dom";

export const ZONE_LIST_ID = "tz-list";

export function zoneList(): HTMLDataListElement {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return h("datalist", { id: ZONE_LIST_ID }, ...zones.map((z) => h("option", { value: z })));
}
