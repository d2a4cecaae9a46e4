// The one way the portal builds DOM: elements and text nodes only. Nothing here parses HTML, so a name or a note
// holding markup is shown as the characters it is.

import { dateTimeText } from "./format";

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

export function announce(text: string): void {
  const status = document.getElementById("status");
  if (status) status.textContent = text;
}

export function ageText(seconds: number): string {
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

/** Date and time of day in the browser's locale (ui/format.ts), in `timeZone` when given. */
export function timeText(iso: string, timeZone?: string): string {
  return dateTimeText(iso, timeZone);
}

export function errorBox(error: unknown): HTMLElement {
  const text = error instanceof Error ? error.message : String(error);
  return h("p", { class: "error", role: "alert" }, text);
}

/** A page's change runner: clears `messages`, runs the change, then announces `done`, shows it and reloads the page's
 * data; a failure shows its error instead. */
export function changeRunner(
  messages: HTMLElement,
  reload: () => Promise<void>,
): (what: () => Promise<unknown>, done: string) => Promise<void> {
  return async (what, done) => {
    clear(messages);
    try {
      await what();
      announce(done);
      messages.append(h("p", { class: "ok" }, done));
      await reload();
    } catch (e) {
      messages.append(errorBox(e));
    }
  };
}
