// Which partition a query is confined to, if any: the partition-key header the SDK sends with `partition_key=`,
// or a WHERE clause that pins the container's partition-key path with `=` to a literal or a parameter at top
// level (alone or as one operand of a chain of ANDs). Anything else is a cross-partition query.
"use strict";

const { partitionKeyString } = require("./partitioned-store");

function isScalar(value) {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}

// The container's single partition-key path as property names (["accountId"] for "/accountId"), or null when the
// container has none, several (hierarchical keys) or the package's legacy "/_partitionKey" stand-in.
function partitionPath(collection) {
  const paths = collection && collection.partitionKey && collection.partitionKey.paths;
  if (!Array.isArray(paths) || paths.length !== 1 || typeof paths[0] !== "string") {
    return null;
  }
  const parts = paths[0].slice(1).split("/");
  if (parts.length === 0 || parts.some(p => p === "") || (parts.length === 1 && parts[0] === "_partitionKey")) {
    return null;
  }
  return parts;
}

// x-ms-documentdb-partitionkey, e.g. '["acct-1"]': the partition-key string of a single scalar value, else null.
function scopeFromHeader(header) {
  const raw = Array.isArray(header) ? header[0] : header;
  if (!raw) {
    return null;
  }
  let parsed;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 1 || !isScalar(parsed[0])) {
    return null;
  }
  return partitionKeyString(parsed[0]);
}

// The name the query gives the container's items ("c" in FROM c, "r" in FROM root r), or null for FROM x IN ...
function rootAlias(ast) {
  const from = ast && ast.body && ast.body.from;
  const source = from && from.source;
  if (!source || !source.expression || source.expression.type !== "collection_expression") {
    return null;
  }
  const name = source.expression.expression;
  if (!name || name.type !== "identifier") {
    return null;
  }
  return (source.alias || name).name;
}

// ["a", "b"] for c.a.b or c["a"]["b"] on the root alias, else null.
function memberPath(node, alias) {
  const parts = [];
  let n = node;
  while (n && n.type === "scalar_member_expression") {
    const p = n.property;
    if (p.type === "identifier" && !n.computed) {
      parts.unshift(p.name);
    } else if (p.type === "string_constant") {
      parts.unshift(p.value);
    } else {
      return null;
    }
    n = n.object;
  }
  if (!n || n.type !== "identifier" || n.name !== alias || parts.length === 0) {
    return null;
  }
  return parts;
}

const NOT_PINNED = { pinned: false };

function constantOf(node, parameters) {
  switch (node.type) {
    case "string_constant":
    case "number_constant":
    case "boolean_constant":
      return isScalar(node.value) ? { pinned: true, value: node.value } : NOT_PINNED;
    case "null_constant":
      return { pinned: true, value: null };
    case "parameter_name": {
      const param = (parameters || []).find(p => p && p.name === node.name);
      return param && isScalar(param.value) ? { pinned: true, value: param.value } : NOT_PINNED;
    }
    default:
      return NOT_PINNED;
  }
}

function samePath(a, b) {
  return a !== null && a.length === b.length && a.every((part, i) => part === b[i]);
}

function pinnedValue(condition, alias, path, parameters) {
  if (!condition || condition.type !== "scalar_binary_expression") {
    return NOT_PINNED;
  }
  if (condition.operator === "AND") {
    const left = pinnedValue(condition.left, alias, path, parameters);
    return left.pinned ? left : pinnedValue(condition.right, alias, path, parameters);
  }
  if (condition.operator !== "=") {
    return NOT_PINNED;
  }
  if (samePath(memberPath(condition.left, alias), path)) {
    return constantOf(condition.right, parameters);
  }
  if (samePath(memberPath(condition.right, alias), path)) {
    return constantOf(condition.left, parameters);
  }
  return NOT_PINNED;
}

// The partition-key string a query's WHERE clause confines it to, or null.
function scopeFromWhere(ast, path, parameters) {
  if (!path || !ast || !ast.body || ast.body.type !== "select_query" || !ast.body.where) {
    return null;
  }
  const alias = rootAlias(ast);
  if (!alias) {
    return null;
  }
  const found = pinnedValue(ast.body.where.condition, alias, path, parameters);
  return found.pinned ? partitionKeyString(found.value) : null;
}

module.exports = { partitionPath, scopeFromHeader, scopeFromWhere };
