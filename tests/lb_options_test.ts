/**
 * Load-balanced task options on an in-memory cluster: retries, timeouts, abort, dependencies.
 */
import assert, { rejects } from "node:assert/strict";
import {
  ImpossibleDependency,
  InvalidDependency,
  RemoteError,
  TaskAborted,
  TaskTimeout,
} from "../mod.ts";
import { startMemoryCluster } from "./_helpers/memory_cluster.ts";
import { whenFile } from "./_helpers/gates.ts";

/** Fails on an engine whose namespace has `bad` set. */
function failsWhereBad(): string {
  // deno-lint-ignore no-explicit-any
  if ((globalThis as any).bad) throw new Error("bad engine");
  return "ok";
}

Deno.test("retries: a task that fails on one engine is re-run on another", async () => {
  await using c = await startMemoryCluster({ engines: 2 });
  await c.client.directView(0).execute("globalThis.bad = true");
  // a fresh scheduler places the first task on engine 0 (never-used engines go in id order)
  const lv = c.client.loadBalancedView({ retries: 1 });
  const ar = lv.apply(failsWhereBad);
  assert.equal(await ar, "ok");
  assert.deepEqual(ar.engineIds, [1]);
  // without retries, the task placed on engine 0 fails there
  const plain = c.client.loadBalancedView({ scheme: "lru" });
  const first = plain.apply(failsWhereBad);
  await rejects(first, (e: unknown) => {
    assert(e instanceof RemoteError);
    assert.equal(e.evalue, "bad engine");
    assert.equal(e.engineId, 0);
    return true;
  });
  const [rec] = await c.client.dbQuery({ msgId: ar.msgIds[0]! }, ["engineId", "status"]);
  assert.deepEqual(rec, { msgId: ar.msgIds[0], engineId: 1, status: "ok" });
});

Deno.test("retries: a task that fails everywhere fails with its own error once every engine tried", async () => {
  await using c = await startMemoryCluster({ engines: 2 });
  const ar = c.client.loadBalancedView({ retries: 5 }).apply(() => {
    throw new RangeError("always");
  });
  await rejects(ar, (e: unknown) => {
    assert(e instanceof RemoteError);
    assert.equal(e.ename, "RangeError");
    assert.match(
      e.evalue,
      /^always \(retries stopped: .* engine\(s\) [01], [01] and there is no other engine\)$/,
    );
    return true;
  });
});

Deno.test("timeoutMs 200: while(true){} fails with TaskTimeout and the engine takes new work", async () => {
  await using c = await startMemoryCluster({ engines: 1 });
  const lv = c.client.loadBalancedView();
  const spin = lv.with({ timeoutMs: 200 }).apply(() => {
    while (true) { /* spin */ }
  });
  await rejects(spin, (e: unknown) => {
    assert(e instanceof TaskTimeout, String(e));
    assert.match(e.evalue, /ran longer than its timeout of 200 ms and was stopped/);
    assert.match(e.evalue, /namespace was reset/);
    assert.equal(e.engineId, 0);
    return true;
  });
  assert.equal(await lv.apply((x: number) => x + 1, 41), 42);
  assert.deepEqual(await c.client.directView().execute("1 + 1"), [2]);
  const [rec] = await c.client.dbQuery({ msgId: spin.msgIds[0]! }, ["status", "ename"]);
  assert.deepEqual(rec, { msgId: spin.msgIds[0], status: "error", ename: "TaskTimeout" });
  // a task that finishes in time is unaffected by its timeout
  assert.equal(await lv.with({ timeoutMs: 10_000 }).apply(() => "fast"), "fast");
});

Deno.test("abort: queued tasks fail with TaskAborted, running ones are stopped", async () => {
  await using c = await startMemoryCluster({ engines: 1 });
  const lv = c.client.loadBalancedView({ hwm: 1 });
  const running = lv.apply(whenFile, "never");
  const queued = lv.apply(whenFile, "never-either");
  const started = Promise.withResolvers<void>();
  // wait until the first task runs (its engine is known once it is assigned and started)
  const poll = setInterval(async () => {
    const st = await c.client.queueStatus();
    if (st[0]?.tasks === 1 && st.unassigned === 1) started.resolve();
  }, 10);
  await started.promise;
  clearInterval(poll);
  const status = await c.client.queueStatus();
  assert.deepEqual(status.engines[0], { queue: 0, completed: 0, tasks: 1 });
  assert.equal(status.unassigned, 1);
  await queued.abort();
  await rejects(queued, (e: unknown) => {
    assert(e instanceof TaskAborted);
    assert.match(e.evalue, /aborted before it started/);
    return true;
  });
  await running.abort();
  await rejects(running, TaskAborted);
  assert.equal(await lv.apply(() => "after"), "after");
  // view.abort() settles everything the view has open, queued or running
  const a = lv.apply(whenFile, "nope-1");
  const b = lv.apply(whenFile, "nope-2");
  const d = lv.with({ retries: 1 }).apply(whenFile, "nope-3"); // with() shares the view's tasks
  await lv.abort();
  for (const ar of [a, b, d]) await rejects(ar, TaskAborted);
  assert.deepEqual(lv.outstanding, []);
  // aborting something already finished is a no-op
  const done = lv.apply(() => 1);
  assert.equal(await done, 1);
  await done.abort();
  assert.equal(await done, 1);
  // every task that reached engine 0 was completed there (aborted or not)
  const reached = await c.client.dbQuery({ engineId: 0 });
  const final = await c.client.queueStatus();
  assert.deepEqual(final[0], { queue: 0, completed: reached.length, tasks: 0 });
  assert.equal(final.unassigned, 0);
});

