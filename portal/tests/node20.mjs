// Vitest 5 asks for Node 22 (Map.groupBy, used when it reports a failure); the machines and CI run Node 20. This
// fills that one gap when it is missing, so a failing test is reported instead of crashing the reporter.
if (typeof Map.groupBy !== "function") {
  Map.groupBy = (items, key) => {
    const groups = new Map();
    let i = 0;
    for (const item of items) {
      const k = key(item, i++);
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k).push(item);
    }
    return groups;
  };
}
if (typeof Object.groupBy !== "function") {
  Object.groupBy = (items, key) => {
    const groups = Object.create(null);
    let i = 0;
    for (const item of items) {
      const k = key(item, i++);
      if (!(k in groups)) groups[k] = [];
      groups[k].push(item);
    }
    return groups;
  };
}
