// Phone widths (styles.css, "Phone"): a table.grid becomes one block per row, each cell labelled by its column's
// header. The labels are copied from the table's thead into data-label on every cell that has none, for every table
// drawn into `root` now or later (pages redraw their tables), so no page has to do it itself.

function labelTable(table: HTMLTableElement): void {
  const heads = Array.from(table.tHead?.rows[0]?.cells ?? []).map((c) => c.textContent?.trim() ?? "");
  if (!heads.length) return;
  for (const body of Array.from(table.tBodies)) {
    for (const row of Array.from(body.rows)) {
      if (row.cells.length !== heads.length) continue; // a "nothing here" row spanning the columns
      Array.from(row.cells).forEach((cell, i) => {
        if (!cell.hasAttribute("data-label")) cell.setAttribute("data-label", heads[i]);
      });
    }
  }
}

function labelAll(root: ParentNode): void {
  root.querySelectorAll<HTMLTableElement>("table.grid").forEach(labelTable);
}

export function labelStackedTables(root: HTMLElement): void {
  labelAll(root);
  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      labelAll(root);
    });
  }).observe(root, { childList: true, subtree: true });
}
