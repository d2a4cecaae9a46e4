// The portal's shell: load config.json, find out who is signed in, draw the navigation and route by path.

import "./styles.css";
import { loadConfig } from "./config";
import { ApiError, type Me } from "./api/client";
import { api, data } from "./api/typed";
import type { Context, Leave } from "./context";
import { currentToken, isSignedIn, signOut, signedInEmail } from "./auth/session";
import { h, append, clear, errorBox } from "./ui/dom";
import { navigate, onNavigate, currentPath } from "./router";
import { renderSignIn } from "./pages/signin/signin";
import { showPolicyBanner } from "./pages/privacy/banner";
import { renderAdmin, tokenHasAdminRole } from "./pages/admin/admin";
import { startPrivacySignals, pageViewed } from "./privacy/analytics";
import { labelStackedTables } from "./ui/stack";
import { mainNav, type NavLink } from "./ui/nav";

// Each page is its own chunk, loaded when its route is opened: the first visit downloads the shell only (the initial
// JavaScript budget, bench/portal.py), and a page's code arrives with its first use.
const pages = {
  renderJoin: () => import("./pages/join/join").then((m) => m.renderJoin),
  renderLiveMap: () => import("./pages/map/livemap").then((m) => m.renderLiveMap),
  renderMembers: () => import("./pages/members/members").then((m) => m.renderMembers),
  renderDay: () => import("./pages/day/day").then((m) => m.renderDay),
  renderMedia: () => import("./pages/media/media").then((m) => m.renderMedia),
  renderMe: () => import("./pages/me/me").then((m) => m.renderMe),
  renderPrivacy: () => import("./pages/privacy/privacy").then((m) => m.renderPrivacy),
  renderClosure: () => import("./pages/privacy/closure").then((m) => m.renderClosure),
  renderSignup: () => import("./pages/signup/signup").then((m) => m.renderSignup),
  renderBilling: () => import("./pages/billing/billing").then((m) => m.renderBilling),
  renderVerifyEmail: () => import("./pages/verify/verify").then((m) => m.renderVerifyEmail),
  renderUnsubscribe: () => import("./pages/unsubscribe/unsubscribe").then((m) => m.renderUnsubscribe),
  renderZones: () => import("./pages/zones/zones").then((m) => m.renderZones),
  renderFormer: () => import("./pages/former/former").then((m) => m.renderFormer),
  renderSites: () => import("./pages/sites/sites").then((m) => m.renderSites),
  renderTimesheets: () => import("./pages/timesheets/timesheets").then((m) => m.renderTimesheets),
  renderConnect: () => import("./pages/connect/connect").then((m) => m.renderConnect),
  renderDevices: () => import("./pages/devices/devices").then((m) => m.renderDevices),
  renderRetention: () => import("./pages/retention/retention").then((m) => m.renderRetention),
};

let me: Me | null = null;
let accessEnded = false; // signed in, but access to the account ended: only the limited view (pages/former)
let leave: Leave = null;

const TITLES: Record<string, string> = {
  "/map": "Live map",
  "/members": "Members",
  "/media": "Photos and notes",
  "/billing": "Billing",
  "/me": "My data",
  "/me/zones": "My private zones",
  "/me/connect": "Connect my phone",
  "/devices": "Devices",
  "/sites": "Job sites",
  "/timesheets": "Timesheets",
  "/settings/retention": "Retention",
  "/privacy": "Privacy centre",
  "/privacy/close-account": "Close the account",
  "/signin": "Sign in",
  "/signup": "Register your company",
  "/admin": "Platform administration",
  "/join": "Join your team",
  "/verify-email": "Confirm your e-mail address",
  "/unsubscribe": "Unsubscribe",
};

/** The tab's title for what is shown: the page's name, then the product's. */
function title(page: string | undefined): void {
  document.title = page ? `${page} – IndusTrack` : "IndusTrack";
}

function element(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html lacks #${id}`);
  return el;
}

// The nav item a route belongs to, named per route rather than guessed from the path: a member's day view
// (/members/{id}/day) keeps the section it was opened from (the live map or the members list).
let section: string | null = null;
function sectionOf(here: string, hrefs: string[]): string | null {
  if (/^\/members\/[^/]+\/day$/.test(here)) return section === "/map" || section === "/members" ? section : null;
  const page = here === "/" || here === "/signin" ? (hrefs.includes("/map") ? "/map" : "/me") : here;
  section = hrefs.includes(page)
    ? page
    : (hrefs.filter((href) => page.startsWith(`${href}/`)).sort((a, b) => b.length - a.length)[0] ?? null);
  return section;
}

function nav(who: Me | null, admin = false): void {
  const top = element("top");
  clear(top);
  const links: NavLink[] =
    who?.role === "owner"
      ? [
          { href: "/map", text: "Live map", place: "always" },
          { href: "/members", text: "Members", place: "always" },
          { href: "/sites", text: "Job sites", place: "wide" },
          { href: "/timesheets", text: "Timesheets", place: "wide" },
          { href: "/devices", text: "Devices", place: "wide" },
          { href: "/media", text: "Photos and notes", place: "wide" },
          { href: "/me", text: "My data", place: "more" },
          { href: "/me/zones", text: "My private zones", place: "more" },
          { href: "/me/connect", text: "Connect my phone", place: "more" },
          { href: "/settings/retention", text: "Retention", place: "more" },
          { href: "/billing", text: "Billing", place: "more" },
          { href: "/privacy", text: "Privacy", place: "more" },
        ]
      : who
        ? [
            { href: "/me", text: "My data", place: "always" },
            { href: "/me/zones", text: "My private zones", place: "always" },
            { href: "/me/connect", text: "Connect my phone", place: "wide" },
            { href: "/privacy", text: "Privacy", place: "wide" },
          ]
        : [];
  if (admin) links.push({ href: "/admin", text: "Platform admin", place: who ? "more" : "always" });
  const current = sectionOf(
    currentPath(),
    links.map((l) => l.href),
  );
  append(
    top,
    h("span", { class: "brand" }, "IndusTrack"),
    mainNav(links, current),
    who || admin
      ? h(
          "span",
          { class: "who" },
          h("span", { "data-testid": "signed-in-as" }, who?.fullName ?? "Platform administrator"),
          h(
            "button",
            {
              type: "button",
              onclick: () => {
                signOut();
                me = null;
                navigate("/signin");
              },
            },
            "Sign out",
          ),
        )
      : null,
  );
}

