import assert from "node:assert/strict";
import { type TaskRecord, TaskStore } from "./task_store.ts";

function rec(msgId: string, submitted: number): TaskRecord {
  return {
    msgId,
    engineId: 0,
    clientId: 1,
    kind: "execute",
    status: "running",
    label: "",
    submitted,
    started: null,
    completed: null,
    result: null,
    bytes: 0,
  };
}

function finish(s: TaskStore, id: string, t: number, size = 0): void {
  s.finish(id, {
    msgId: id,
    engineId: 0,
    ok: true,
    value: new Uint8Array(size),
    executionCount: 1,
    submitted: t,
    started: t,
    completed: t + 1,
  }, "ok");
}

Deno.test("TaskStore.query() filters with operators and always returns msgId", () => {
  const s = new TaskStore();
  for (let i = 0; i < 10; i++) {
    s.add(rec(`m${i}`, i));
    if (i % 2 === 0) finish(s, `m${i}`, i);
  }
  assert.equal(s.query({ submitted: { $lt: 5 } }).length, 5);
  assert.equal(s.query({ submitted: { $gte: 5 } }).length, 5);
  assert.equal(s.query({ status: "ok" }).length, 5);
  assert.equal(s.query({ msgId: { $in: ["m1", "m2"] } }).length, 2);
  assert.equal(s.query({ msgId: { $nin: ["m1", "m2"] } }).length, 8);
  assert.deepEqual(s.query({ msgId: "m3" }, ["submitted"]), [{ msgId: "m3", submitted: 3 }]);
});

Deno.test("TaskStore culls the oldest finished records past its bounds", () => {
  const s = new TaskStore({ maxRecords: 10, maxBytes: 10_000 });
  for (let i = 0; i < 10; i++) {
    s.add(rec(`m${i}`, i));
    finish(s, `m${i}`, i);
  }
  s.add(rec("m10", 10)); // 11 records > 10: cull to 9
  assert.equal(s.size, 9);
  assert(s.wasCulled("m0"));
  assert(s.get("m10"));
  // bytes bound
  const b = new TaskStore({ maxRecords: 100, maxBytes: 1000 });
  for (let i = 0; i < 5; i++) {
    b.add(rec(`b${i}`, i));
    finish(b, `b${i}`, i, 300);
  }
  assert(b.bytes <= 1000);
  assert(b.get("b4"));
  assert(b.wasCulled("b0"));
});

Deno.test("TaskStore.purge() removes only finished records", () => {
  const s = new TaskStore();
  s.add(rec("a", 1));
  s.add(rec("b", 2));
  finish(s, "a", 1);
  assert.equal(s.purge(), 1);
  assert.deepEqual(s.history(), ["b"]);
});
