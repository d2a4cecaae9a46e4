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
  map: { style: string | null; pollSeconds?: number };
  /** The billing page's Stripe.js: https://js.stripe.com/v3/ in Azure, localstripe's stand-in locally. */
  stripe?: { jsUrl: string; publishableKey: string };
}

let loaded: PortalConfig | null = null;

export async function loadConfig(): Promise<PortalConfig> {
  const r = await fetch("/config.json", { cache: "no-store" });
  if (!r.ok) throw new Error(`config.json: HTTP ${r.status}`);
  const c = (await r.json()) as PortalConfig;
  if (!c.apiBase || !c.auth || !c.map) throw new Error("config.json lacks apiBase, auth or map");
  loaded = { ...c, apiBase: c.apiBase.replace(/\/$/, "") };
  return loaded;
}

export function config(): PortalConfig {
  if (!loaded) throw new Error("config not loaded");
  return loaded;
}
