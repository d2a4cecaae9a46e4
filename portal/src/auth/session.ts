// Who is signed in. Tokens live in sessionStorage (this tab only, gone when it closes), never in localStorage or
// a URL. Locally a development sign-in asks the local portal server for a token from the development issuer; in
// Azure MSAL.js signs in with the authorization code flow and PKCE (auth/msal.ts).

import { config } from "../config";

const KEY = "industrack.session";

interface DevSession {
  token: string;
  expiresAt: number;
  email: string;
}
export interface DevIdentity {
  sub: string;
  email: string;
  admin?: boolean;
}

function readDev(): DevSession | null {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return null;
  try {
    const s = JSON.parse(raw) as DevSession;
    return s.expiresAt > Date.now() + 30_000 ? s : null;
  } catch {
    return null;
  }
}

export async function currentToken(): Promise<string | null> {
  if (config().auth.mode === "msal") {
    const msal = await import("./msal");
    return msal.acquireToken();
  }
  return readDev()?.token ?? null;
}

export async function isSignedIn(): Promise<boolean> {
  if (config().auth.mode === "msal") {
    const msal = await import("./msal");
    return msal.hasAccount();
  }
  return readDev() !== null;
}

/** The signed-in e-mail address when the session knows it (the development sign-in does), for pre-filling forms. */
export async function signedInEmail(): Promise<string | null> {
  if (config().auth.mode === "msal") return null;
  return readDev()?.email ?? null;
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  if (config().auth.mode === "msal") void import("./msal").then((m) => m.signOut());
}

/** Local only: the portal server mints a development token (it answers only on loopback in APP_ENVIRONMENT=local). */
export async function devSignIn(identity: DevIdentity): Promise<void> {
  const r = await fetch("/dev/token", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(identity),
  });
  if (!r.ok) throw new Error(`The development sign-in is not available here (HTTP ${r.status}).`);
  const body = (await r.json()) as { token: string; expiresIn: number };
  const session: DevSession = {
    token: body.token,
    expiresAt: Date.now() + body.expiresIn * 1000,
    email: identity.email,
  };
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export async function devIdentities(): Promise<DevIdentity[]> {
  const r = await fetch("/dev/identities", { cache: "no-store" });
  return r.ok ? ((await r.json()) as { items: DevIdentity[] }).items : [];
}
