import assert from "node:assert/strict";
import { DbFilterError, selectedColumns, whereClause } from "./db_filter.ts";

Deno.test("whereClause() binds values and handles null, $in and $nin", () => {
  assert.deepEqual(whereClause({}), { sql: "1", params: [] });
  assert.deepEqual(whereClause({ engineId: null }), { sql: "engine_id IS NULL", params: [] });
  assert.deepEqual(whereClause({ label: { $ne: "x" } }), {
    sql: "(label IS NULL OR label != ?)",
    params: ["x"],
  });
  assert.deepEqual(whereClause({ engine: { $in: [1, null] } }), {
    sql: "(engine_id IN (?) OR engine_id IS NULL)",
    params: [1],
  });
  assert.deepEqual(whereClause({ status: { $nin: [] } }), { sql: "1", params: [] });
  assert.deepEqual(whereClause({ status: { $in: [] } }), { sql: "0", params: [] });
  const d = new Date(5);
  assert.deepEqual(whereClause({ submitted: { $gte: d, $lt: 9 } }), {
    sql: "submitted >= ? AND submitted < ?",
    params: [5, 9],
  });
});

Deno.test("whereClause() refuses unknown fields, operators and values with a hint", () => {
  assert.throws(() => whereClause({ "x; DROP TABLE tasks": 1 }), DbFilterError);
  assert.throws(() => whereClause({ status: { $regex: "a" } }), /use one of/);
  assert.throws(() => whereClause({ status: { $in: "ok" } }), /needs an array/);
  assert.throws(() => whereClause({ status: { a: 1 } as never }), DbFilterError);
  assert.throws(() => whereClause({ submitted: {} as never, label: [1] }), /Cannot compare/);
  assert.throws(() => selectedColumns(["bogus"]), DbFilterError);
  assert.deepEqual(selectedColumns(["msgId", "status"]), [["msgId", "msg_id"], [
    "status",
    "status",
  ]]);
});
