// Starts @vercel/cosmosdb-server over HTTPS with keep-alive connections.
// The package's own CLI answers every request with "connection: close", which costs
// a TLS handshake per operation; this launcher keeps connections open instead.
// It also changes the package where it falls short of Cosmos DB (modules in tools/cosmos-emulator/):
//   - a point read of a missing document answers 404 (the package threw inside, answering 500);
//   - time-to-live: container defaultTtl and item ttl, expired items invisible at once, removed in the
//     background (model.js, ttl.js, sweeper.js);
//   - a query or read feed scoped to one partition (partition-key header, or WHERE pinning the partition-key
//     path) reads only that partition's items, kept in an index by partition-key value (partitioned-store.js,
//     query-scope.js);
//   - replacing a container keeps its documents;
//   - the query engine gathers rows in linear time (it copied its row list once per item: quadratic) (linear-query.js);
//   - local-only control endpoints under /_emulator/ (control.js): the clock offset used for expiry and `_ts`,
//     and counters (items scanned by the last query, items swept).
// Settings: COSMOS_EMULATOR_PORT (8081), COSMOS_EMULATOR_HOST (127.0.0.1),
// COSMOS_EMULATOR_SWEEP_MS (how often the sweep runs, 1000), COSMOS_EMULATOR_SWEEP_BATCH (expiries per run, 10000).
"use strict";

const { installLinearQueries } = require("./cosmos-emulator/linear-query");
const { installModel } = require("./cosmos-emulator/model");
const { installHandlers } = require("./cosmos-emulator/handlers");
const { installControl } = require("./cosmos-emulator/control");
const { startSweeper } = require("./cosmos-emulator/sweeper");

// Order matters: the model and the handlers are swapped in before the package loads its route table.
installLinearQueries();
installModel();
installHandlers();
installControl();

const { createHttpsServer } = require("@vercel/cosmosdb-server");

const port = parseInt(process.env.COSMOS_EMULATOR_PORT || "8081", 10);
const host = process.env.COSMOS_EMULATOR_HOST || "127.0.0.1";
const sweepMs = parseInt(process.env.COSMOS_EMULATOR_SWEEP_MS || "1000", 10);
const sweepBatch = parseInt(process.env.COSMOS_EMULATOR_SWEEP_BATCH || "10000", 10);

const server = createHttpsServer({ keepAlive: true });
server.keepAliveTimeout = 60000;
server.listen(port, host, () => {
  startSweeper({ intervalMs: sweepMs, batch: sweepBatch });
  process.stdout.write(`cosmos emulator listening on https://${host}:${port}\n`);
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
