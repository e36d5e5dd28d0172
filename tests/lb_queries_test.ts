/**
 * The task database seen from clients: getResult from any client, dbQuery, purgeResults,
 * queueStatus, history.
 */
import assert, { rejects } from "node:assert/strict";
import { RemoteError } from "../mod.ts";
import { startMemoryCluster } from "./_helpers/memory_cluster.ts";
import { whenFile } from "./_helpers/gates.ts";

Deno.test("getResult(msgId) works from a second client, for finished and running tasks", async () => {
  await using c = await startMemoryCluster({ engines: 2 });
  const lv = c.client.loadBalancedView();
  const done = lv.apply((x: number) => x * 2, 21);
  assert.equal(await done, 42);
  const failed = lv.apply(() => {
    throw new RangeError("nope");
  });
  await rejects(failed, RemoteError);
  const slow = lv.apply(whenFile, "late");
  const other = await c.newClient();
  const got = other.getResult(done.msgIds[0]!);
  assert.deepEqual(got.msgIds, done.msgIds);
  assert.deepEqual(await got, [42]);
  assert.deepEqual(got.engineIds, done.engineIds);
  await rejects(other.getResult(failed.msgIds), (e: unknown) => {
    assert(e instanceof RemoteError);
    assert.equal(e.ename, "RangeError");
    return true;
  });
  // a running task: both clients get its result when it finishes
  const watching = other.getResult(slow.msgIds);
  await Deno.writeTextFile(`${c.dataDir}/late`, "");
  assert.deepEqual(await watching, ["late"]);
  assert.equal(await slow, "late");
  // unknown ids fail with a reason instead of hanging
  await rejects(other.getResult("nope-1"), /no task with this id is known/);
});

Deno.test("getResult's metadata and elapsedMs are the task's, not the fetch's", async () => {
  await using c = await startMemoryCluster({ engines: 1 });
  const done = c.client.loadBalancedView().apply((x: number) => x + 1, 1);
  assert.equal(await done, 2);
  const [rec] = await c.client.dbQuery({ msgId: done.msgIds[0]! }, ["submitted", "completed"]);
  const submitted = rec!.submitted as number;
  const completed = rec!.completed as number;
  while (Date.now() <= completed) await new Promise((r) => setTimeout(r, 1)); // fetch strictly later
  const other = await c.newClient();
  const got = other.getResult(done.msgIds[0]!);
  assert.deepEqual(await got, [2]);
  assert.equal(got.metadata[0]!.submitted, submitted);
  assert.equal(got.metadata[0]!.completed, completed);
  assert.equal(got.elapsedMs, completed - submitted);
  // the submitting client keeps its own submission time
  assert(done.metadata[0]!.submitted <= submitted);
});

Deno.test("dbQuery filters on submitted/started/completed/engine/status; purgeResults drops records", async () => {
  await using c = await startMemoryCluster({ engines: 2 });
  const lv = c.client.loadBalancedView();
  const t0 = Date.now();
  const ars = Array.from({ length: 6 }, (_, i) => lv.apply((x: number) => x, i));
  await Promise.all(ars);
  const bad = lv.execute("null.x");
  await rejects(bad, RemoteError);
  const all = await c.client.dbQuery({});
  assert.equal(all.length, 7);
  const keys = Object.keys(all[0]!).sort();
  assert.deepEqual(keys, [
    "completed",
    "ename",
    "engineId",
    "kind",
    "label",
    "msgId",
    "started",
    "status",
    "submitted",
  ]);
  for (const r of all) {
    assert(typeof r.submitted === "number" && r.submitted >= t0 - 1000);
    assert((r.started as number) >= (r.submitted as number) - 1000);
    assert((r.completed as number) >= (r.started as number));
  }
  assert.equal((await c.client.dbQuery({ status: "ok" })).length, 6);
  assert.deepEqual(await c.client.dbQuery({ status: "error" }, ["ename"]), [
    { msgId: bad.msgIds[0], ename: "TypeError" },
  ]);
  const on0 = await c.client.dbQuery({ engineId: 0 }, ["engineId"]);
  const on1 = await c.client.dbQuery({ engine: 1 }, ["engineId"]);
  assert.equal(on0.length + on1.length, 7);
  const cut = all[3]!.submitted as number;
  const before = await c.client.dbQuery({ submitted: { $lt: cut } });
  const after = await c.client.dbQuery({ submitted: { $gte: cut } });
  assert.equal(before.length + after.length, 7);
  const ids = all.map((r) => r.msgId as string);
  const some = await c.client.dbQuery({ msgId: { $in: ids.slice(0, 2) } }, ["submitted"]);
  assert.deepEqual(some.map((r) => r.msgId), ids.slice(0, 2));
  assert.deepEqual(Object.keys(some[0]!), ["msgId", "submitted"]);
  await rejects(c.client.dbQuery({ colour: "red" }), /Cannot query task records by "colour"/);
  assert.deepEqual(await c.client.history(), ids);
  // purge
  assert.equal(await c.client.purgeResults(ids.slice(0, 2)), 2);
  await rejects(c.client.getResult(ids[0]!), /no task with this id is known/);
  assert.equal(await c.client.purgeResults("all"), 5);
  assert.deepEqual(await c.client.history(), []);
  // an unfinished task cannot be purged
  const open = lv.apply(async () => {
    await new Promise((r) => setTimeout(r, 60_000));
  });
  await rejects(c.client.purgeResults(open.msgIds), /has not finished|have not finished/);
  await open.abort();
  // a wrong argument is refused with what to pass, before anything is sent
  await rejects(
    // @ts-expect-error: not a valid argument
    c.client.purgeResults({ before: new Date() }),
    (e: unknown) => {
      assert(e instanceof TypeError);
      assert.match(e.message, /takes "all" or a list of task ids .* got an object with before$/);
      return true;
    },
  );
  // @ts-expect-error: not a valid argument
  await rejects(c.client.purgeResults([1, 2]), /got a list holding something else/);
});

Deno.test("queueStatus counts direct and load-balanced tasks per engine separately", async () => {
  await using c = await startMemoryCluster({ engines: 2 });
  await c.client.directView().apply(() => 1);
  await c.client.loadBalancedView({ targets: [1] }).apply(() => 1);
  const st = await c.client.queueStatus();
  assert.deepEqual(st[0], { queue: 0, completed: 1, tasks: 0 });
  assert.deepEqual(st[1], { queue: 0, completed: 2, tasks: 0 });
  assert.deepEqual(st.engines, { 0: st[0], 1: st[1] });
  assert.equal(st.unassigned, 0);
});
