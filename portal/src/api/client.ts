// The guard under the typed client (api/typed.ts): bearer token, problem+json errors as ApiError, and the API's abuse
// limits (429 with Retry-After, docs/abuse-limits.md); the answer types named from the API's OpenAPI document
// (schema.d.ts, `python -m scripts.portal_types`). Every call goes through `api()` of typed.ts: no untyped helper
// is left.

import { currentToken, signOut } from "../auth/session";
import type { components } from "./schema";

type S = components["schemas"];
export type Member = S["MemberPublic"];
export type MemberList = S["MemberList"];
export type Invitation = S["InvitationPublic"];
export type InvitationList = S["InvitationList"];
export type LatestPositions = S["LatestPositionList"];
export type MemberPosition = S["MemberPositionPublic"];
export type PhotoPage = S["PhotoPage"];
export type Photo = S["PhotoPublic"];
export type PhotoDetail = S["PhotoDetail"];
export type NotePage = S["NotePage"];
export type Note = S["NotePublic"];
export type Consents = S["ConsentsPublic"];
export type AccessLogPage = S["AccessLogPage"];
export type TrackingSchedule = S["TrackingSchedulePublic"];
export type TrackingScheduleUpdate = S["TrackingScheduleUpdate"];
// My information (pages/me): profile with a pending address, e-mail preferences, windows preview.
export type Me = S["MePublic"];
export type MeUpdate = S["MeUpdate"];
export type EmailPreferences = S["EmailPreferencesPublic"];
export type EmailPreferencesUpdate = S["EmailPreferencesUpdate"];
export type VerificationPending = S["VerificationPending"];
export type TrackingPreview = S["TrackingPreview"];
export type TrackingPreviewRequest = S["TrackingPreviewRequest"];
// Privacy centre and platform admin (pages/privacy, pages/admin)
export type PolicyNow = S["PolicyNow"];
export type PolicyVersion = S["PolicyVersionPublic"];
export type PolicyVersionList = S["PolicyVersionList"];
export type DataRequest = S["DataRequestPublic"];
export type DataRequestList = S["DataRequestList"];
export type ClosureTerms = S["ClosureTerms"];
export type HeldData = S["HeldData"]; // what is still kept about me, also after leaving (issue 28)
export type MembershipEnded = S["MembershipEnded"];
export type Closure = S["ClosurePublic"];
export type LegalHold = S["LegalHoldPublic"];
export type LegalHoldList = S["LegalHoldList"];
export type PurgeRunList = S["PurgeRunList"];
// Sign-up and billing (issue 16)
export type AccountCreate = S["AccountCreate"];
export type RegistrationResult = S["RegistrationResult"];
export type Billing = S["BillingPublic"];
export type SetupIntent = S["SetupIntentPublic"];
export type CardOnFile = S["CardOnFile"];
export type VerificationResult = S["VerificationResult"];
export type UnsubscribeResult = S["UnsubscribeResult"];
export type PageViewReceipt = S["PageViewReceipt"]; // optional analytics (docs/privacy-signals.md)
export type PageViewCounts = S["PageViewCounts"];
export type PrivateZone = S["PrivateZonePublic"];
export type PrivateZoneList = S["PrivateZoneList"];
export type PrivateZoneCount = S["PrivateZoneCount"];
export type HistoryApplied = S["HistoryAppliedPublic"];

export interface Feature {
  type: "Feature";
  geometry: { type: "Point" | "LineString"; coordinates: number[] | number[][] };
  properties: Record<string, unknown> & { kind: "track" | "ping" | "stop" | "private-gap" };
}
export interface TrackCollection {
  type: "FeatureCollection";
  features: Feature[];
}

