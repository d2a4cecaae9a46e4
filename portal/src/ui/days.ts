// Local calendar days in an IANA time zone, as UTC instants (pure: no DOM; the clock only where a default asks).
// A local day is not always 24 hours: the day clocks go forward has 23, the day they go back 25, and in a few zones
// midnight itself is skipped. The day starts at its first instant whose local date is that day.

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall-clock reading at `ms` in `timeZone`, read as if it were UTC (milliseconds since the epoch). */
function wallClock(ms: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
}

/** The zone's offset from UTC at `ms`, in milliseconds (east positive). */
export function offsetMs(ms: number, timeZone: string): number {
  const whole = Math.floor(ms / 1000) * 1000; // the formatter shows whole seconds
  return wallClock(whole, timeZone) - whole;
}

function parseDate(dateIso: string): number {
  const m = DATE.exec(dateIso);
  if (!m) throw new Error(`not a YYYY-MM-DD date: ${dateIso}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

/** YYYY-MM-DD: the local date in `timeZone` at `instant` (a Date, epoch milliseconds or an ISO 8601 string). */
export function localDate(instant: Date | number | string = Date.now(), timeZone: string): string {
  const ms = instant instanceof Date ? instant.getTime() : typeof instant === "string" ? Date.parse(instant) : instant;
  if (Number.isNaN(ms)) throw new Error(`not an instant: ${String(instant)}`);
  return new Date(wallClock(ms, timeZone)).toISOString().slice(0, 10);
}

/** The first instant (epoch ms) of the local day `dateIso` in `timeZone`. */
export function dayStart(dateIso: string, timeZone: string): number {
  const wall = parseDate(dateIso); // local midnight, read as if it were UTC
  // The offset in force at local midnight is the one of the day before or the one of the day after (a zone changes
  // its offset at most once within a day): try both, and keep the earliest instant that falls on the day.
  const candidates = [offsetMs(wall - DAY_MS, timeZone), offsetMs(wall + DAY_MS, timeZone), offsetMs(wall, timeZone)]
    .map((offset) => wall - offset)
    .filter((ms) => localDate(ms, timeZone) === dateIso)
    .sort((a, b) => a - b);
  if (candidates.length) return candidates[0];
  // Midnight skipped (clocks went forward at 00:00): the day starts at the change, found within its first hours.
  let lo = wall - 14 * HOUR_MS - DAY_MS;
  let hi = wall + 14 * HOUR_MS + DAY_MS;
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDate(mid, timeZone) < dateIso) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The calendar date after `dateIso` (YYYY-MM-DD, no time zone involved). */
export function nextDate(dateIso: string, days = 1): string {
  return new Date(parseDate(dateIso) + days * DAY_MS).toISOString().slice(0, 10);
}

export interface DayRange {
  from: string; // the day's first instant, UTC ISO 8601
  to: string; // the next day's first instant (exclusive), UTC ISO 8601
  hours: number; // 24, or 23 / 25 on the days clocks change
}

/** The local day `dateIso` in `timeZone` as a half-open range of UTC instants [from, to). */
export function dayRange(dateIso: string, timeZone: string): DayRange {
  const from = dayStart(dateIso, timeZone);
  const to = dayStart(nextDate(dateIso), timeZone);
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), hours: (to - from) / HOUR_MS };
}
