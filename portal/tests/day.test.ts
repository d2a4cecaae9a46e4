import { describe, expect, it } from "vitest";
import { insideRing, plural, siteOf } from "../src/pages/day/day";

describe("a stop's place", () => {
  const square = [
    [0, 0],
    [0.01, 0],
    [0.01, 0.01],
    [0, 0.01],
    [0, 0],
  ];
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
