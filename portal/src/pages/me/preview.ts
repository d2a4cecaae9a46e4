// Pure (no DOM, no clock, no Intl): the API's windows preview (POST /me/tracking-schedule/preview) as rows of
// text, one per local day. The API decides which instants are tracked, clock changes included; this module only
// reads the local times and UTC offsets written in its RFC 3339 answers, so the page shows what ingest will do.

export interface PreviewSpan {
  start: string;
  end: string;
  minutes: number;
}
export interface PreviewChange {
  at: string;
  offsetBefore: string;
  offsetAfter: string;
}
export interface PreviewAnswer {
  timeZone: string;
  from: string;
  to: string;
  intervals: PreviewSpan[];
  clockChanges: PreviewChange[];
}

export interface PreviewRow {
  date: string; // YYYY-MM-DD, local
  day: string; // "Sun 14 Mar"
  spans: string[]; // "22:00 (UTC−06:00) to 06:00 next day (UTC−05:00), 7 h"
  change: string | null; // "Clocks go from 02:00 to 03:00 (UTC−06:00 → UTC−05:00, 1 h ahead)"
  minutes: number; // real tracked time starting that day
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const STAMP = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

export interface LocalStamp {
  date: string;
  time: string;
  offset: string;
}

/** The local date, wall-clock time and offset written in an RFC 3339 time ("Z" is +00:00). */
export function localParts(iso: string): LocalStamp {
  const m = STAMP.exec(iso);
  if (!m) throw new Error(`not an RFC 3339 local time: ${iso}`);
  return { date: m[1], time: m[2], offset: m[3] === "Z" ? "+00:00" : m[3] };
}

/** "UTC−06:00" with a real minus sign (read as "minus" by screen readers). */
export function utcText(offset: string): string {
  return `UTC${offset.replace("-", "\u2212")}`;
}

export function durationText(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h && m ? `${h} h ${m} min` : h ? `${h} h` : `${m} min`;
}

function offsetMinutes(offset: string): number {
  const sign = offset.startsWith("-") ? -1 : 1;
  const [h, m] = offset.slice(1).split(":").map(Number);
  return sign * (h * 60 + m);
}

/** Calendar arithmetic on YYYY-MM-DD (UTC dates, so no local clock is involved). */
export function addDays(date: string, n: number): string {
  const [y, mo, d] = date.split("-").map(Number);
  return new Date(Date.UTC(y, mo - 1, d + n)).toISOString().slice(0, 10);
}

export function dayLabel(date: string): string {
  const [y, mo, d] = date.split("-").map(Number);
  const dow = new Date(Date.UTC(y, mo - 1, d)).getUTCDay();
  return `${WEEKDAYS[dow]} ${d} ${MONTHS[mo - 1]}`;
}

export function spanText(span: PreviewSpan): string {
  const a = localParts(span.start);
  const b = localParts(span.end);
  const next = b.date !== a.date ? (b.date === addDays(a.date, 1) ? " next day" : ` on ${dayLabel(b.date)}`) : "";
  const times =
    a.offset === b.offset
      ? `${a.time} to ${b.time}${next} (${utcText(a.offset)})`
      : `${a.time} (${utcText(a.offset)}) to ${b.time}${next} (${utcText(b.offset)})`;
  return `${times}, ${durationText(span.minutes)}`;
}

function clockText(minutes: number): string {
  const m = ((minutes % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

/** "Clocks go from 02:00 to 03:00 (UTC−06:00 → UTC−05:00, 1 h ahead)". */
export function changeText(change: PreviewChange): string {
  const at = localParts(change.at);
  const shift = offsetMinutes(change.offsetAfter) - offsetMinutes(change.offsetBefore);
  const [h, m] = at.time.split(":").map(Number);
  const before = clockText(h * 60 + m - shift);
  const direction = shift > 0 ? `${durationText(shift)} ahead` : `${durationText(-shift)} back`;
  return `Clocks go from ${before} to ${at.time} (${utcText(change.offsetBefore)} \u2192 ${utcText(change.offsetAfter)}, ${direction})`;
}

/** One row per local day from `from` to `to`; each span is listed on the day it starts. */
export function previewRows(answer: PreviewAnswer): PreviewRow[] {
  const rows: PreviewRow[] = [];
  for (let date = answer.from; date <= answer.to; date = addDays(date, 1)) {
    const spans = answer.intervals.filter((s) => localParts(s.start).date === date);
    const changes = answer.clockChanges.filter((c) => localParts(c.at).date === date);
    rows.push({
      date,
      day: dayLabel(date),
      spans: spans.map(spanText),
      change: changes.length ? changes.map(changeText).join("; ") : null,
      minutes: spans.reduce((total, s) => total + s.minutes, 0),
    });
  }
  return rows;
}
