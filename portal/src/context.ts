// What the shell (main.ts) hands each signed-in page: who is signed in, the element to draw into and the query.
// Its own module so that pages and the shell import it, not each other (no import circle: tests/imports.test.ts).

import type { Me } from "./api/client";

export interface Context {
  me: Me;
  main: HTMLElement;
  params: URLSearchParams;
}

/** What a page's render function returns: how to stop its timers and maps when the person leaves it, or null. */
export type Leave = (() => void) | null;