Deno.test("after/follow: order and placement follow dependencies", async () => {
  await using c = await startMemoryCluster({ engines: 2 });
  const lv = c.client.loadBalancedView();
  const first = lv.apply(whenFile, "go-first");
  const after = lv.with({ after: [first] }).apply(() => Date.now());
  const follow = lv.with({ follow: [first] }).apply(() => "followed");
  await Deno.writeTextFile(`${c.dataDir}/go-first`, "");
  await first;
  const t = await after;
  assert(t >= first.metadata[0]!.completed!, "after ran before its dependency finished");
  assert.equal(await follow, "followed");
  assert.deepEqual(follow.engineIds, first.engineIds);
  // dependencies by msg id work too
  assert.equal(await lv.with({ after: first.msgIds }).apply(() => 3), 3);
});

Deno.test("dependencies that cannot be met fail with a clear error", async () => {
  await using c = await startMemoryCluster({ engines: 2 });
  const lv = c.client.loadBalancedView();
  await rejects(lv.with({ after: ["no-such-task"] }).apply(() => 1), (e: unknown) => {
    assert(e instanceof InvalidDependency, String(e));
    assert.match(e.evalue, /depends on no-such-task, which the controller does not know/);
    return true;
  });
  const failing = lv.apply(() => {
    throw new Error("boom");
  });
  const dependant = lv.with({ after: [failing] }).apply(() => 1);
  await rejects(dependant, (e: unknown) => {
    assert(e instanceof ImpossibleDependency, String(e));
    assert.match(e.evalue, /dependency .* failed \(Error\)/);
    return true;
  });
  await rejects(failing, RemoteError);
  // follow tasks that ran on different engines
  const on0 = c.client.loadBalancedView({ targets: [0] }).apply(() => 0);
  const on1 = c.client.loadBalancedView({ targets: [1] }).apply(() => 1);
  await Promise.all([on0, on1]);
  await rejects(lv.with({ follow: [on0, on1] }).apply(() => 2), /ran on different engines/);
  // targets that are not registered
  await rejects(c.client.loadBalancedView({ targets: [99] }).apply(() => 1), (e: unknown) => {
    assert(e instanceof ImpossibleDependency);
    assert.match(e.evalue, /none of its target engines \(99\) is registered/);
    return true;
  });
  // bad options are refused on the client before anything is sent
  assert.throws(() => lv.with({ after: [42 as unknown as string] }), TypeError);
  assert.throws(() => c.client.loadBalancedView({ retries: -1 }), RangeError);
  assert.throws(
    () => lv.with({ scheme: "fastest" as "lru" }),
    /^RangeError: Invalid 'scheme': "fastest" is not one; use leastload, lru, random, twobin, weighted$/,
  );
  assert.throws(
    () => lv.with({ targets: [0, "1" as unknown as number] }),
    /^TypeError: Invalid 'targets': expected a list of engine ids .* got \[0, 1\]$/,
  );
  assert.throws(() => lv.with({ targets: 0 as unknown as number[] }), /got 0$/);
});

Deno.test("every scheme places a view's tasks and uses every engine", async () => {
  await using c = await startMemoryCluster({ engines: 2 });
  for (const scheme of ["leastload", "lru", "random", "twobin", "weighted"] as const) {
    const lv = c.client.loadBalancedView({ scheme, hwm: 1, label: scheme });
    const items = Array.from({ length: 12 }, (_, i) => i);
    assert.deepEqual(await lv.map((x: number) => x - 1, items), items.map((x) => x - 1));
    const recs = await c.client.dbQuery({ label: scheme }, ["engineId"]);
    assert.deepEqual(new Set(recs.map((r) => r.engineId)), new Set([0, 1]), scheme);
  }
});
