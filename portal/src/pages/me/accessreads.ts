// Who looked at my data, in words (pure, no imports: tests/unit/test_portal_access_reads.py runs it in Node). The
// API stores one entry per viewer, kind of data and 10-minute window (first read, last read, count); here the
// consecutive windows of one viewer and kind join into one line: "Ada Owner viewed your location on the live map,
// 14:02–14:55, 12 times".

export interface Read {
  viewerUserId: string;
  viewerName: string | null;
  viewerRole: string;
  data: string;
  resourceId: string | null;
  at: string;
  lastAt: string;
  count: number;
}

export interface ReadLine {
  viewer: string;
  what: string;
  first: string; // ISO times of the first and last read of the joined windows
  last: string;
  count: number;
}

/** Windows of one viewer and kind whose reads are at most this far apart join into one line. */
export const JOIN_GAP_MS = 10 * 60 * 1000;

const WHAT: Record<string, [string, string]> = {
  // kind: [what a read of the list is, what a read of one item is]
  "latest-positions": ["your location on the live map", "your location on the live map"],
  "location-track": ["your location history (track)", "your location history (track)"],
  photo: ["your photos", "one of your photos"],
  note: ["your notes", "one of your notes"],
  visits: ["your job-site visits and timesheet", "your job-site visits and timesheet"],
};

/** The words for a kind of data read (an unknown kind, from a newer server, reads as "your data"). */
export function whatWasRead(data: string, resourceId: string | null): string {
  const words = WHAT[data];
  if (!words) return "your data";
  return resourceId ? words[1] : words[0];
}

function viewerOf(read: Read): string {
  const name = read.viewerName ?? "Someone no longer in the account";
  return read.viewerRole === "owner" ? `${name} (Account Owner)` : name;
}

/** Entries newest first (as the API answers) to lines newest first: a line joins the older windows of the same
 * viewer, kind and item whose last read is within JOIN_GAP_MS of the line's first read. */
export function readLines(reads: Read[]): ReadLine[] {
  const lines: (ReadLine & { key: string })[] = [];
  for (const read of reads) {
    const key = [read.viewerUserId, read.data, read.resourceId ?? ""].join("\u0000");
    const open = lines.find(
      (l) =>
        l.key === key &&
        Date.parse(l.first) - Date.parse(read.lastAt) <= JOIN_GAP_MS &&
        Date.parse(read.at) <= Date.parse(l.first),
    );
    if (open) {
      open.first = read.at;
      open.count += read.count;
      if (Date.parse(read.lastAt) > Date.parse(open.last)) open.last = read.lastAt;
      continue;
    }
    lines.push({
      key,
      viewer: viewerOf(read),
      what: whatWasRead(read.data, read.resourceId),
      first: read.at,
      last: read.lastAt,
      count: read.count,
    });
  }
  return lines.map(({ key: _key, ...line }) => line);
}

/** "Ada Owner (Account Owner) viewed your location on the live map, 7 Dec 2026, 14:02–14:55, 12 times". `when`
 * formats a time with its date, `clock` without. */
export function sentence(line: ReadLine, when: (iso: string) => string, clock: (iso: string) => string): string {
  const sameMinute = clock(line.first) === clock(line.last) && when(line.first) === when(line.last);
  const sameDay = when(line.first).replace(clock(line.first), "") === when(line.last).replace(clock(line.last), "");
  const span = sameMinute ? when(line.first) : `${when(line.first)}–${sameDay ? clock(line.last) : when(line.last)}`;
  const times = line.count === 1 ? "once" : `${line.count} times`;
  return `${line.viewer} viewed ${line.what}, ${span}, ${times}`;
}
