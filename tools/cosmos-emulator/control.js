// Emulator-only control endpoints, answered before the package's routes. They exist only in this local launcher;
// nothing of the kind exists on Cosmos DB.
//   GET    /_emulator/clock   {offsetSeconds, nowSeconds, systemNowSeconds}
//   PUT    /_emulator/clock   body {"offsetSeconds": <number>}: shifts "now" for expiry and new items' `_ts`
//   DELETE /_emulator/clock   back to the real time
//   GET    /_emulator/sweep   {paused}
//   PUT    /_emulator/sweep   body {"paused": true | false}: holds or resumes the background removal
//   GET    /_emulator/stats   the last query's scope, items scanned and time, sweep counters, memory, per-container
//                             counts
//   GET    /_emulator/requests?database=<id>   document requests served since start, counted per container,
//                             partition-key header and operation (read, feed, query, create, upsert, replace,
//                             delete, patch, batch): what a test counts to prove what one API call costs
"use strict";

const url = require("url");
const json = require("@vercel/cosmosdb-server/lib/json").default;

const clock = require("./clock");
const { containers, counters } = require("./model");
const sweeper = require("./sweeper");

function badRequest(res, message) {
  res.statusCode = 400;
  return { code: "BadRequest", message };
}

async function putClock(account, req, res) {
  let body;
  try {
    body = await json(req);
  } catch (err) {
    return badRequest(res, "the body must be JSON");
  }
  try {
    clock.setOffsetSeconds(body && body.offsetSeconds);
  } catch (err) {
    return badRequest(res, err.message);
  }
  return clock.view();
}

async function putSweep(account, req, res) {
  let body;
  try {
    body = await json(req);
  } catch (err) {
    return badRequest(res, "the body must be JSON");
  }
  if (!body || typeof body.paused !== "boolean") {
    return badRequest(res, "paused must be true or false");
  }
  sweeper.state.paused = body.paused;
  return { paused: sweeper.state.paused };
}

// Document requests served, by "database\u0000container\u0000partition key\u0000operation" (GET /_emulator/requests).
const requestCounts = new Map();
const DOC_PATH = /^\/dbs\/([^/]+)\/colls\/([^/]+)\/docs(\/[^/]+)?\/?$/;

function header(req, name) {
  return String(req.headers[name] || "").toLowerCase() === "true";
}

function operation(req, one) {
  switch (req.method) {
    case "GET":
      return one ? "read" : "feed";
    case "PUT":
      return "replace";
    case "DELETE":
      return "delete";
    case "PATCH":
      return "patch";
    case "POST":
      if (header(req, "x-ms-documentdb-isquery") || req.headers["content-type"] === "application/query+json") {
        return "query";
      }
      if (header(req, "x-ms-documentdb-is-upsert")) return "upsert";
      if (header(req, "x-ms-cosmos-is-batch-request")) return "batch";
      return "create";
    default:
      return req.method.toLowerCase();
  }
}

function countRequest(req) {
  const match = DOC_PATH.exec(url.parse(req.url).pathname || "");
  if (!match) return;
  const partition = String(req.headers["x-ms-documentdb-partitionkey"] || "");
  const key = [decodeURIComponent(match[1]), decodeURIComponent(match[2]), partition, operation(req, !!match[3])].join(
    "\u0000",
  );
  requestCounts.set(key, (requestCounts.get(key) || 0) + 1);
}

function requests(account, req) {
  const wanted = url.parse(req.url, true).query.database;
  const rows = [];
  for (const [key, count] of requestCounts) {
    const [database, container, partitionKey, op] = key.split("\u0000");
    if (wanted === undefined || database === wanted) {
      rows.push({ database, container, partitionKey, operation: op, count });
    }
  }
  return { requests: rows };
}

function stats() {
  return {
    clock: clock.view(),
    lastQuery: counters.lastQuery,
    sweep: {
      paused: sweeper.state.paused,
      ticks: counters.sweepTicks,
      expiredSwept: counters.expiredSwept,
      expiredRemovedOnAccess: counters.expiredRemovedOnAccess,
    },
    memoryMB: {
      rss: Math.round(process.memoryUsage().rss / 1048576),
      heapUsed: Math.round(process.memoryUsage().heapUsed / 1048576),
    },
    containers: [...containers()].map(({ database, container, documents }) => ({
      database,
      container,
      ...documents.stats(),
    })),
  };
}

const ROUTES = {
  "GET /_emulator/clock": () => clock.view(),
  "PUT /_emulator/clock": putClock,
  "DELETE /_emulator/clock": () => {
    clock.setOffsetSeconds(0);
    return clock.view();
  },
  "GET /_emulator/sweep": () => ({ paused: sweeper.state.paused }),
  "PUT /_emulator/sweep": putSweep,
  "GET /_emulator/stats": () => stats(),
  "GET /_emulator/requests": requests,
};

function notFound(account, req, res) {
  res.statusCode = 404;
  return { code: "NotFound", message: "no such emulator control endpoint" };
}

function controlRoute(req) {
  const { pathname } = url.parse(req.url);
  const path = (pathname || "").replace(/^\/+/, "/").replace(/\/+$/, "");
  if (path !== "/_emulator" && !path.startsWith("/_emulator/")) {
    return undefined;
  }
  return [{}, ROUTES[`${req.method} ${path}`] || notFound];
}

// Call after installHandlers(): loading the route table captures the handlers it finds.
function installControl() {
  const routesModule = require("@vercel/cosmosdb-server/lib/routes");
  const packageRoutes = routesModule.default;
  routesModule.default = req => {
    const control = controlRoute(req);
    if (control) return control;
    countRequest(req);
    return packageRoutes(req);
  };
}

module.exports = { installControl, stats };
