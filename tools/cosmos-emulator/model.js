// Changes to the package's in-memory model (@vercel/cosmosdb-server 1.0.1, lib/account), installed before the
// package's server module is loaded:
//   - documents live in a PartitionedStore (an index by partition-key value kept on every write and delete), and a
//     query or read feed confined to one partition reads only that partition's items;
//   - time-to-live (ttl.js): an expired item is invisible at once to point reads, queries and the read feed, and a
//     create of its id succeeds; a point lookup that meets it removes it then and there, the sweep (sweeper.js)
//     removes the rest in the background from an expiry queue;
//   - `_ts` of a document write comes from the emulator clock (clock.js);
//   - replacing a container keeps its documents (the package built a new, empty container) and accepts and echoes
//     `defaultTtl`, as creating one does; an invalid `defaultTtl` is refused with 400.
"use strict";

const accountModule = require("@vercel/cosmosdb-server/lib/account");
const collectionsModule = require("@vercel/cosmosdb-server/lib/account/collections");
const documentsModule = require("@vercel/cosmosdb-server/lib/account/documents");
const itemsModule = require("@vercel/cosmosdb-server/lib/account/items");
const getValue = require("@vercel/cosmosdb-server/lib/utils/get-value").default;

const clock = require("./clock");
const ExpiryQueue = require("./expiry-queue");
const { PartitionedStore } = require("./partitioned-store");
const { partitionPath, scopeFromWhere } = require("./query-scope");
const ttl = require("./ttl");

const PackageDocuments = documentsModule.default;
const PackageAccount = accountModule.default;
const Items = itemsModule.default;

// What the control endpoint reports (GET /_emulator/stats).
const counters = {
  lastQuery: null, // {container, scope: "partition" | "container", scanned, visible, ms (inside the emulator)}
  expiredSwept: 0,
  expiredRemovedOnAccess: 0,
  sweepTicks: 0,
};

const accounts = [];

class EmulatorDocuments extends PackageDocuments {
  constructor(parent, partitionKeyPaths, uniqueKeyPaths) {
    super(parent, partitionKeyPaths, uniqueKeyPaths);
    this._data = new PartitionedStore(item => this._getPartition(item.read()));
    this._expiries = new ExpiryQueue();
  }

  _defaultTtl() {
    const collection = this._parent.read();
    return collection ? collection.defaultTtl : undefined;
  }

  // Every create and replace of a document ends here (items.js): stamp `_ts`, then queue the expiry.
  _set(data) {
    data._ts = clock.stampSeconds();
    const written = super._set(data);
    this._schedule(data, this._defaultTtl());
    if (this._expiries.size > 2 * this._data.size + 1024) {
      this.rescheduleAll(); // drop the entries of items rewritten or deleted since
    }
    return written;
  }

  _schedule(doc, defaultTtl) {
    const at = ttl.expiresAt(doc, defaultTtl);
    if (at !== Infinity) {
      this._expiries.push({ at, rid: doc._rid, etag: doc._etag });
    }
  }

  // Rebuilds the expiry queue from the stored items (after the container's defaultTtl changed, or to compact).
  rescheduleAll() {
    this._expiries = new ExpiryQueue();
    const defaultTtl = this._defaultTtl();
    if (!ttl.ttlEnabled(defaultTtl)) {
      return;
    }
    for (const item of this._data.values()) {
      this._schedule(item.read(), defaultTtl);
    }
  }

  // Every point lookup (read, and the checks inside create, upsert, replace, delete, patch) goes through here.
  _item(keyPath, keyPathValue, partition) {
    const item = super._item(keyPath, keyPathValue, partition);
    const doc = item.read();
    if (doc && ttl.isExpired(doc, this._defaultTtl(), clock.nowSeconds())) {
      this._forget(doc);
      counters.expiredRemovedOnAccess += 1;
      return this._newItem();
    }
    return item;
  }

  // Removes a stored item and its unique-key entries without looking it up again.
  _forget(doc) {
    const partition = this._getPartition(doc);
    for (const keyPath of this._uniqueKeyPaths) {
      const key = this._getId(keyPath, getValue(keyPath.slice(1).split("/"), doc), partition);
      if (this._index.get(key) === doc._rid) {
        this._index.delete(key);
      }
    }
    this._data.delete(doc._rid);
  }

