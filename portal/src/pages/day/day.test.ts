import { describe, expect, it } from "vitest";
import { dayRange, insideRing, plural, siteOf } from "./day";

const hours = (r: { from: string; to: string }): number => (Date.parse(r.to) - Date.parse(r.from)) / 3_600_000;

describe("a member's local day", () => {
  it("is 24 hours on an ordinary day", () => {
    expect(dayRange("2026-07-01", "America/Chicago")).toEqual({ from: "2026-07-01T05:00:00.000Z", to: "2026-07-02T05:00:00.000Z" });
    expect(dayRange("2026-01-15", "Europe/Berlin")).toEqual({ from: "2026-01-14T23:00:00.000Z", to: "2026-01-15T23:00:00.000Z" });
  });
  it("is 23 hours when the clocks go forward", () => {
    const chicago = dayRange("2026-03-08", "America/Chicago");
    expect(chicago.from).toBe("2026-03-08T06:00:00.000Z"); // midnight is still CST
    expect(hours(chicago)).toBe(23);
    const berlin = dayRange("2026-03-29", "Europe/Berlin");
    expect(berlin.from).toBe("2026-03-28T23:00:00.000Z");
    expect(hours(berlin)).toBe(23);
  });
  it("is 25 hours when the clocks go back", () => {
    const chicago = dayRange("2026-11-01", "America/Chicago");
    expect(chicago.from).toBe("2026-11-01T05:00:00.000Z"); // midnight is still CDT
    expect(hours(chicago)).toBe(25);
    expect(hours(dayRange("2026-10-25", "Europe/Berlin"))).toBe(25);
  });
  it("starts each day where the previous one ended", () => {
    expect(dayRange("2026-03-08", "America/Chicago").to).toBe(dayRange("2026-03-09", "America/Chicago").from);
    expect(dayRange("2026-10-24", "Europe/Berlin").to).toBe(dayRange("2026-10-25", "Europe/Berlin").from);
  });
});

describe("a stop's place", () => {
  const square = [[0, 0], [0.01, 0], [0.01, 0.01], [0, 0.01], [0, 0]];
  it("is inside a polygon's ring or not", () => {
    expect(insideRing([0.005, 0.005], square)).toBe(true);
    expect(insideRing([0.015, 0.005], square)).toBe(false);
  });
  it("is named after the job site it lies in, circles included", () => {
    const sites = [
      { name: "Yard", area: { kind: "polygon", geometry: { type: "Polygon", coordinates: [square] } } },
      { name: "Depot", area: { kind: "circle", centre: { latitude: 45, longitude: -93 }, radius: 100 } },
    ] as Parameters<typeof siteOf>[1];
    expect(siteOf([0.002, 0.002], sites)).toBe("Yard");
    expect(siteOf([-93.0005, 45.0003], sites)).toBe("Depot"); // about 50 m from the centre
    expect(siteOf([-93.003, 45], sites)).toBeNull(); // about 240 m away
  });
  it("counts in words", () => {
    expect(plural(1, "stop", "stops")).toBe("1 stop");
    expect(plural(3, "stop", "stops")).toBe("3 stops");
  });
});
