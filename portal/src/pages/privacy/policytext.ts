// The policy's Markdown shown as elements and text nodes only (never parsed as HTML): headings, paragraphs, list
// items and **bold** runs; every other character is shown as it is. Also the line diff's view.

import { h } from "../../ui/dom";
import { diffCounts, diffLines, type DiffLine } from "./linediff";

const CONTEXT = 2; // unchanged lines shown around each change
const HEADINGS: readonly ["h1", "h2", "h3", "h4", "h5", "h6"] = ["h1", "h2", "h3", "h4", "h5", "h6"];

function inline(text: string): (Node | string)[] {
  // "**a** b **c**" -> strong(a), " b ", strong(c); an unmatched "**" stays as typed.
  const parts = text.split("**");
  if (parts.length % 2 === 0) return [text];
  return parts.map((part, i) => (i % 2 === 1 ? h("strong", {}, part) : part));
}

export function policyDocument(markdown: string, headingLevel: 3 | 4 = 3): HTMLElement {
  const box = h("div", { class: "policy-text" });
  const blocks = markdown.replace(/\r\n?/g, "\n").split(/\n\s*\n/);
  for (const raw of blocks) {
    const block = raw.trim();
    if (!block) continue;
    const heading = block.match(/^(#{1,6})\s+(.*)$/s);
    if (heading && !block.includes("\n")) {
      const level = Math.min(6, headingLevel + heading[1].length - 1);
      box.append(h(HEADINGS[level - 1], {}, heading[2]));
    } else if (block.split("\n").every((l) => /^\s*[-*]\s+/.test(l))) {
      box.append(h("ul", {}, ...block.split("\n").map((l) => h("li", {}, ...inline(l.replace(/^\s*[-*]\s+/, ""))))));
    } else {
      box.append(
        h(
          "p",
          {},
          ...inline(
            block
              .split("\n")
              .map((l) => l.trim())
              .join(" "),
          ),
        ),
      );
    }
  }
  return box;
}

/** The changes from `before` to `after`, with a little unchanged context; long unchanged runs are summarised. */
export function diffView(before: string, after: string): HTMLElement {
  const lines = diffLines(before, after);
  const { added, removed } = diffCounts(lines);
  const keep = lines.map(
    (l, i) => l.op !== "same" || lines.slice(Math.max(0, i - CONTEXT), i + CONTEXT + 1).some((n) => n.op !== "same"),
  );
  const list = h("ol", { class: "diff", id: "policy-diff" });
  let skipped = 0;
  const flush = (): void => {
    if (skipped)
      list.append(h("li", { class: "skipped" }, `(${skipped} unchanged ${skipped === 1 ? "line" : "lines"})`));
    skipped = 0;
  };
  lines.forEach((line: DiffLine, i) => {
    if (!keep[i]) {
      skipped++;
      return;
    }
    flush();
    list.append(diffLine(line));
  });
  flush();
  return h(
    "div",
    {},
    h(
      "p",
      { id: "policy-diff-summary" },
      `${added} ${added === 1 ? "line" : "lines"} added, ${removed} ${removed === 1 ? "line" : "lines"} removed.`,
    ),
    list,
  );
}

function diffLine(line: DiffLine): HTMLElement {
  const text = line.text === "" ? "\u00a0" : line.text;
  if (line.op === "added")
    return h(
      "li",
      { class: "added", "data-op": "added" },
      h("span", { class: "sr-only" }, "Added: "),
      h("ins", {}, text),
    );
  if (line.op === "removed")
    return h(
      "li",
      { class: "removed", "data-op": "removed" },
      h("span", { class: "sr-only" }, "Removed: "),
      h("del", {}, text),
    );
  return h("li", { class: "same", "data-op": "same" }, text);
}
