import { describe, expect, it } from "vitest";
import { clockText, dateText, dateTimeText, defaultUnits, distanceText, moneyText, numberText } from "../src/ui/format";
import { liveSharingText, type Sharing, sharingText } from "../src/ui/sharing";

const AT = "2026-12-08T15:44:40.477898+00:00";

describe("dates and times", () => {
  it("follow the locale they are given", () => {
    expect(dateTimeText(AT, "UTC", "en-GB")).toBe("8 Dec 2026, 15:44");
    expect(dateTimeText(AT, "UTC", "en-US")).toMatch(/^Dec 8, 2026, 3:44\s?PM$/);
    expect(dateTimeText(AT, "UTC", "de-DE")).toBe("08.12.2026, 15:44");
    expect(dateText(AT, "UTC", "en-GB")).toBe("8 December 2026");
    expect(clockText(AT, "UTC", "en-GB")).toBe("15:44");
  });

  it("are shown in the time zone they are given", () => {
    expect(dateTimeText(AT, "America/Chicago", "en-GB")).toBe("8 Dec 2026, 09:44");
    expect(dateText("2026-12-08T02:30:00Z", "America/Chicago", "en-GB")).toBe("7 December 2026");
  });

  it("follow the browser's languages when no locale is given", () => {
    const before = Object.getOwnPropertyDescriptor(globalThis, "navigator");
    Object.defineProperty(globalThis, "navigator", { value: { languages: ["de-DE", "en"] }, configurable: true });
    try {
      expect(dateTimeText(AT, "UTC")).toBe("08.12.2026, 15:44");
      expect(numberText(1234.5)).toBe("1.234,5");
    } finally {
      if (before) Object.defineProperty(globalThis, "navigator", before);
      else Reflect.deleteProperty(globalThis, "navigator");
    }
  });
});

describe("numbers and money", () => {
  it("group and separate as the locale does", () => {
    expect(numberText(1234.56, "en-US")).toBe("1,234.6");
    expect(numberText(1234.56, "de-DE")).toBe("1.234,6");
  });

  it("read a price in the currency's minor unit", () => {
    expect(moneyText(4900, "usd", "en-US")).toBe("$49.00");
    expect(moneyText(4900, "EUR", "de-DE")).toBe("49,00\u00a0€");
    expect(moneyText(4900, "JPY", "en-US")).toBe("¥4,900");
  });
});

describe("distances", () => {
  it("are metres and kilometres in metric", () => {
    expect(distanceText(850.4, "metric", "en-GB")).toBe("850 m");
    expect(distanceText(12_345, "metric", "en-GB")).toBe("12 km");
    expect(distanceText(2_345, "metric", "de-DE")).toBe("2,3 km");
  });

  it("are feet and miles in imperial", () => {
    expect(distanceText(100, "imperial", "en-US")).toBe("328 ft");
    expect(distanceText(12_230, "imperial", "en-US")).toBe("7.6 mi");
    expect(distanceText(40_000, "imperial", "en-US")).toBe("25 mi");
  });

  it("default to the units of the locale's region", () => {
    expect(defaultUnits("en-US")).toBe("imperial");
    expect(defaultUnits("en")).toBe("imperial"); // "en" is most likely the United States
    expect(defaultUnits("de-DE")).toBe("metric");
    expect(defaultUnits("fr-CA")).toBe("metric");
  });
});

describe("sharing states in words", () => {
  const now = Date.parse("2026-12-07T15:00:00Z");
  const state = (s: Sharing["state"], noFixMinutes: number | null = null): Sharing => ({
    state: s,
    since: "2026-12-01T08:00:00Z",
    noFixMinutes,
  });

  it("count the minutes without a fix from the newest fix, so a 304 still counts on", () => {
    expect(liveSharingText(state("no-fix", 15), "2026-12-07T14:35:00Z", now, false)).toBe("No fix for 25 min");
    expect(liveSharingText(state("no-fix", 15), "2026-12-07T09:00:00Z", now, false)).toBe("No fix for 6 h");
    expect(liveSharingText(state("no-fix"), null, now, false)).toBe("No fix yet");
    expect(sharingText(state("no-fix", 90))).toBe("No fix for 90 min");
  });

  it("name the other states, and never call the owner without the app 'not sharing'", () => {
    expect(liveSharingText(state("outside-hours"), "2026-12-07T14:35:00Z", now, false)).toBe("Outside tracking hours");
    expect(liveSharingText(state("not-sharing"), null, now, false)).toBe("Not sharing location");
    expect(liveSharingText(state("not-asked"), null, now, true)).toBe("You (not tracked)");
    expect(liveSharingText(state("not-asked"), null, now, false)).toBe("Not asked yet (app not set up)");
    expect(sharingText(state("sharing"))).toBe("Sharing location");
  });
});
