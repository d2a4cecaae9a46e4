// Time-to-live as Cosmos DB defines it, in plain functions of an item and its container's `defaultTtl`.
//   container defaultTtl absent or null: nothing expires, whatever the items' own `ttl`;
//   defaultTtl -1: an item expires only when it carries a positive `ttl` of its own;
//   defaultTtl n > 0: an item expires n seconds after its last write (`_ts`) unless its own `ttl` says otherwise;
//   an item `ttl` of -1 never expires.
"use strict";

function isValidDefaultTtl(value) {
  return value === undefined || value === null || value === -1 || (Number.isInteger(value) && value > 0);
}

function ttlEnabled(defaultTtl) {
  return defaultTtl !== undefined && defaultTtl !== null;
}

// Seconds an item lives after its `_ts`, or null when it never expires.
function lifetimeSeconds(doc, defaultTtl) {
  if (!ttlEnabled(defaultTtl)) {
    return null;
  }
  const own = doc.ttl;
  if (typeof own === "number" && Number.isFinite(own)) {
    if (own === -1) {
      return null;
    }
    if (own > 0) {
      return own;
    }
  }
  return defaultTtl > 0 ? defaultTtl : null;
}

// The instant (seconds since the epoch, emulator clock) from which the item is gone, or Infinity.
function expiresAt(doc, defaultTtl) {
  const lifetime = lifetimeSeconds(doc, defaultTtl);
  if (lifetime === null || typeof doc._ts !== "number") {
    return Infinity;
  }
  return doc._ts + lifetime;
}

function isExpired(doc, defaultTtl, nowSeconds) {
  return nowSeconds >= expiresAt(doc, defaultTtl);
}

module.exports = { isValidDefaultTtl, ttlEnabled, lifetimeSeconds, expiresAt, isExpired };
