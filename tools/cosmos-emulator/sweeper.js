// The background removal of expired items: every `intervalMs`, at most `batch` due entries of the containers'
// expiry queues are handled, the containers taking turns to go first. The work per tick is bounded whatever the
// number of items, and it is proportional to what is due, never to what is stored.
"use strict";

const clock = require("./clock");
const { containers, counters } = require("./model");

// Tests pause the sweep to tell what the read paths hide from what the sweep removed (PUT /_emulator/sweep).
const state = { paused: false };

function sweepOnce(batch) {
  if (state.paused) {
    return 0;
  }
  const all = [...containers()];
  const now = clock.nowSeconds();
  let budget = batch;
  let removed = 0;
  const first = all.length ? counters.sweepTicks % all.length : 0;
  for (let i = 0; i < all.length && budget > 0; i += 1) {
    const { documents } = all[(first + i) % all.length];
    const done = documents.sweep(budget, now);
    budget -= done.popped;
    removed += done.removed;
  }
  counters.sweepTicks += 1;
  counters.expiredSwept += removed;
  return removed;
}

function startSweeper({ intervalMs, batch }) {
  const timer = setInterval(() => sweepOnce(batch), intervalMs);
  timer.unref();
  return timer;
}

module.exports = { startSweeper, sweepOnce, state };