async function whoAmI(): Promise<Me | null> {
  if (me) return me;
  if (!(await isSignedIn())) return null;
  if (accessEnded) return null; // known already (e.g. just left the account): no need to ask /me again
  try {
    me = data(await api().GET("/api/me"));
    accessEnded = false;
    return me;
  } catch (e) {
    accessEnded = e instanceof ApiError && e.status === 403 && (e.problemType ?? "").endsWith("/access-ended");
    if (e instanceof ApiError && (e.status === 401 || e.status === 403 || e.status === 404)) return null;
    throw e;
  }
}

async function route(): Promise<void> {
  leave?.();
  leave = null;
  const main = element("main");
  clear(main);
  const path = currentPath();
  const params = new URLSearchParams(location.search);
  title(TITLES[path] ?? (/^\/members\/[^/]+\/day$/.test(path) ? "A member's day" : "Not found"));
  main.setAttribute("aria-busy", "true");
  void showPolicyBanner();
  try {
    if (path === "/join") {
      nav(null);
      leave = await (await pages.renderJoin())(main, params, () => {
        me = null;
      });
      return;
    }
    if (path === "/verify-email" || path === "/unsubscribe") {
      // e-mailed links: no sign-in needed
      nav(null);
      leave = await (await (path === "/unsubscribe" ? pages.renderUnsubscribe() : pages.renderVerifyEmail()))(
        main,
        params,
      );
      return;
    }
    const who = await whoAmI();
    const admin = (await isSignedIn()) && tokenHasAdminRole(await currentToken());
    nav(who, admin);
    if (path === "/signup") {
      leave = await (await pages.renderSignup())(main, await signedInEmail(), who !== null, () => {
        me = null;
      });
      return;
    }
    if ((path === "/admin" && (who || admin)) || (!who && admin)) {
      title(TITLES["/admin"]);
      leave = await renderAdmin(main);
      return;
    }
    if (!who && accessEnded) {
      title("Your access has ended");
      leave = await (await pages.renderFormer())(main, () => {
        signOut();
        me = null;
        accessEnded = false;
        navigate("/signin");
      });
      return;
    }
    if (!who) {
      title(TITLES["/signin"]);
      if (path !== "/signin") sessionStorage.setItem("industrack.after", path + location.search);
      leave = await renderSignIn(main, () => {
        me = null;
        const after = sessionStorage.getItem("industrack.after");
        sessionStorage.removeItem("industrack.after");
        navigate(after && after !== "/signin" ? after : "/");
      });
      return;
    }
    const ctx: Context = { me: who, main, params };
    const owner = who.role === "owner";
    const day = path.match(/^\/members\/([^/]+)\/day$/);
    if (path === "/" || path === "/signin") title(owner ? TITLES["/map"] : TITLES["/me"]);
    if (owner && (path === "/" || path === "/map" || path === "/signin"))
      leave = await (await pages.renderLiveMap())(ctx);
    else if (owner && path === "/members") leave = await (await pages.renderMembers())(ctx);
    else if (owner && day) leave = await (await pages.renderDay())(ctx, decodeURIComponent(day[1]));
    else if (owner && path === "/media") leave = await (await pages.renderMedia())(ctx);
    else if (owner && path === "/sites") leave = await (await pages.renderSites())(ctx);
    else if (owner && path === "/timesheets") leave = await (await pages.renderTimesheets())(ctx);
    else if (owner && path === "/devices") leave = await (await pages.renderDevices())(ctx);
    else if (owner && path === "/billing") leave = await (await pages.renderBilling())(ctx);
    else if (owner && path === "/settings/retention") leave = await (await pages.renderRetention())(ctx);
    else if (path === "/me/zones") leave = await (await pages.renderZones())(ctx);
    else if (path === "/me/connect") leave = await (await pages.renderConnect())(ctx);
    else if (path === "/me" || path === "/" || path === "/signin") leave = await (await pages.renderMe())(ctx);
    else if (path === "/privacy") leave = await (await pages.renderPrivacy())(ctx);
    else if (path === "/privacy/close-account") leave = await (await pages.renderClosure())(ctx);
    else main.append(h("h1", {}, "Not found"), h("p", {}, "There is no such page."));
  } catch (e) {
    main.append(errorBox(e));
  } finally {
    main.removeAttribute("aria-busy");
  }
  main.focus({ preventScroll: true });
}

async function start(): Promise<void> {
  try {
    await loadConfig();
  } catch (e) {
    element("main").append(errorBox(e));
    return;
  }
  labelStackedTables(element("main")); // phone widths: tables as labelled rows (styles.css)
  startPrivacySignals(); // cookies, optional analytics, Global Privacy Control (docs/privacy-signals.md)
  onNavigate(() => void route().then(() => pageViewed(currentPath())));
  await route();
  pageViewed(currentPath());
}

// Leaving the account (pages/privacy) ends access at once: show the limited view without asking /me again.
window.addEventListener("industrack:access-ended", () => {
  me = null;
  accessEnded = true;
  navigate("/");
});

void start();
