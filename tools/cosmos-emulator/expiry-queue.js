// A binary min-heap of pending expiries {at, rid, etag}, earliest first. Entries go stale when their item is
// rewritten or deleted; whoever pops one checks it against the stored item (documents.js).
"use strict";

class ExpiryQueue {
  constructor() {
    this._heap = [];
  }

  get size() {
    return this._heap.length;
  }

  peek() {
    return this._heap[0];
  }

  push(entry) {
    const heap = this._heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent].at <= entry.at) {
        break;
      }
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = entry;
  }

  pop() {
    const heap = this._heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0) {
      let i = 0;
      const n = heap.length;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) {
          break;
        }
        const right = left + 1;
        const child = right < n && heap[right].at < heap[left].at ? right : left;
        if (heap[child].at >= last.at) {
          break;
        }
        heap[i] = heap[child];
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}

module.exports = ExpiryQueue;
