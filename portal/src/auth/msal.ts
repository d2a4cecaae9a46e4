// Sign-in in Azure: MSAL.js, authorization code flow with PKCE, against the issuer whose JWKS the API trusts.
// Loaded only when config.json says auth.mode = "msal"; its cache is sessionStorage.
//
// Coming back from the sign-in page: the issuer redirects to the registered redirect URI (the site's root), MSAL
// reads the code there and goes on to the page the sign-in started from (`redirectStartPage`, e.g. the e-mailed
// /join?invitation=... link), where the code is redeemed. Tested against a local provider shaped like Entra ID:
// tests/integration/test_portal_msal_browser.py.

import { PublicClientApplication, InteractionRequiredAuthError, type AccountInfo } from "@azure/msal-browser";
import { config } from "../config";

/** Where a sign-in started from the sign-in page returns to (set by pages that send the visitor there). */
export const AFTER_SIGN_IN = "industrack.after";

let ready: Promise<PublicClientApplication> | null = null;

/** The one MSAL instance, with any redirect response handled. Every caller awaits the same promise: the page's
 * first API calls (e.g. the policy banner) and the route run at once, and none may see the cache before the code
 * coming back from the sign-in page is redeemed. */
function instance(): Promise<PublicClientApplication> {
  if (!ready) {
    ready = start();
    ready.catch(() => {
      ready = null;
    }); // a failed start (shown by the caller) is tried again on the next call
  }
  return ready;
}

async function start(): Promise<PublicClientApplication> {
  const m = config().auth.msal;
  if (!m) throw new Error("config.json: auth.msal is missing");
  const redirectUri = m.redirectUri ?? `${location.origin}/`;
  const app = new PublicClientApplication({
    auth: {
      clientId: m.clientId,
      authority: m.authority,
      knownAuthorities: m.knownAuthorities ?? [],
      redirectUri,
      // Back to the registered redirect URI after signing out (the issuer refuses an address not registered, and
      // by the time MSAL asks, the portal has already moved on to /signin).
      postLogoutRedirectUri: redirectUri,
    },
    cache: { cacheLocation: "sessionStorage" },
  });
  await app.initialize();
  const result = await app.handleRedirectPromise(); // back from the sign-in page: the code is redeemed with PKCE
  if (result?.account) app.setActiveAccount(result.account);
  return app;
}

function account(a: PublicClientApplication): AccountInfo | null {
  return a.getActiveAccount() ?? a.getAllAccounts()[0] ?? null;
}

/** A path of this site (never another origin) as an absolute address, else the home page. */
function samePage(path: string | null): string {
  const home = `${location.origin}/`;
  if (!path?.startsWith("/") || path.startsWith("//")) return home;
  const u = new URL(path, location.origin);
  return u.origin === location.origin && u.pathname !== "/signin" ? u.href : home;
}

export async function hasAccount(): Promise<boolean> {
  return account(await instance()) !== null;
}

/** Go to the issuer's sign-in page; afterwards the portal opens `returnTo` (a path of this site), else the page
 * remembered under AFTER_SIGN_IN, else the home page. */
export async function signIn(returnTo?: string): Promise<void> {
  const a = await instance();
  const after = returnTo ?? sessionStorage.getItem(AFTER_SIGN_IN);
  sessionStorage.removeItem(AFTER_SIGN_IN);
  await a.loginRedirect({ scopes: config().auth.msal?.scopes ?? [], redirectStartPage: samePage(after) });
}

export async function acquireToken(): Promise<string | null> {
  const a = await instance();
  const who = account(a);
  if (!who) return null;
  const scopes = config().auth.msal?.scopes ?? [];
  try {
    return (await a.acquireTokenSilent({ account: who, scopes })).accessToken;
  } catch (e) {
    if (e instanceof InteractionRequiredAuthError) {
      await a.acquireTokenRedirect({ account: who, scopes, redirectStartPage: location.href });
      return null;
    }
    throw e;
  }
}

export async function signOut(): Promise<void> {
  const a = await instance();
  await a.logoutRedirect({ account: account(a) ?? undefined });
}