  // The unexpired documents of one partition (scopeKey from partitioned-store.partitionKeyString) or of all.
  _visible(collection, scopeKey) {
    const source = scopeKey === null ? this._data : this._data.bucket(scopeKey);
    const defaultTtl = collection.defaultTtl;
    const checkTtl = ttl.ttlEnabled(defaultTtl);
    const now = clock.nowSeconds();
    const docs = [];
    for (const item of source.values()) {
      const doc = item.read();
      if (!checkTtl || !ttl.isExpired(doc, defaultTtl, now)) {
        docs.push(doc);
      }
    }
    counters.lastQuery = {
      container: collection.id,
      scope: scopeKey === null ? "container" : "partition",
      scanned: source.size,
      visible: docs.length,
    };
    return docs;
  }

  // headerScope: the partition named by the request's partition-key header (query-scope.scopeFromHeader), if any.
  query(params, { maxItemCount, continuation } = {}, headerScope = null) {
    const collection = this._parent.read();
    if (!collection) {
      return null;
    }
    const started = process.hrtime.bigint();
    const q = this._getQuery(params.query);
    const path = partitionPath(collection);
    const scope = path ? headerScope || scopeFromWhere(q.ast, path, params.parameters) : null;
    const docs = this._visible(collection, scope);
    const compositeIndexes =
      (collection.indexingPolicy ? collection.indexingPolicy.compositeIndexes : null) || [];
    let page;
    try {
      page = q.exec(docs, {
        parameters: params.parameters,
        udf: this._userDefinedFunctions(),
        maxItemCount,
        continuation,
        compositeIndexes,
      });
    } catch (err) {
      err.badRequest = true;
      throw err;
    }
    counters.lastQuery.ms = Number(process.hrtime.bigint() - started) / 1e6;
    return page;
  }

  read({ maxItemCount, continuation } = {}, headerScope = null) {
    const collection = this._parent.read();
    if (!collection) {
      return null;
    }
    const started = process.hrtime.bigint();
    const scope = partitionPath(collection) ? headerScope : null;
    const docs = this._visible(collection, scope);
    const page = this._getQuery("SELECT * FROM c").exec(docs, { maxItemCount, continuation });
    counters.lastQuery.ms = Number(process.hrtime.bigint() - started) / 1e6;
    return page;
  }

  // Handles up to `budget` due entries of the expiry queue: {popped, removed (items)}.
  sweep(budget, now) {
    const defaultTtl = this._defaultTtl();
    let popped = 0;
    let removed = 0;
    while (popped < budget) {
      const next = this._expiries.peek();
      if (!next || next.at > now) {
        break;
      }
      this._expiries.pop();
      popped += 1;
      const item = this._data.get(next.rid);
      const doc = item && item.read();
      if (doc && doc._etag === next.etag && ttl.isExpired(doc, defaultTtl, now)) {
        this._forget(doc);
        removed += 1;
      }
    }
    return { popped, removed };
  }

  stats() {
    return { stored: this._data.size, partitions: this._data.partitionCount, pendingExpiries: this._expiries.size };
  }
}

function badDefaultTtl(data) {
  if (data && !ttl.isValidDefaultTtl(data.defaultTtl)) {
    const err = new Error("defaultTtl must be -1, a positive whole number of seconds, or absent");
    err.badRequest = true;
    return err;
  }
  return null;
}

function installModel() {
  documentsModule.default = EmulatorDocuments;

  accountModule.default = class EmulatorAccount extends PackageAccount {
    constructor(...args) {
      super(...args);
      accounts.push(this);
    }
  };

  const Collections = collectionsModule.default;
  Collections.prototype.create = function create(data) {
    const invalid = badDefaultTtl(data);
    if (invalid) {
      throw invalid;
    }
    return Items.prototype.create.call(this, data);
  };
  Collections.prototype.replace = function replace(data, original) {
    const invalid = badDefaultTtl(data);
    if (invalid) {
      throw invalid;
    }
    const kept = this._data.get(original._rid);
    const written = Items.prototype.replace.call(this, data, original);
    if (kept) {
      // The package stored a brand-new container object (no documents); keep the old one with the new properties.
      kept._data = written;
      this._data.set(written._rid, kept);
      kept.documents.rescheduleAll();
    }
    return written;
  };
}

// Every live container: {database, container, documents}.
function* containers() {
  for (const account of accounts) {
    for (const database of account.databases._data.values()) {
      for (const collection of database.collections._data.values()) {
        if (collection.documents instanceof EmulatorDocuments) {
          yield { database: database.read().id, container: collection.read().id, documents: collection.documents };
        }
      }
    }
  }
}

module.exports = { installModel, containers, counters, EmulatorDocuments };
