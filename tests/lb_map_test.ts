/**
 * Load-balanced map and imap on an in-memory cluster: ordering, chunking, lazy input.
 */
import assert from "node:assert/strict";
import { startMemoryCluster } from "./_helpers/memory_cluster.ts";

/** Source of a task that returns `x` once the file `go-<x>` exists in the engine's data dir. */
async function waitForGo(x: number): Promise<number> {
  for (;;) {
    try {
      Deno.statSync(`go-${x}`);
      return x;
    } catch {
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

Deno.test("map: ordered gives input order, ordered:false iterates in completion order", async () => {
  await using c = await startMemoryCluster({ engines: 3 });
  // hwm 1: each of the 3 engines runs one item, so items can finish in any order
  const lv = c.client.loadBalancedView({ hwm: 1 });
  const unordered = lv.map(waitForGo, [10, 11, 12], { ordered: false });
  // release the unordered items in reverse order, checking each arrives first
  const it = unordered[Symbol.asyncIterator]();
  const got: number[] = [];
  for (const x of [12, 10, 11]) {
    await Deno.writeTextFile(`${c.dataDir}/go-${x}`, "");
    const next = await it.next();
    assert.equal(next.done, false);
    got.push(next.value as number);
  }
  assert.deepEqual(got, [12, 10, 11]);
  assert.equal((await it.next()).done, true);
  assert.deepEqual(await unordered, [10, 11, 12]); // awaiting is always in input order
  // the ordered map: release 2, 1, 0; iteration and the awaited value keep input order
  const ordered = lv.map(waitForGo, [0, 1, 2]);
  const seen: number[] = [];
  const consumer = (async () => {
    for await (const v of ordered) seen.push(v);
  })();
  for (const x of [2, 1, 0]) await Deno.writeTextFile(`${c.dataDir}/go-${x}`, "");
  await consumer;
  assert.deepEqual(seen, [0, 1, 2]);
  assert.deepEqual(await ordered, [0, 1, 2]);
});

Deno.test("map of 1,000 items with chunksize 100 sends 10 tasks and keeps order", async () => {
  await using c = await startMemoryCluster({ engines: 2 });
  const lv = c.client.loadBalancedView({ label: "chunked" });
  const items = Array.from({ length: 1000 }, (_, i) => i);
  const ar = lv.map((x: number) => x * 2, items, { chunksize: 100 });
  assert.equal(ar.msgIds.length, 10);
  assert.equal(ar.length, 10);
  assert.deepEqual(await ar, items.map((x) => x * 2));
  const records = await c.client.dbQuery({ label: "chunked" }, ["status", "engineId"]);
  assert.equal(records.length, 10);
  assert(records.every((r) => r.status === "ok"));
  // both engines took part
  assert.deepEqual(new Set(records.map((r) => r.engineId)), new Set([0, 1]));
  // chunks that do not divide evenly, and an empty input
  assert.equal(lv.map((x: number) => x, items.slice(0, 7), { chunksize: 3 }).msgIds.length, 3);
  assert.deepEqual(await lv.map((x: number) => x, []), []);
});

Deno.test("imap over an infinite generator with maxOutstanding 5 pulls at most 10 after two reads", async () => {
  await using c = await startMemoryCluster({ engines: 2 });
  const lv = c.client.loadBalancedView();
  let pulled = 0;
  function* naturals(): Generator<number> {
    for (let i = 0;; i++) {
      pulled++;
      yield i;
    }
  }
  const out: number[] = [];
  for await (const v of lv.imap((x: number) => x * x, naturals(), { maxOutstanding: 5 })) {
    out.push(v);
    if (out.length === 2) break;
  }
  assert.deepEqual(out, [0, 1]);
  assert(pulled <= 10, `pulled ${pulled} items`);
  assert(pulled >= 2);
  // leaving the loop aborts what is still in flight; the view ends up with nothing open
  await lv.abort();
  assert.deepEqual(lv.outstanding, []);
  assert.equal(await lv.apply(() => 7), 7);
});

Deno.test("imap keeps at most maxOutstanding tasks in flight and can yield in completion order", async () => {
  await using c = await startMemoryCluster({ engines: 2 });
  const lv = c.client.loadBalancedView();
  let pulled = 0;
  let maxInFlight = 0;
  async function* source(): AsyncGenerator<number> {
    for (let i = 0; i < 20; i++) {
      pulled++;
      maxInFlight = Math.max(maxInFlight, lv.outstanding.length);
      yield i;
    }
  }
  const got: number[] = [];
  for await (const v of lv.imap((x: number) => x + 100, source(), { maxOutstanding: 3 })) {
    got.push(v);
  }
  assert.deepEqual(got, Array.from({ length: 20 }, (_, i) => i + 100));
  assert.equal(pulled, 20);
  assert(maxInFlight <= 3, `in flight: ${maxInFlight}`);
  const unordered: number[] = [];
  for await (
    const v of lv.imap((x: number) => x, [1, 2, 3, 4], { maxOutstanding: 2, ordered: false })
  ) unordered.push(v);
  assert.deepEqual(unordered.sort(), [1, 2, 3, 4]);
});
