// Request handlers of the package replaced or wrapped (their module's export is swapped before the package's
// route table, which captures them, is loaded):
//   - query-documents: a query with a partition-key header is confined to that partition and needs no partition
//     key in its WHERE clause (the package ignored the header and refused such a query);
//   - read-documents: the read feed honours the partition-key header the same way;
//   - read-document: a point read of a missing document answers 404 (the package threw, answering 500);
//   - create-collection: an invalid defaultTtl answers 400 (the package would answer 500).
"use strict";

const parseQuery = require("@zeit/cosmosdb-query").default;
const readItems = require("@vercel/cosmosdb-server/lib/handler/_read-items").default;
const createCollection = require("@vercel/cosmosdb-server/lib/handler/create-collection");
const queryDocuments = require("@vercel/cosmosdb-server/lib/handler/query-documents");
const readDocument = require("@vercel/cosmosdb-server/lib/handler/read-document");
const readDocuments = require("@vercel/cosmosdb-server/lib/handler/read-documents");
const json = require("@vercel/cosmosdb-server/lib/json").default;
const trueHeader = require("@vercel/cosmosdb-server/lib/true-header").default;

const { scopeFromHeader } = require("./query-scope");

const PARTITION_KEY_HEADER = "x-ms-documentdb-partitionkey";

function queryDocumentsHandler(account, req, res, { dbId, collId }) {
  return readItems(req, res, "Documents", async ({ continuation, maxItemCount }) => {
    const body = await json(req);
    if (!body.query) {
      res.statusCode = 400;
      return { message: "missing query" };
    }
    const collection = account.database(dbId).collection(collId);
    const headerScope = scopeFromHeader(req.headers[PARTITION_KEY_HEADER]);
    if (headerScope === null && !trueHeader(req, "x-ms-documentdb-query-enablecrosspartition")) {
      const { partitionKey } = collection.read() || {};
      const paths = (partitionKey || {}).paths || [];
      if (paths.length && !parseQuery(body.query).containsPartitionKeys(paths)) {
        res.statusCode = 400;
        return { message: "missing partition keys" };
      }
    }
    try {
      return collection.documents.query(body, { continuation, maxItemCount }, headerScope);
    } catch (err) {
      if (err.badRequest) {
        res.statusCode = 400;
        return { message: err.message };
      }
      throw err;
    }
  });
}

function readDocumentsHandler(account, req, res, { dbId, collId }) {
  return readItems(req, res, "Documents", async ({ continuation, maxItemCount }) =>
    account
      .database(dbId)
      .collection(collId)
      .documents.read({ continuation, maxItemCount }, scopeFromHeader(req.headers[PARTITION_KEY_HEADER])),
  );
}

function installHandlers() {
  queryDocuments.default = queryDocumentsHandler;
  readDocuments.default = readDocumentsHandler;

  const packageRead = readDocument.default;
  readDocument.default = (account, req, res, params) => {
    try {
      return packageRead(account, req, res, params);
    } catch (err) {
      if (err instanceof TypeError) {
        res.statusCode = 404;
        return { code: "NotFound", message: "Entity with the specified id does not exist in the system." };
      }
      throw err;
    }
  };

  const packageCreateCollection = createCollection.default;
  createCollection.default = async (account, req, res, params) => {
    try {
      return await packageCreateCollection(account, req, res, params);
    } catch (err) {
      if (err.badRequest) {
        res.statusCode = 400;
        return { code: "BadRequest", message: err.message };
      }
      throw err;
    }
  };
}

module.exports = { installHandlers };
