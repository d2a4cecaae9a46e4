// Client-side navigation with the History API; the host rewrites unknown paths to index.html (SPA fallback).

let listener: (() => void) | null = null;

export function currentPath(): string {
  return location.pathname.replace(/\/+$/, "") || "/";
}

export function navigate(to: string): void {
  history.pushState(null, "", to);
  listener?.();
}

export function onNavigate(fn: () => void): void {
  listener = fn;
  window.addEventListener("popstate", fn);
  document.addEventListener("click", (ev) => {
    const a = ev.target instanceof Element ? ev.target.closest("a[data-link]") : null;
    if (
      !(a instanceof HTMLAnchorElement) ||
      ev.defaultPrevented ||
      ev.button !== 0 ||
      ev.metaKey ||
      ev.ctrlKey ||
      ev.shiftKey
    )
      return;
    if (a.origin !== location.origin) return;
    ev.preventDefault();
    navigate(a.pathname + a.search);
  });
}
