// A page section that loads on its own: "Loading ..." while its request runs, its content when it answers, and its
// own error with "Try again" when it fails, so one failed request never blanks the rest of the page.

import { clear, errorBox, h } from "./dom";

type Content = Node | string | null | (Node | string | null)[];

/** Fills `box` with what `load` returns; returns whether it loaded. `box` gets aria-busy while loading. */
export async function fillSection(box: HTMLElement, what: string, load: () => Promise<Content>): Promise<boolean> {
  clear(box);
  box.setAttribute("aria-busy", "true");
  box.append(h("p", { class: "loading", "data-loading": "" }, `Loading ${what}…`));
  try {
    const content = await load();
    clear(box);
    for (const part of Array.isArray(content) ? content : [content]) if (part !== null) box.append(part);
    return true;
  } catch (e) {
    clear(box);
    const again = h("button", { type: "button", class: "secondary" }, "Try again");
    again.addEventListener("click", () => void fillSection(box, what, load));
    box.append(h("div", { class: "section-error", "data-section-error": "" }, errorBox(e), again));
    return false;
  } finally {
    box.removeAttribute("aria-busy");
  }
}

/** A titled section whose body loads by itself (fillSection); the heading shows at once. */
export function loadingSection(
  id: string,
  title: string,
  what: string,
  load: () => Promise<Content>,
  headingAttrs: Record<string, string | number> = {},
): HTMLElement {
  const body = h("div", { class: "section-body" });
  void fillSection(body, what, load);
  return h("section", { "aria-labelledby": id }, h("h2", { id, ...headingAttrs }, title), body);
}
