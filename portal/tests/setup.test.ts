import { describe, expect, it } from "vitest";
import {
  base64Utf8,
  ingestUrl,
  overlandLink,
  owntracksConfig,
  owntracksLink,
  setupFor,
  trackerIdOf,
} from "../src/pages/connect/setup";

const CREDS = {
  apiBase: "https://api.example.com/api",
  deviceId: "dev-0123456789abcdef",
  token: "itd_a+b/c=d_-e",
  trackerId: "WW",
};

function decodeInline(link: string): Record<string, unknown> {
  const url = new URL(link);
  const inline = url.searchParams.get("inline") ?? "";
  const bytes = Uint8Array.from(atob(inline), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

describe("OwnTracks set-up link", () => {
  it("carries an .otrc in HTTP mode with the ingest URL and the Basic credentials", () => {
    const link = owntracksLink(CREDS);
    expect(link.startsWith("owntracks:///config?inline=")).toBe(true);
    expect(decodeInline(link)).toEqual({
      _type: "configuration",
      mode: 3,
      url: "https://api.example.com/api/ingest/owntracks",
      auth: true,
      username: "dev-0123456789abcdef",
      password: "itd_a+b/c=d_-e",
      deviceId: "phone",
      tid: "WW",
    });
  });

  it("percent-encodes the base64, so a query parser keeps its + / =", () => {
    const link = owntracksLink(CREDS);
    const raw = link.split("inline=")[1];
    expect(raw).not.toMatch(/[+/=]/);
    expect(decodeURIComponent(raw)).toBe(base64Utf8(JSON.stringify(owntracksConfig(CREDS))));
  });

  it("keeps a name outside ASCII intact (UTF-8 before base64)", () => {
    expect(decodeInline(owntracksLink({ ...CREDS, trackerId: "ÉÜ" })).tid).toBe("ÉÜ");
  });
});

describe("the other apps", () => {
  it("Overland: its own set-up link with the endpoint and the token", () => {
    const url = new URL(overlandLink(CREDS));
    expect(url.protocol).toBe("overland:");
    expect(url.searchParams.get("url")).toBe("https://api.example.com/api/ingest/overland");
    expect(url.searchParams.get("token")).toBe(CREDS.token);
  });

  it("Traccar Client and GPSLogger: values to paste, the token in the QR code only where the app needs it", () => {
    const traccar = setupFor("traccar", CREDS);
    expect(traccar.link).toBeNull();
    expect(traccar.qr).toBe(`https://api.example.com/api/ingest/traccar?token=${encodeURIComponent(CREDS.token)}`);
    const gps = setupFor("gpslogger", CREDS);
    expect(gps.link).toBeNull();
    expect(gps.qr.startsWith(`${ingestUrl(CREDS.apiBase, "gpslogger")}?lat=%LAT&lon=%LON`)).toBe(true);
    expect(gps.qr).not.toContain(CREDS.token);
    expect(gps.values.find((v) => v.secret)?.value).toBe(CREDS.token);
  });
});

describe("tracker id", () => {
  it("is two characters from the name", () => {
    expect(trackerIdOf("Wren Worker")).toBe("WW");
    expect(trackerIdOf("Ana María de la Cruz")).toBe("AC");
    expect(trackerIdOf("Cher")).toBe("CT");
    expect(trackerIdOf("")).toBe("IT");
  });
});
