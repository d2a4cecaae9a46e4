import { describe, expect, it } from "vitest";
import { dayRange, dayStart, localDate, nextDate } from "../src/ui/days";

describe("dayRange", () => {
  it("is 24 hours on an ordinary day, from local midnight", () => {
    expect(dayRange("2026-06-15", "America/Chicago")).toEqual({
      from: "2026-06-15T05:00:00.000Z",
      to: "2026-06-16T05:00:00.000Z",
      hours: 24,
    });
    expect(dayRange("2026-01-15", "Europe/Berlin")).toEqual({
      from: "2026-01-14T23:00:00.000Z",
      to: "2026-01-15T23:00:00.000Z",
      hours: 24,
    });
  });

  it("is 23 hours the day clocks go forward in Chicago (8 March 2026, 02:00 CST -> 03:00 CDT)", () => {
    expect(dayRange("2026-03-08", "America/Chicago")).toEqual({
      from: "2026-03-08T06:00:00.000Z",
      to: "2026-03-09T05:00:00.000Z",
      hours: 23,
    });
  });

  it("is 25 hours the day clocks go back in Chicago (1 November 2026, 02:00 CDT -> 01:00 CST)", () => {
    expect(dayRange("2026-11-01", "America/Chicago")).toEqual({
      from: "2026-11-01T05:00:00.000Z",
      to: "2026-11-02T06:00:00.000Z",
      hours: 25,
    });
  });

  it("is 23 hours the day clocks go forward in Berlin (29 March 2026, 02:00 CET -> 03:00 CEST)", () => {
    expect(dayRange("2026-03-29", "Europe/Berlin")).toEqual({
      from: "2026-03-28T23:00:00.000Z",
      to: "2026-03-29T22:00:00.000Z",
      hours: 23,
    });
  });

  it("is 25 hours the day clocks go back in Berlin (25 October 2026, 03:00 CEST -> 02:00 CET)", () => {
    expect(dayRange("2026-10-25", "Europe/Berlin")).toEqual({
      from: "2026-10-24T22:00:00.000Z",
      to: "2026-10-25T23:00:00.000Z",
      hours: 25,
    });
  });

  it("the days around a change touch end to start, with no gap or overlap", () => {
    for (const zone of ["America/Chicago", "Europe/Berlin"]) {
      let date = "2026-03-01";
      for (let i = 0; i < 280; i++) {
        const next = nextDate(date);
        expect(dayRange(date, zone).to).toBe(dayRange(next, zone).from);
        date = next;
      }
    }
  });

  it("starts at the change when midnight itself is skipped (Santiago, 6 September 2026, 00:00 -> 01:00)", () => {
    const start = dayStart("2026-09-06", "America/Santiago");
    expect(new Date(start).toISOString()).toBe("2026-09-06T04:00:00.000Z");
    expect(localDate(start, "America/Santiago")).toBe("2026-09-06");
    expect(localDate(start - 1000, "America/Santiago")).toBe("2026-09-05");
  });

  it("refuses what is not a date", () => {
    expect(() => dayRange("8/3/2026", "Europe/Berlin")).toThrow(/YYYY-MM-DD/);
  });
});

describe("localDate", () => {
  it("is the member's date, not the UTC one: 20:30 in Chicago is already tomorrow in UTC", () => {
    const evening = "2026-12-08T02:30:00Z"; // 7 December, 20:30 CST
    expect(localDate(evening, "America/Chicago")).toBe("2026-12-07");
    expect(localDate(evening, "Europe/Berlin")).toBe("2026-12-08");
    expect(localDate(new Date(evening), "UTC")).toBe("2026-12-08");
  });

  it("follows the change of offset on both sides of it", () => {
    expect(localDate("2026-03-08T05:59:59Z", "America/Chicago")).toBe("2026-03-07");
    expect(localDate("2026-03-08T06:00:00Z", "America/Chicago")).toBe("2026-03-08");
    expect(localDate("2026-10-25T22:59:59Z", "Europe/Berlin")).toBe("2026-10-25");
    expect(localDate("2026-10-25T23:00:00Z", "Europe/Berlin")).toBe("2026-10-26");
  });
});
