// Runtime settings, read from /config.json (written per environment at deploy time, not built in).

export interface MsalSettings {
  clientId: string;
  authority: string;
  knownAuthorities?: string[];
  scopes: string[];
  redirectUri?: string;
}

export interface PortalConfig {
  apiBase: string;
  auth: { mode: "dev" | "msal"; msal?: MsalSettings };
  /** provider "azure-maps": Azure Maps tiles with an Entra token from the API; otherwise `style` (a MapLibre style URL)
   * or, when null, the offline base map shipped with the portal (pages/map/basemap.ts). */
  map: { style: string | null; provider?: "azure-maps" | "offline"; pollSeconds?: number };
  /** The billing page's Stripe.js: https://js.stripe.com/v3/ in Azure, localstripe's stand-in locally. */
  stripe?: { jsUrl: string; publishableKey: string };
}

/** The build for Azure (`npm run portal:build:azure`, Vite mode "azure") signs in with MSAL only: it refuses a
 * config.json that asks for the development sign-in, which exists only on the local stack. */
export const AZURE_BUILD = import.meta.env.MODE === "azure";
export const AZURE_BUILD_REFUSAL = "This build of the portal is for Azure and signs in with MSAL only";

let loaded: PortalConfig | null = null;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The shape checks config.json must pass before the portal trusts it (the rest is read where it is used). */
function isPortalConfig(c: unknown): c is PortalConfig {
  if (!isObject(c) || typeof c.apiBase !== "string" || !c.apiBase || !isObject(c.auth) || !isObject(c.map))
    return false;
  return c.auth.mode === "dev" || c.auth.mode === "msal";
}

export async function loadConfig(): Promise<PortalConfig> {
  const r = await fetch("/config.json", { cache: "no-store" });
  if (!r.ok) throw new Error(`config.json: HTTP ${r.status}`);
  const c: unknown = await r.json();
  if (!isPortalConfig(c)) throw new Error("config.json lacks apiBase, auth (with mode dev or msal) or map");
  if (AZURE_BUILD && (c.auth.mode !== "msal" || !c.auth.msal)) {
    throw new Error(`${AZURE_BUILD_REFUSAL}: config.json must set auth.mode "msal" and auth.msal.`);
  }
  loaded = { ...c, apiBase: c.apiBase.replace(/\/$/, "") };
  return loaded;
}

export function config(): PortalConfig {
  if (!loaded) throw new Error("config not loaded");
  return loaded;
}
