// Starts @vercel/cosmosdb-server over HTTPS with keep-alive connections.
// The package's own CLI answers every request with "connection: close", which costs
// a TLS handshake per operation; this launcher keeps connections open instead.
// It also mends one gap: a point read of a missing document throws inside the
// package (answering 500) where Cosmos DB answers 404. And a second: a transactional batch names its partition key
// once, in the request header, as Cosmos DB expects; the package reads it from each operation, so a batched delete
// (which has no body to take it from) failed. Each operation without one now gets the header's.
"use strict";

const readDocument = require("@vercel/cosmosdb-server/lib/handler/read-document");

const originalRead = readDocument.default;
readDocument.default = (account, req, res, params) => {
  try {
    return originalRead(account, req, res, params);
  } catch (err) {
    if (err instanceof TypeError) {
      res.statusCode = 404;
      return { code: "NotFound", message: "Entity with the specified id does not exist in the system." };
    }
    throw err;
  }
};

const json = require("@vercel/cosmosdb-server/lib/json");

const readJson = json.default;
json.default = async (req) => {
  const body = await readJson(req);
  const header = req.headers["x-ms-documentdb-partitionkey"];
  if (Array.isArray(body) && req.headers["x-ms-cosmos-is-batch-request"] && header) {
    for (const operation of body) {
      if (operation && operation.partitionKey === undefined) operation.partitionKey = header;
    }
  }
  return body;
};

const { createHttpsServer } = require("@vercel/cosmosdb-server");

const port = parseInt(process.env.COSMOS_EMULATOR_PORT || "8081", 10);
const host = process.env.COSMOS_EMULATOR_HOST || "127.0.0.1";

const server = createHttpsServer({ keepAlive: true });
server.keepAliveTimeout = 60000;
server.listen(port, host, () => {
  process.stdout.write(`cosmos emulator listening on https://${host}:${port}\n`);
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
