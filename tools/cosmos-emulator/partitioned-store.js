// The documents' map (_rid -> stored item) that also keeps one bucket per partition-key value, so a query scoped
// to a partition reads only that partition's items. Buckets keep the same relative order as the whole map
// (a write of an existing _rid keeps its place, a delete then set moves it to the end in both), so a scoped
// query sees the same items in the same order as a full scan filtered on the partition key would.
"use strict";

// One string per partition-key value: "u" for an absent key, "j" + JSON for the rest (so "1" and 1 differ).
function partitionKeyString(value) {
  return value === undefined ? "u" : `j${JSON.stringify(value)}`;
}

const EMPTY = new Map();

class PartitionedStore extends Map {
  // `keyOf(item)` answers the partition-key value of a stored item.
  constructor(keyOf) {
    super();
    this._keyOf = keyOf;
    this._buckets = new Map();
  }

  set(rid, item) {
    if (!this._buckets) {
      return super.set(rid, item); // Map's constructor, before the fields exist
    }
    const key = partitionKeyString(this._keyOf(item));
    const old = super.get(rid);
    if (old !== undefined) {
      const oldKey = partitionKeyString(this._keyOf(old));
      if (oldKey !== key) {
        this._unbucket(oldKey, rid);
      }
    }
    let bucket = this._buckets.get(key);
    if (!bucket) {
      bucket = new Map();
      this._buckets.set(key, bucket);
    }
    bucket.set(rid, item);
    return super.set(rid, item);
  }

  delete(rid) {
    const old = super.get(rid);
    if (old === undefined) {
      return false;
    }
    this._unbucket(partitionKeyString(this._keyOf(old)), rid);
    return super.delete(rid);
  }

  clear() {
    this._buckets.clear();
    super.clear();
  }

  // The stored items of one partition (a Map _rid -> item; empty when the partition has none).
  bucket(key) {
    return this._buckets.get(key) || EMPTY;
  }

  get partitionCount() {
    return this._buckets.size;
  }

  _unbucket(key, rid) {
    const bucket = this._buckets.get(key);
    if (bucket) {
      bucket.delete(rid);
      if (bucket.size === 0) {
        this._buckets.delete(key);
      }
    }
  }
}

module.exports = { PartitionedStore, partitionKeyString };
