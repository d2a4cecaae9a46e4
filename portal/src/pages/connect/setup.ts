// What each supported tracking app needs to send to the API (docs/devices.md, README "Use an existing app today"):
// the ingest URL of its protocol, how it carries the device token, and the one-tap link where the app documents
// one. Pure functions of (API base, device id, token, a tracker id): the page draws them, the browser test checks
// the OwnTracks link it decodes against the same rules.

export type AppKey = "owntracks" | "overland" | "traccar" | "gpslogger";

export interface Credentials {
  apiBase: string;
  deviceId: string;
  token: string;
  trackerId: string;
}

export interface PasteValue {
  label: string;
  value: string;
  secret?: boolean;
}

export interface AppSetup {
  key: AppKey;
  name: string;
  platforms: string;
  /** The app's own configuration link (opens the app and applies the settings), when the app documents one. */
  link: { href: string; text: string } | null;
  /** What the QR code holds: the set-up link when there is one, otherwise the URL to paste. */
  qr: string;
  qrLabel: string;
  values: PasteValue[];
  steps: string[];
}

export interface AppInfo {
  key: AppKey;
  name: string;
  platforms: string;
  about: string;
}

export const APPS: AppInfo[] = [
  {
    key: "owntracks",
    name: "OwnTracks",
    platforms: "Android and iPhone",
    about: "Free and open source. One tap on the set-up link configures it.",
  },
  {
    key: "overland",
    name: "Overland",
    platforms: "iPhone",
    about: "Free and open source; sends positions in batches. One tap on the set-up link configures it.",
  },
  {
    key: "traccar",
    name: "Traccar Client",
    platforms: "Android and iPhone",
    about: "Free. Paste the server URL into its settings.",
  },
  {
    key: "gpslogger",
    name: "GPSLogger",
    platforms: "Android",
    about: "Free and open source. Paste the URL and the sign-in into its custom URL settings.",
  },
];

/** The API's ingest endpoint of an app (apiBase ends in /api). */
export function ingestUrl(apiBase: string, app: AppKey): string {
  return `${apiBase.replace(/\/$/, "")}/ingest/${app}`;
}

/** Base64 of a string's UTF-8 bytes. */
export function base64Utf8(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** A two-character OwnTracks tracker id from a person's name ("Field Worker" -> "FW"). */
export function trackerIdOf(fullName: string): string {
  const letters = fullName
    .split(/\s+/)
    .map((w) => w.replace(/[^\p{L}\p{N}]/gu, ""))
    .filter(Boolean)
    .map((w) => w[0].toUpperCase());
  const tid = letters.length >= 2 ? `${letters[0]}${letters[letters.length - 1]}` : `${letters[0] ?? "I"}T`;
  return tid.slice(0, 2);
}

/** OwnTracks' configuration (an .otrc document): HTTP mode (3), our URL, Basic sign-in with the device id as the
 * user name and the token as the password (booklet: features/remoteconfig, tech/http). */
export function owntracksConfig(c: Credentials): Record<string, unknown> {
  return {
    _type: "configuration",
    mode: 3,
    url: ingestUrl(c.apiBase, "owntracks"),
    auth: true,
    username: c.deviceId,
    password: c.token,
    deviceId: "phone",
    tid: c.trackerId,
  };
}

/** owntracks:///config?inline=<base64 of the .otrc>, the link both OwnTracks apps apply on a tap. The base64 is
 * percent-encoded so its "+", "/" and "=" survive any query parser. */
export function owntracksLink(c: Credentials): string {
  return `owntracks:///config?inline=${encodeURIComponent(base64Utf8(JSON.stringify(owntracksConfig(c))))}`;
}

/** Overland's set-up link (its app handles overland://setup?url=&token=&device_id=); it sends the token as a
 * bearer token. */
export function overlandLink(c: Credentials): string {
  const q = new URLSearchParams({ url: ingestUrl(c.apiBase, "overland"), token: c.token, device_id: c.trackerId });
  return `overland://setup?${q.toString()}`;
}

const GPSLOGGER_QUERY = "lat=%LAT&lon=%LON&time=%TIME&acc=%ACC&alt=%ALT&spd=%SPD&dir=%DIR&batt=%BATT&prov=%PROV";

export function setupFor(app: AppKey, c: Credentials): AppSetup {
  const info = APPS.find((a) => a.key === app) ?? APPS[0];
  const base = { key: app, name: info.name, platforms: info.platforms };
  if (app === "owntracks") {
    const link = owntracksLink(c);
    return {
      ...base,
      link: { href: link, text: "Open OwnTracks with these settings" },
      qr: link,
      qrLabel: "QR code of the OwnTracks set-up link: scan it with the phone's camera",
      values: [
        { label: "Mode", value: "HTTP" },
        { label: "URL", value: ingestUrl(c.apiBase, "owntracks") },
        { label: "User name (Android: Identification > Username; iPhone: UserID)", value: c.deviceId },
        { label: "Password", value: c.token, secret: true },
      ],
      steps: [
        "Install OwnTracks on the phone.",
        "Tap the set-up link on the phone (or scan the QR code from another screen).",
        "OwnTracks asks to import the configuration: accept, then allow it to use the location.",
      ],
    };
  }
  if (app === "overland") {
    const link = overlandLink(c);
    return {
      ...base,
      link: { href: link, text: "Open Overland with these settings" },
      qr: link,
      qrLabel: "QR code of the Overland set-up link: scan it with the iPhone's camera",
      values: [
        { label: "Receiver endpoint", value: ingestUrl(c.apiBase, "overland") },
        { label: "Access token", value: c.token, secret: true },
      ],
      steps: [
        "Install Overland on the iPhone.",
        "Tap the set-up link (or scan the QR code), then start tracking in Overland.",
      ],
    };
  }
  if (app === "traccar") {
    const url = `${ingestUrl(c.apiBase, "traccar")}?token=${encodeURIComponent(c.token)}`;
    return {
      ...base,
      link: null,
      qr: url,
      qrLabel: "QR code of the Traccar Client server URL",
      values: [
        { label: "Server URL", value: url, secret: true },
        { label: "Device identifier", value: c.trackerId },
      ],
      steps: [
        "Install Traccar Client.",
        "In its settings, paste the server URL; the device identifier can be anything.",
        "Turn the service on.",
      ],
    };
  }
  const url = `${ingestUrl(c.apiBase, "gpslogger")}?${GPSLOGGER_QUERY}`;
  return {
    ...base,
    link: null,
    qr: url,
    qrLabel: "QR code of the GPSLogger custom URL",
    values: [
      { label: "URL", value: url },
      { label: "HTTP method", value: "GET" },
      { label: "HTTP body", value: "(leave empty)" },
      { label: "Basic authentication user name", value: c.deviceId },
      { label: "Basic authentication password", value: c.token, secret: true },
    ],
    steps: [
      "Install GPSLogger for Android.",
      "Logging details > Log to custom URL: turn it on, paste the URL, choose GET.",
      "Under HTTP Basic authentication, paste the user name and password.",
      "Start logging.",
    ],
  };
}
