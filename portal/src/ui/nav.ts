// The main navigation (issue 30): the pages used every day in the bar, the others under a "More" disclosure, so the
// owner's twelve links fit one line at 1280 px and two links plus "More" fit a phone. A disclosure, not a menu: a
// button with aria-expanded controlling a list of ordinary links (Tab moves through them, Escape closes and returns
// to the button, a click elsewhere closes). A page found under "More" marks the button as where you are.

import { h } from "./dom";

/** Where a link is shown: `always` in the bar; `wide` in the bar, under "More" on a phone; `more` under "More". */
export type Place = "always" | "wide" | "more";
export interface NavLink {
  href: string;
  text: string;
  place: Place;
}

const PANEL_ID = "nav-more";

function link(l: NavLink, current: string | null, className?: string): HTMLLIElement {
  return h(
    "li",
    { class: className },
    h(
      "a",
      {
        href: l.href,
        "data-link": l.href !== "/billing", // Billing is a full page load: its CSP admits Stripe.js
        "aria-current": l.href === current ? "page" : undefined,
      },
      l.text,
    ),
  );
}

function setOpen(button: HTMLButtonElement, panel: HTMLElement, open: boolean): void {
  button.setAttribute("aria-expanded", String(open));
  panel.hidden = !open;
}

let listening = false;

/** Once per page load: a click outside an open disclosure, or Escape, closes it (Escape gives focus back). */
function listen(): void {
  if (listening) return;
  listening = true;
  document.addEventListener("click", (ev) => {
    const button = document.querySelector<HTMLButtonElement>(`button[aria-controls="${PANEL_ID}"]`);
    const panel = document.getElementById(PANEL_ID);
    if (!button || !panel || panel.hidden) return;
    if (ev.target instanceof Node && (button.contains(ev.target) || panel.contains(ev.target))) return;
    setOpen(button, panel, false);
  });
  document.addEventListener("keydown", (ev) => {
    if (ev.key !== "Escape") return;
    const button = document.querySelector<HTMLButtonElement>(`button[aria-controls="${PANEL_ID}"]`);
    const panel = document.getElementById(PANEL_ID);
    if (!button || !panel || panel.hidden) return;
    setOpen(button, panel, false);
    button.focus();
  });
}

/** The `<nav>` for these links; `current` is the href of the section shown (aria-current="page"). */
export function mainNav(links: NavLink[], current: string | null): HTMLElement {
  const bar = links.filter((l) => l.place !== "more");
  const under = links.filter((l) => l.place !== "always");
  const items = bar.map((l) => link(l, current, l.place === "wide" ? "wide-only" : undefined));
  if (under.length) {
    listen();
    const here = under.find((l) => l.href === current);
    // A "wide" page is in the bar on a wide screen: only a phone finds it under More.
    const hereClass = here?.place === "wide" ? " here-phone" : here ? " here" : "";
    // The "wide" links are listed under More on a phone only; with no "more" link, More itself is a phone's only.
    const panel = h(
      "ul",
      { id: PANEL_ID, class: "nav-more", hidden: true },
      ...under.map((l) => link(l, current, l.place === "wide" ? "phone-only" : undefined)),
    );
    const button = h(
      "button",
      {
        type: "button",
        class: `nav-more-button${hereClass}`,
        "aria-expanded": "false",
        "aria-controls": PANEL_ID,
      },
      "More",
      // Where you are, when it is under More (a link's aria-current is only in the closed panel).
      here ? h("span", { class: here.place === "wide" ? "nav-here on-phone" : "nav-here" }, `: ${here.text}`) : null,
    );
    button.addEventListener("click", () => setOpen(button, panel, panel.hidden));
    const onlyPhone = !under.some((l) => l.place === "more");
    items.push(h("li", { class: onlyPhone ? "nav-more-item phone-only" : "nav-more-item" }, button, panel));
  }
  return h("nav", { "aria-label": "Main" }, h("ul", {}, ...items));
}
