import { describe, expect, it } from "vitest";
import { retryAfterSeconds } from "../src/api/client";

describe("retryAfterSeconds", () => {
  it("reads whole seconds", () => {
    expect(retryAfterSeconds("7")).toBe(7);
    expect(retryAfterSeconds(" 120 ")).toBe(120);
    expect(retryAfterSeconds("0")).toBe(0);
  });

  it("reads an HTTP date as the seconds left until it, rounded up, never below zero", () => {
    const now = Date.parse("2026-12-07T19:00:00Z");
    expect(retryAfterSeconds("Mon, 07 Dec 2026 19:00:30 GMT", now)).toBe(30);
    expect(retryAfterSeconds("Mon, 07 Dec 2026 19:00:30 GMT", now + 500)).toBe(30);
    expect(retryAfterSeconds("Mon, 07 Dec 2026 18:59:00 GMT", now)).toBe(0);
  });

  it("is undefined when absent or unreadable", () => {
    expect(retryAfterSeconds(null)).toBeUndefined();
    expect(retryAfterSeconds("")).toBeUndefined();
    expect(retryAfterSeconds("soon")).toBeUndefined();
    expect(retryAfterSeconds("-5")).toBeUndefined();
  });
});
