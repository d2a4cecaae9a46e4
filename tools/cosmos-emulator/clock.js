// The emulator's notion of "now": the real time shifted by an offset. Only the local control endpoint
// (PUT /_emulator/clock in control.js) sets the offset; it decides item expiry and the `_ts` of new item writes.
"use strict";

let offsetSeconds = 0;

function nowSeconds() {
  return Date.now() / 1000 + offsetSeconds;
}

// `_ts` as Cosmos DB writes it: whole seconds since the epoch.
function stampSeconds() {
  return Math.floor(nowSeconds());
}

function setOffsetSeconds(value) {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new TypeError("offsetSeconds must be a finite number");
  }
  offsetSeconds = value;
}

function view() {
  return { offsetSeconds, nowSeconds: nowSeconds(), systemNowSeconds: Date.now() / 1000 };
}

module.exports = { nowSeconds, stampSeconds, setOffsetSeconds, view };
