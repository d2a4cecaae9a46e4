// A member's location sharing in words, from the API's `sharing` field (the members page and the live map; the
// state is named by the server's rule, never guessed here). Pure: the unit tests pass the time.

import type { components } from "../api/schema";

export type Sharing = components["schemas"]["SharingPublic"];

const WORDS: Record<Sharing["state"], string> = {
  sharing: "Sharing location",
  "not-asked": "Not asked yet (app not set up)",
  "not-sharing": "Not sharing location",
  "outside-hours": "Outside tracking hours",
  "no-fix": "No fix",
};

/** "12 min", "3 h", "2 d": how long, in the largest whole unit that reads well. */
function span(seconds: number): string {
  const minutes = Math.max(0, Math.floor(seconds / 60));
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.floor(hours / 24)} d`;
}

/** As the server counted it (`noFixMinutes`, as of the answer): the members page. */
export function sharingText(s: Sharing): string {
  if (s.state !== "no-fix") return WORDS[s.state];
  return s.noFixMinutes == null ? "No fix yet" : `No fix for ${span(s.noFixMinutes * 60)}`;
}

/** As of `now` (ms), from the newest fix's time, so a poll answered 304 still counts on: the live map. The owner
 * who never set up the app on their own phone is "not tracked", never "not sharing". */
export function liveSharingText(s: Sharing, lastFix: string | null | undefined, now: number, you: boolean): string {
  if (you && s.state === "not-asked") return "You (not tracked)";
  if (s.state !== "no-fix") return WORDS[s.state];
  return lastFix ? `No fix for ${span((now - new Date(lastFix).getTime()) / 1000)}` : "No fix yet";
}
