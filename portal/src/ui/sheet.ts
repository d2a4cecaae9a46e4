// The bottom sheets (the cookie and analytics choice, the privacy-policy notice): fixed to the bottom of the window
// so a first visit's map or page is not pushed below the fold. They sit before <main> in the document, so keyboard
// and screen-reader users meet them first; each is a labelled region with its own heading and a way to dismiss it.
// The page keeps room at its end for the sheets, so nothing is hidden behind them when scrolled to the bottom.

let dock: HTMLElement | null = null;

function keepRoom(): void {
  if (!dock) return;
  const open = Array.from(dock.children).some((c) => c instanceof HTMLElement && !c.hidden);
  // Only real changes are written: the observers below see every write, even of the same value.
  if (dock.hidden !== !open) dock.hidden = !open;
  const room = open ? `${dock.offsetHeight}px` : "";
  if (document.body.style.paddingBottom !== room) document.body.style.paddingBottom = room;
}

/** The dock the sheets live in (made on first use, before #main). */
export function sheetDock(): HTMLElement {
  if (dock?.isConnected) return dock;
  dock = document.createElement("div");
  dock.id = "sheet-dock";
  dock.className = "sheet-dock";
  const main = document.getElementById("main");
  if (main?.parentNode) main.parentNode.insertBefore(dock, main);
  else document.body.append(dock);
  if (typeof ResizeObserver === "function") new ResizeObserver(keepRoom).observe(dock);
  new MutationObserver(keepRoom).observe(dock, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ["hidden"],
  });
  dock.addEventListener("keydown", (ev) => {
    if (ev.key !== "Escape") return;
    const sheet = ev.target instanceof Element ? ev.target.closest<HTMLElement>("[data-sheet]") : null;
    sheet?.querySelector<HTMLButtonElement>("[data-dismiss]")?.click();
  });
  return dock;
}

/** Puts `sheet` in the dock (replacing an earlier one with the same id). */
export function showSheet(sheet: HTMLElement): void {
  sheet.dataset.sheet = "";
  const place = sheetDock();
  const old = sheet.id ? document.getElementById(sheet.id) : null;
  if (old && old !== sheet) old.replaceWith(sheet);
  else if (!sheet.isConnected) place.append(sheet);
  keepRoom();
}
