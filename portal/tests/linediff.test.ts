import { describe, expect, it } from "vitest";
import { type DiffLine, diffCounts, diffLines, splitLines } from "../src/pages/privacy/linediff";

const BEFORE = "# Policy\nA\nB\nC\nD\n";
const AFTER = "# Policy\nA\nB2\nC\nD\nE\n";

const ops = (lines: DiffLine[]): [string, string][] => lines.map((l) => [l.op, l.text]);

describe("diffLines", () => {
  it("keeps an unchanged text as it is", () => {
    expect(ops(diffLines(BEFORE, BEFORE))).toEqual(["# Policy", "A", "B", "C", "D"].map((t) => ["same", t]));
  });

  it("shows the lines removed and added, the rest kept in order", () => {
    expect(ops(diffLines(BEFORE, AFTER))).toEqual([
      ["same", "# Policy"],
      ["same", "A"],
      ["removed", "B"],
      ["added", "B2"],
      ["same", "C"],
      ["same", "D"],
      ["added", "E"],
    ]);
    expect(diffCounts(diffLines(BEFORE, AFTER))).toEqual({ added: 2, removed: 1 });
  });

  it("treats CRLF as LF and an emptied text as one empty line", () => {
    expect(ops(diffLines("x\r\ny\r\n", "x\ny\n"))).toEqual([
      ["same", "x"],
      ["same", "y"],
    ]);
    expect(diffLines(BEFORE, "").map((l) => l.op)).toEqual([...Array(5).fill("removed"), "added"]);
    expect(splitLines("")).toEqual([""]);
  });

  it("keeps markup as text", () => {
    expect(ops(diffLines("a", "<script>alert(1)</script>\na"))).toEqual([
      ["added", "<script>alert(1)</script>"],
      ["same", "a"],
    ]);
  });

  it("rebuilds both texts and finds the longest common run in a long text", () => {
    const before = Array.from({ length: 200 }, (_, i) => `line ${i}`).join("\n");
    const after = Array.from({ length: 230 }, (_, i) => i)
      .filter((i) => i % 41)
      .map((i) => (i % 17 ? `line ${i}` : `changed ${i}`))
      .join("\n");
    const lines = diffLines(before, after);
    expect(
      lines
        .filter((l) => l.op !== "added")
        .map((l) => l.text)
        .join("\n"),
    ).toBe(before);
    expect(
      lines
        .filter((l) => l.op !== "removed")
        .map((l) => l.text)
        .join("\n"),
    ).toBe(after);
    expect(lines.filter((l) => l.op === "same").length).toBeGreaterThanOrEqual(150);
  });
});
