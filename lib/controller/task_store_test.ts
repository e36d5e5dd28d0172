import assert from "node:assert/strict";
import { withTempDir } from "../protocol/testing.ts";
import { decodeValue, encodeValue } from "../protocol/codec.ts";
import { StateDb } from "./state_db.ts";
import { MemoryBlobs } from "./result_blobs.ts";
import { SPILL_BYTES, type TaskRecord, TaskStore, TaskStoreError } from "./task_store.ts";

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

Deno.test("TaskStore.query() takes $in and $nin lists of any length (60,000 ids)", () => {
  const { s } = store();
  for (let i = 0; i < 3000; i++) s.add(rec(`m${i}`, i));
  s.commit();
  // ids of 60,000 tasks, most unknown here: more than SQLite's 32,766 parameters
  const ids = Array.from({ length: 60_000 }, (_, i) => `m${i}`);
  assert.equal(s.query({ msgId: { $in: ids } }).length, 3000);
  assert.equal(s.query({ msgId: { $nin: ids.slice(0, 2000) } }).length, 1000);
  const numbers = Array.from({ length: 40_000 }, (_, i) => i);
  assert.equal(s.query({ submitted: { $in: numbers }, msgId: { $in: ["m7", "m9"] } }).length, 2);
  // mixed with null, as for short lists
  assert.equal(s.query({ completed: { $in: [...numbers, null] } }).length, 3000);
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

Deno.test("TaskStore culls finished records only, oldest first, down to 99 % of the bound", () => {
  const { s } = store(new StateDb(), { maxRecords: 10, maxBytes: 1e9 });
  s.add(rec("u0", 0)); // the oldest record, still running: never culled
  for (let i = 1; i <= 10; i++) {
    s.add(rec(`f${i}`, i));
    finish(s, `f${i}`, i);
  }
  s.flush(); // 11 records > 10: down to 9 (floor of 9.9), the two oldest finished go
  assert.equal(s.size, 9);
  assert.equal(s.lookup("u0").state, "pending");
  for (const id of ["f1", "f2"]) {
    const gone = s.lookup(id);
    assert(gone.state === "missing" && /culled/.test(gone.why), JSON.stringify(gone));
  }
  for (let i = 3; i <= 10; i++) assert.equal(s.lookup(`f${i}`).state, "done", `f${i}`);
  // fewer finished records than the excess: every finished one goes, the running ones stay
  const { s: t } = store(new StateDb(), { maxRecords: 4, maxBytes: 1e9 });
  for (let i = 0; i < 5; i++) t.add(rec(`r${i}`, i));
  for (let i = 0; i < 2; i++) {
    t.add(rec(`d${i}`, 10 + i));
    finish(t, `d${i}`, 10 + i);
  }
  t.flush();
  assert.equal(t.size, 5);
  assert.equal(t.lookup("d0").state, "missing");
  assert.equal(t.lookup("d1").state, "missing");
  for (let i = 0; i < 5; i++) assert.equal(t.lookup(`r${i}`).state, "pending");
});

Deno.test("TaskStore remembers the newest culled ids, at least culledKept of them", () => {
  const sdb = new StateDb();
  const s = new TaskStore(sdb, {
    maxRecords: 5,
    maxBytes: 1e9,
    culledKept: 10,
    after: () => () => {},
  });
  for (let i = 0; i < 40; i++) {
    s.add(rec(`m${i}`, i));
    finish(s, `m${i}`, i);
    s.flush();
  }
  assert.equal(s.size, 4); // 5 → 4 at every cull (floor of 4.95)
  const culled = [];
  for (let i = 0; i < 36; i++) {
    const l = s.lookup(`m${i}`);
    assert.equal(l.state, "missing", `m${i}`);
    if (l.state === "missing" && /culled/.test(l.why)) culled.push(i);
  }
  // the newest ones are remembered, the oldest forgotten: at least 10, at most 11
  assert.ok(culled.length >= 10 && culled.length <= 11, `remembered ${culled}`);
  assert.deepEqual(culled, Array.from({ length: culled.length }, (_, k) => 36 - culled.length + k));
  const rows = sdb.db.prepare("SELECT COUNT(*) AS n FROM culled").get() as { n: number };
  assert.equal(rows.n, culled.length);
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

Deno.test("TaskStore writes unfinished records on its timer and keeps everything in the file", () =>
  withTempDir("ipx-store-", async (dir) => {
    const path = `${dir}/ipx.sqlite`;
    {
      const sdb = new StateDb(path);
      const { s, timers } = store(sdb);
      s.add(rec("x", 1));
      s.add(rec("y", 2));
      assert.equal(timers.length, 1);
      timers[0]!.fn(); // the delayed flush writes the unfinished records
      finish(s, "x", 1, 2);
      await new Promise((r) => setTimeout(r, 0)); // finished records are written after the I/O round
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
  }));

Deno.test("TaskStore counts the culled ids a restarted controller left, and keeps trimming them", () =>
  withTempDir("ipx-store-", async (dir) => {
    const path = `${dir}/ipx.sqlite`;
    const open = () => {
      const sdb = new StateDb(path);
      const s = new TaskStore(sdb, {
        maxRecords: 5,
        maxBytes: 1e9,
        culledKept: 10,
        after: () => () => {},
      });
      return { sdb, s };
    };
    const culled = () => {
      const probe = new StateDb(path, { exclusive: false });
      try {
        return (probe.db.prepare("SELECT COUNT(*) AS n FROM culled").get() as { n: number }).n;
      } finally {
        probe.close();
      }
    };
    let n = 0;
    for (let run = 0; run < 3; run++) {
      const { sdb, s } = open();
      for (let i = 0; i < 8; i++, n++) {
        s.add(rec(`m${n}`, n));
        finish(s, `m${n}`, n);
        s.flush();
      }
      const gone = s.lookup(`m${n - 5}`);
      assert(gone.state === "missing" && /culled/.test(gone.why), JSON.stringify(gone));
      await s.close();
      sdb.close();
      // 24 tasks in all, 4 kept: never more than a tenth past the 10 remembered
      assert.ok(culled() <= 11, `run ${run}: ${culled()} culled ids remembered`);
    }
    assert.equal(culled() >= 10, true);
  }));

Deno.test("TaskStore keeps big result values in files beside the database, across a restart", () =>
  withTempDir("ipx-store-", async (dir) => {
    const path = `${dir}/ipx.sqlite`;
    const big = crypto.getRandomValues(new Uint8Array(1024)).map((b) => b);
    const value = new Uint8Array(SPILL_BYTES + 10);
    for (let i = 0; i < value.length; i += big.length) {
      value.set(big.subarray(0, value.length - i), i);
    }
    const resultOf = (id: string) => ({
      msgId: id,
      engineId: 0,
      ok: true,
      value,
      executionCount: 1,
      submitted: 1,
      started: 1,
      completed: 2,
    });
    {
      const sdb = new StateDb(path);
      const { s } = store(sdb);
      s.add(rec("big", 1));
      s.add(rec("small", 2));
      s.finish("big", resultOf("big"), "ok");
      finish(s, "small", 2, 10);
      await new Promise((r) => setTimeout(r, 0)); // written after the I/O round
      const seen = s.lookup("big");
      assert.equal(seen.state, "done");
      assert.deepEqual(seen.state === "done" && seen.result.value, value);
      assert.ok(s.bytes > SPILL_BYTES, "the spilled value counts toward the byte bound");
      // the row in SQLite (written by the flush timer) is small: the value is in a file
      s.flush();
      const row = sdb.db.prepare("SELECT length(result) AS n FROM tasks WHERE msg_id = 'big'")
        .get() as { n: number };
      assert.ok(row.n < 1024, `row holds ${row.n} bytes`);
      await s.close();
      sdb.close();
    }
    const files = [...Deno.readDirSync(`${path}.results`)].map((e) => e.name);
    assert.equal(files.length, 1);
    assert.equal(Deno.statSync(`${path}.results/${files[0]}`).mode! & 0o777, 0o600);
    const sdb = new StateDb(path);
    const { s } = store(sdb);
    const back = s.lookup("big");
    assert.equal(back.state, "done");
    assert.deepEqual(back.state === "done" && back.result.value, value);
    assert.equal(back.state === "done" && "spilled" in back.result, false);
    // a damaged file is reported, never returned as the value: one left padded (a direct write
    // whose controller was killed before it cut the file to length) and a short one
    for (const length of [value.length + 4000, 100]) {
      Deno.truncateSync(`${path}.results/${files[0]}`, length);
      const damaged = s.lookup("big");
      assert.equal(damaged.state, "missing");
      assert.match(damaged.state === "missing" ? damaged.why : "", /not completely written/);
    }
    assert.equal(s.purge(["big"]), 1);
    await s.close();
    assert.deepEqual([...Deno.readDirSync(`${path}.results`)], []);
    sdb.close();
    // a file no finished record refers to (a database moved away, a crash in a purge) is
    // removed when the store opens
    Deno.writeFileSync(`${path}.results/7.bin`, new Uint8Array(3));
    const again = new StateDb(path);
    const reopened = store(again).s;
    await reopened.close();
    assert.deepEqual([...Deno.readDirSync(`${path}.results`)], []);
    again.close();
  }));

Deno.test("TaskStore drops spilled values with culled and purged records", async () => {
  const blobs = new MemoryBlobs();
  const timers: Timer[] = [];
  const s = new TaskStore(new StateDb(), {
    maxBytes: 3 * SPILL_BYTES,
    blobs,
    after: (ms, fn) => {
      timers.push({ ms, fn });
      return () => {};
    },
  });
  for (let i = 0; i < 5; i++) {
    s.add(rec(`m${i}`, i));
    finish(s, `m${i}`, i, SPILL_BYTES);
    s.flush();
  }
  const kept = [0, 1, 2, 3, 4].filter((i) => blobs.get(i + 1) !== undefined);
  assert.ok(kept.length <= 3 && kept.length >= 1, `kept ${kept}`);
  assert.equal(s.lookup("m0").state, "missing");
  assert.equal(s.lookup("m4").state, "done");
  s.purge();
  assert.equal([0, 1, 2, 3, 4].filter((i) => blobs.get(i + 1) !== undefined).length, 0);
  await s.close();
});

Deno.test("TaskStore.outcome() answers from memory or the record's columns, never reading a spilled value", () => {
  const reads: number[] = [];
  class Spy extends MemoryBlobs {
    override get(key: number): Uint8Array | undefined {
      reads.push(key);
      return super.get(key);
    }
  }
  const s = new TaskStore(new StateDb(), { blobs: new Spy(), after: () => () => {} });
  s.add(rec("a", 1));
  s.add(rec("b", 2));
  assert.equal(s.outcome("a"), "pending");
  assert.equal(s.outcome("nope"), undefined);
  finish(s, "a", 1, SPILL_BYTES);
  assert.deepEqual(s.outcome("a"), { ok: true, engineId: 0, ename: null });
  s.flush();
  finish(s, "b", 2, 0, false);
  s.flush();
  assert.deepEqual(s.outcome("a"), { ok: true, engineId: 0, ename: null });
  assert.deepEqual(s.outcome("b"), { ok: false, engineId: 0, ename: "TypeError" });
  assert.deepEqual(reads, []);
});

Deno.test("TaskStore: what commit() puts in the record log survives a crash", () =>
  withTempDir("ipx-store-", async (dir) => {
    const path = `${dir}/ipx.sqlite`;
    // not exclusive: the "killed" controller's handle stays open while the next one opens it
    const firstDb = new StateDb(path, { exclusive: false });
    const first = store(firstDb);
    first.s.add(rec("placed", 1));
    first.s.add(rec("done", 2));
    finish(first.s, "done", 3, 10);
    first.s.commit(); // before a frame leaves
    assert.equal(Deno.statSync(`${path}.log`).mode! & 0o777, 0o600);
    assert.ok(Deno.statSync(`${path}.log`).size > 0, "appended to the log");
    const inDb = firstDb.db.prepare("SELECT COUNT(*) AS n FROM tasks").get() as { n: number };
    assert.equal(inDb.n, 0, "SQLite gets them later, from the flush timer");
    // the timer never runs: the controller is killed; the next one applies the log
    const second = store(new StateDb(path, { exclusive: false }));
    assert.equal(Deno.statSync(`${path}.log`).size, 0, "applied and emptied");
    assert.deepEqual([...second.s.live()].map((r) => r.msgId), ["placed"]);
    const done = second.s.lookup("done");
    assert.equal(done.state, "done");
    assert.equal(done.state === "done" && done.result.ok, true);
    assert.equal(second.s.size, 2);
    await second.s.close();
  }));

Deno.test("TaskStore: the flush empties the log; a torn last write is ignored at start", () =>
  withTempDir("ipx-store-", async (dir) => {
    const path = `${dir}/ipx.sqlite`;
    const first = store(new StateDb(path, { exclusive: false }));
    first.s.add(rec("a", 1));
    first.s.commit();
    assert.ok(Deno.statSync(`${path}.log`).size > 0);
    assert.equal(first.timers.length, 1, "the flush timer is set");
    first.timers[0]!.fn();
    assert.equal(Deno.statSync(`${path}.log`).size, 0, "in SQLite now: the log is emptied");
    assert.deepEqual(first.s.history(), ["a"]);
    finish(first.s, "a", 2, 5);
    first.s.add(rec("b", 3));
    first.s.commit();
    // the controller dies in the middle of its next write: half an entry at the end
    const whole = Deno.readFileSync(`${path}.log`);
    const torn = new Uint8Array(whole.length + 20);
    torn.set(whole);
    torn.set(whole.subarray(0, 20), whole.length);
    Deno.writeFileSync(`${path}.log`, torn);
    const errors: string[] = [];
    const original = console.error;
    console.error = (msg: string) => errors.push(msg);
    let second;
    try {
      second = store(new StateDb(path, { exclusive: false }));
    } finally {
      console.error = original;
    }
    assert.match(errors.join("\n"), /last 20 bytes of .*ipx\.sqlite\.log were cut short/);
    assert.equal(second.s.lookup("a").state, "done");
    assert.deepEqual([...second.s.live()].map((r) => r.msgId), ["b"]);
    await second.s.close();
  }));

Deno.test("TaskStore over an in-memory database commits to SQLite, with no log", () => {
  const { s } = store();
  s.add(rec("m", 1));
  s.commit();
  assert.deepEqual(s.history(), ["m"]);
  assert.deepEqual(s.query({}).map((r) => r.msgId), ["m"]);
});
