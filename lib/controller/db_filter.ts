/**
 * Translates a client's MongoDB-style task filter (`{ completed: { $gt: t }, status: "ok" }`)
 * into a parameterized SQL `WHERE` clause over the `tasks` table. Field names are those of the
 * client-facing records; values are always bound as parameters, never spliced into SQL.
 *
 * @module
 */

import { IpxError } from "../protocol/errors.ts";
import type { DbFilter } from "../protocol/messages.ts";

/** A filter or key names something the task database does not have. */
export class DbFilterError extends IpxError {}

/** Record field → `tasks` column. `engine` is accepted as a short form of `engineId`. */
export const TASK_COLUMNS: Readonly<Record<string, string>> = Object.freeze({
  msgId: "msg_id",
  engineId: "engine_id",
  engine: "engine_id",
  kind: "kind",
  status: "status",
  ename: "ename",
  label: "label",
  submitted: "submitted",
  started: "started",
  completed: "completed",
});

const OPERATORS: Readonly<Record<string, string>> = Object.freeze({
  $eq: "=",
  $ne: "!=",
  $gt: ">",
  $gte: ">=",
  $lt: "<",
  $lte: "<=",
  $le: "<=",
  $in: "IN",
  $nin: "NOT IN",
});

/** A scalar SQLite can bind. */
export type SqlValue = string | number | null;

function column(field: string): string {
  const col = TASK_COLUMNS[field];
  if (col === undefined) {
    throw new DbFilterError(
      `Cannot query task records by "${field}": use one of ${Object.keys(TASK_COLUMNS).join(", ")}`,
    );
  }
  return col;
}

function scalar(field: string, value: unknown): SqlValue {
  if (value === null || typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value instanceof Date) return value.getTime();
  throw new DbFilterError(
    `Cannot compare task field "${field}" with ${typeof value} ${String(value)}: use a string, ` +
      `a number (epoch ms for times), or null`,
  );
}

/**
 * Lists of `$in`/`$nin` values longer than this are bound as one JSON array (`json_each`) rather
 * than one parameter each: a query for the 60,000 tasks a client submitted must not fail with
 * SQLite's "too many SQL variables".
 */
const LIST_AS_JSON = 500;

function condition(col: string, field: string, op: string, value: unknown, params: SqlValue[]) {
  const sqlOp = OPERATORS[op];
  if (sqlOp === undefined) {
    throw new DbFilterError(
      `Unknown operator ${op} on "${field}": use one of ${Object.keys(OPERATORS).join(" ")}`,
    );
  }
  if (sqlOp === "IN" || sqlOp === "NOT IN") {
    if (!Array.isArray(value)) {
      throw new DbFilterError(`Operator ${op} on "${field}" needs an array, got ${typeof value}`);
    }
    const values = value.map((v) => scalar(field, v));
    const nonNull = values.filter((v) => v !== null);
    const hasNull = nonNull.length !== values.length;
    let list = "";
    if (nonNull.length > LIST_AS_JSON) {
      // one parameter however long the list: SQLite allows 32,766 per statement
      params.push(JSON.stringify(nonNull));
      list = `${col} ${sqlOp} (SELECT value FROM json_each(?))`;
    } else if (nonNull.length > 0) {
      params.push(...nonNull);
      list = `${col} ${sqlOp} (${nonNull.map(() => "?").join(",")})`;
    }
    if (sqlOp === "IN") {
      const parts = [list, hasNull ? `${col} IS NULL` : ""].filter(Boolean);
      return parts.length ? `(${parts.join(" OR ")})` : "0";
    }
    const parts = [list ? `(${col} IS NULL OR ${list})` : "", hasNull ? `${col} IS NOT NULL` : ""]
      .filter(Boolean);
    return parts.length ? `(${parts.join(" AND ")})` : "1";
  }
  const v = scalar(field, value);
  if (v === null) {
    if (sqlOp === "=") return `${col} IS NULL`;
    if (sqlOp === "!=") return `${col} IS NOT NULL`;
    return "0"; // ordering against null matches nothing
  }
  params.push(v);
  if (sqlOp === "!=") return `(${col} IS NULL OR ${col} != ?)`;
  return `${col} ${sqlOp} ?`;
}

/**
 * Builds a `WHERE` clause (without the keyword) and its parameters. An empty filter matches
 * every record.
 *
 * @param filter Field → value (equality) or operator object.
 * @returns The SQL text and the values to bind, in order.
 * @throws {DbFilterError} for an unknown field or operator, or an unbindable value.
 * @example
 * ```ts
 * import { whereClause } from "./db_filter.ts";
 * import assert from "node:assert/strict";
 * const w = whereClause({ status: "ok", completed: { $gt: 5 } });
 * assert.equal(w.sql, "status = ? AND completed > ?");
 * assert.deepEqual(w.params, ["ok", 5]);
 * ```
 */
export function whereClause(filter: DbFilter): { sql: string; params: SqlValue[] } {
  const parts: string[] = [];
  const params: SqlValue[] = [];
  for (const [field, cond] of Object.entries(filter)) {
    const col = column(field);
    if (
      cond !== null && typeof cond === "object" && !Array.isArray(cond) && !(cond instanceof Date)
    ) {
      const ops = Object.entries(cond as Record<string, unknown>);
      if (ops.length === 0) continue;
      for (const [op, value] of ops) parts.push(condition(col, field, op, value, params));
    } else {
      parts.push(condition(col, field, "$eq", cond, params));
    }
  }
  return { sql: parts.length ? parts.join(" AND ") : "1", params };
}

/**
 * Checks key names of a query and maps them to columns.
 *
 * @param keys Record fields wanted.
 * @returns `[field, column]` pairs; `msgId` always first.
 * @throws {DbFilterError} for an unknown key.
 */
export function selectedColumns(keys: readonly string[]): [string, string][] {
  const out: [string, string][] = [["msgId", "msg_id"]];
  for (const k of keys) {
    if (k === "msgId") continue;
    out.push([k, column(k)]);
  }
  return out;
}