/** A track answer (GeoJSON, whose features the OpenAPI document leaves open) checked for the shape the portal reads. */
export function isTrackCollection(body: unknown): body is TrackCollection {
  if (typeof body !== "object" || body === null || !("features" in body) || !Array.isArray(body.features)) return false;
  return body.features.every(
    (f: unknown) =>
      typeof f === "object" &&
      f !== null &&
      "geometry" in f &&
      "properties" in f &&
      typeof f.properties === "object" &&
      f.properties !== null &&
      "kind" in f.properties &&
      typeof f.properties.kind === "string",
  );
}

export class ApiError extends Error {
  constructor(
    public status: number,
    public title: string,
    public detail?: string,
    public problemType?: string,
    public retryAfter?: number,
    /** The problem document's `errors`: each names the field it is about (e.g. `locationDays`, `body.email`). */
    public fields: { field: string; message: string }[] = [],
  ) {
    super(detail ? `${title}: ${detail}` : title);
  }
}

// A 429 whose Retry-After is at most this many seconds is waited out and the call made once more; a longer wait (or
// a second refusal) is shown to the person instead of freezing the page.
export const RETRY_WAIT_MAX_SECONDS = 10;

/** Retry-After as whole seconds (the API sends seconds; an HTTP date is also understood), or undefined. */
export function retryAfterSeconds(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  if (!/^[A-Za-z]{3},/.test(trimmed)) return undefined; // an HTTP date starts with its day's name ("Mon, 07 Dec ...")
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

function wait(seconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, seconds * 1000));
}

/** Sends `request` with the signed-in person's token: a short 429 is waited out once, a 401 signs out, and any other
 * refusal becomes an ApiError carrying the problem document's title, detail and type. 304 passes through. */
export async function guardedFetch(request: Request): Promise<Response> {
  const token = await currentToken();
  const headers = new Headers(request.headers);
  if (token) headers.set("Authorization", `Bearer ${token}`);
  // The body is read into memory once and sent as bytes: the same bytes serve the one retry after a short 429, and
  // the browser sends a plain body rather than a stream (which its developer tools and test drivers cannot show).
  const body = request.body === null ? undefined : await request.arrayBuffer();
  const init: RequestInit = { method: request.method, headers, body, cache: "no-store", signal: request.signal };
  let r = await fetch(request.url, init);
  if (r.status === 429) {
    const seconds = retryAfterSeconds(r.headers.get("Retry-After"));
    if (seconds !== undefined && seconds <= RETRY_WAIT_MAX_SECONDS) {
      await wait(seconds);
      r = await fetch(request.url, init); // once: a second refusal is shown
    }
    if (r.status === 429) {
      const again = retryAfterSeconds(r.headers.get("Retry-After"));
      throw new ApiError(
        429,
        "Too many requests",
        again === undefined ? "try again later." : `try again in ${again} s.`,
        undefined,
        again,
      );
    }
  }
  if (r.status === 401) signOut();
  if (!r.ok && r.status !== 304) {
    let title = `HTTP ${r.status}`;
    let detail: string | undefined;
    let problemType: string | undefined;
    let fields: { field: string; message: string }[] = [];
    try {
      const p: unknown = await r.json();
      if (typeof p === "object" && p !== null) {
        if ("title" in p && typeof p.title === "string") title = p.title;
        if ("detail" in p && typeof p.detail === "string") detail = p.detail;
        if ("type" in p && typeof p.type === "string") problemType = p.type;
        if ("errors" in p && Array.isArray(p.errors)) {
          fields = p.errors.filter(
            (e): e is { field: string; message: string } =>
              typeof e === "object" && e !== null && typeof e.field === "string" && typeof e.message === "string",
          );
        }
        // A refused field is named with the API's reason ("area.radius: ..."), not just "invalid fields".
        if (fields.length) detail = fields.map((e) => `${e.field}: ${e.message}`).join("; ");
      }
    } catch {
      /* not a problem document */
    }
    throw new ApiError(r.status, title, detail, problemType, retryAfterSeconds(r.headers.get("Retry-After")), fields);
  }
  return r;
}
