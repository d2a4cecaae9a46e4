// The typed API client: every path, parameter, body and answer is checked against the API's OpenAPI document
// (schema.d.ts), so a wrong path or body does not compile. Requests go through the same guard as client.ts (token,
// 429 with Retry-After, 401, problem+json as ApiError), so a call either resolves with the answer or throws.
//
//   const me = data(await api().GET("/api/me"));
//   await api().POST("/api/me/devices", { body: { name: "Pixel" } });

import createClient, { type Client } from "openapi-fetch";
import { config } from "../config";
import { guardedFetch } from "./client";
import type { paths } from "./schema";

export type ApiClient = Client<paths>;

let client: ApiClient | null = null;
let clientBase = "";

/** The client for the loaded config.json (apiBase ends in /api; the document's paths start with /api). */
export function api(): ApiClient {
  const base = config().apiBase.replace(/\/api$/, "");
  if (!client || clientBase !== base) {
    client = createClient<paths>({ baseUrl: base, fetch: guardedFetch });
    clientBase = base;
  }
  return client;
}

/** The answer's body; an answer without one (204, or 304 to a conditional GET) is an error here. */
export function data<T>(result: { data?: T; response: Response }): T {
  if (result.data === undefined) throw new Error(`HTTP ${result.response.status}: the answer has no body`);
  return result.data;
}

/** The answer's body, or null when a conditional GET was answered 304 Not Modified. */
export function changed<T>(result: { data?: T; response: Response }): T | null {
  return result.response.status === 304 ? null : data(result);
}
