// Sign-in in Azure: MSAL.js, authorization code flow with PKCE, against the issuer whose JWKS the API trusts.
// Loaded only when config.json says auth.mode = "msal"; its cache is sessionStorage.

import { PublicClientApplication, InteractionRequiredAuthError, type AccountInfo } from "@azure/msal-browser";
import { config } from "../config";

let app: PublicClientApplication | null = null;

async function instance(): Promise<PublicClientApplication> {
  if (app) return app;
  const m = config().auth.msal;
  if (!m) throw new Error("config.json: auth.msal is missing");
  app = new PublicClientApplication({
    auth: {
      clientId: m.clientId,
      authority: m.authority,
      knownAuthorities: m.knownAuthorities ?? [],
      redirectUri: m.redirectUri ?? `${location.origin}/`,
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

export async function hasAccount(): Promise<boolean> {
  return account(await instance()) !== null;
}

export async function signIn(): Promise<void> {
  const a = await instance();
  await a.loginRedirect({ scopes: config().auth.msal?.scopes ?? [] });
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
      await a.acquireTokenRedirect({ account: who, scopes });
      return null;
    }
    throw e;
  }
}

export async function signOut(): Promise<void> {
  const a = await instance();
  await a.logoutRedirect({ account: account(a) ?? undefined });
}
