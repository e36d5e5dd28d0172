import assert from "node:assert/strict";
import { decodeValue, encodeValue } from "../protocol/codec.ts";
import { StateDb } from "./state_db.ts";
import { type TaskRecord, TaskStore, TaskStoreError } from "./task_store.ts";

type Timer = { ms: number; fn: () => void };

function store(sdb = new StateDb(), limits = {}): { s: TaskStore; timers: Timer[] } {
  const timers: Timer[] = [];
  const s = new TaskStore(sdb, {
    ...limits,
    after: (ms, fn) => {
      const t = { ms, fn };
      timers.push(t);
      return () => timers.splice(timers.indexOf(t), 1);
    },
  });
  return { s, timers };
}

function rec(msgId: string, submitted: number): Omit<TaskRecord, "seq"> {
  return {
    msgId,
    engineId: 0,
    clientId: 1,
    kind: "execute",
    lb: true,
    status: "running",
    ename: null,
    label: "",
    submitted,
    started: null,
    completed: null,
    result: null,
    bytes: 0,
  };
}

function finish(s: TaskStore, id: string, t: number, size = 0, ok = true): void {
  s.finish(id, {
    msgId: id,
    engineId: 0,
    ok,
    ...(ok
      ? { value: encodeValue(new Uint8Array(size)) }
      : { error: { ename: "TypeError", evalue: "x", stack: "" } }),
    executionCount: 1,
    submitted: t,
    started: t,
    completed: t + 1,
  }, ok ? "ok" : "error");
}

Deno.test("TaskStore.query() filters with operators and always returns msgId", () => {
  const { s } = store();
  for (let i = 0; i < 10; i++) {
    s.add(rec(`m${i}`, i));
    if (i % 2 === 0) finish(s, `m${i}`, i, 0, i !== 4);
  }
  assert.equal(s.query({ submitted: { $lt: 5 } }).length, 5);
  assert.equal(s.query({ submitted: { $gte: 5 } }).length, 5);
  assert.equal(s.query({ status: "ok" }).length, 4);
  assert.deepEqual(s.query({ status: "error" }, ["ename"]), [{ msgId: "m4", ename: "TypeError" }]);
  assert.equal(s.query({ completed: null }).length, 5);
  assert.equal(s.query({ completed: { $ne: null } }).length, 5);
  assert.equal(s.query({ msgId: { $in: ["m1", "m2"] } }).length, 2);
  assert.equal(s.query({ msgId: { $nin: ["m1", "m2"] } }).length, 8);
  assert.deepEqual(s.query({ msgId: "m3" }, ["submitted"]), [{ msgId: "m3", submitted: 3 }]);
  assert.deepEqual(s.query({ engine: 0, submitted: { $gt: 7 } }, ["engineId"]), [
    { msgId: "m8", engineId: 0 },
    { msgId: "m9", engineId: 0 },
  ]);
  assert.throws(() => s.query({ color: "red" }), /Cannot query task records by "color"/);
  assert.throws(() => s.query({ submitted: { $near: 1 } }), /Unknown operator \$near/);
});

Deno.test("TaskStore.finish() keeps the first outcome; lookup() finds it after the flush", () => {
  const { s } = store();
  s.add(rec("a", 1));
  finish(s, "a", 1, 3);
  finish(s, "a", 1, 0, false); // a second outcome is ignored
  s.flush();
  const found = s.lookup("a");
  assert.equal(found.state, "done");
  assert(found.state === "done" && found.result.ok);
  assert.deepEqual(decodeValue(found.result.value!), new Uint8Array(3));
  assert.equal(s.lookup("zzz").state, "missing");
  s.add(rec("b", 2));
  assert.equal(s.lookup("b").state, "pending");
});

Deno.test("TaskStore culls the oldest finished records past its bounds and says so", () => {
  const { s } = store(new StateDb(), { maxRecords: 10, maxBytes: 100_000 });
  for (let i = 0; i < 10; i++) {
    s.add(rec(`m${i}`, i));
    finish(s, `m${i}`, i);
  }
  s.flush();
  s.add(rec("m10", 10)); // 11 records > 10: cull to 9
  s.flush();
  assert.equal(s.size, 9);
  const gone = s.lookup("m0");
  assert(gone.state === "missing" && /culled/.test(gone.why), JSON.stringify(gone));
  assert.equal(s.lookup("m10").state, "pending");
  // bytes bound
  const { s: b } = store(new StateDb(), { maxRecords: 100, maxBytes: 1500 });
  for (let i = 0; i < 5; i++) {
    b.add(rec(`b${i}`, i));
    finish(b, `b${i}`, i, 400);
    b.flush();
  }
  assert(b.bytes <= 1500, String(b.bytes));
  assert.equal(b.lookup("b4").state, "done");
  assert.equal(b.lookup("b0").state, "missing");
});

Deno.test("TaskStore.purge() removes finished records and refuses unfinished ones", () => {
  const { s } = store();
  s.add(rec("a", 1));
  s.add(rec("b", 2));
  s.add(rec("c", 3));
  finish(s, "a", 1);
  finish(s, "c", 3);
  assert.throws(() => s.purge(["a", "b"]), TaskStoreError);
  assert.equal(s.purge(["c"]), 1);
  assert.equal(s.purge(), 1);
  assert.deepEqual(s.history(), ["b"]);
  assert.equal(s.size, 1);
});

Deno.test("TaskStore writes unfinished records on its timer and keeps everything in the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ipx-store-" });
  try {
    const path = `${dir}/ipx.sqlite`;
    {
      const sdb = new StateDb(path);
      const { s, timers } = store(sdb);
      s.add(rec("x", 1));
      s.add(rec("y", 2));
      assert.equal(timers.length, 1);
      timers[0]!.fn(); // the delayed flush writes the unfinished records
      finish(s, "x", 1, 2);
      await Promise.resolve(); // finished records are written before the tick ends
      sdb.close(); // no close(): as if the controller was killed
    }
    const sdb = new StateDb(path);
    const { s } = store(sdb);
    assert.deepEqual([...s.live()].map((r) => r.msgId), ["y"]);
    assert.equal(s.lookup("x").state, "done");
    assert.deepEqual(s.history(), ["x", "y"]);
    assert.deepEqual([...s.completedByEngine()], [[0, 1]]);
    s.add(rec("z", 3));
    s.close();
    assert.deepEqual(s.history(), ["x", "y", "z"]);
    sdb.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
