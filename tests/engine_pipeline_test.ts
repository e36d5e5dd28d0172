/**
 * An engine hands small tasks to its code Worker ahead of time (see `lib/engine/op_slots.ts`);
 * stopping one that has not started yet still means it never runs.
 */
import assert, { rejects } from "node:assert/strict";
import { TaskAborted } from "../mod.ts";
import { startMemoryCluster } from "./_helpers/memory_cluster.ts";
import { whenFile } from "./_helpers/gates.ts";

/** Appends `tag` to `runs.txt` in the engine's data dir. */
function record(tag: string): string {
  Deno.writeTextFileSync("runs.txt", `${tag}\n`, { append: true });
  return tag;
}

function runs(dir: string): string[] {
  try {
    return Deno.readTextFileSync(`${dir}/runs.txt`).split("\n").filter((l) => l !== "");
  } catch {
    return [];
  }
}

Deno.test("aborting a task handed to the engine but not started: it never runs, the rest do", async () => {
  await using c = await startMemoryCluster({ engines: 1 });
  const view = c.client.directView([0]);
  for (let i = 0; i < 3; i++) await view.apply(() => 0); // tiny: later ones go ahead
  const started = Promise.withResolvers<void>();
  const blocking = view.apply(whenFile, "go", "blocking");
  blocking.onOutput(() => started.resolve());
  const aborted = view.apply(record, "aborted");
  const after = view.apply(record, "after");
  await started.promise; // it runs; the two behind it are with the engine
  await aborted.abort();
  await rejects(aborted, (e: unknown) => {
    assert(e instanceof TaskAborted);
    assert.match(e.evalue, /aborted before it started/);
    return true;
  });
  Deno.writeTextFileSync(`${c.dataDir}/go`, "");
  assert.deepEqual(await blocking, ["go"]);
  assert.deepEqual(await after, ["after"]);
  assert.deepEqual(runs(c.dataDir), ["after"]);
});

Deno.test("a task's timeout counts from its start, not from when it was handed over", async () => {
  await using c = await startMemoryCluster({ engines: 1 });
  const lv = c.client.loadBalancedView({ hwm: 0 });
  for (let i = 0; i < 3; i++) await lv.apply(() => 0);
  const started = Promise.withResolvers<void>();
  const blocking = lv.apply(whenFile, "go", "blocking");
  blocking.onOutput(() => started.resolve());
  // handed over behind the blocking task; it has 300 ms once it starts, and needs ~0
  const quick = lv.with({ timeoutMs: 300 }).apply(() => "quick");
  await started.promise;
  // the condition under test: it waits longer than its timeout before it starts
  await new Promise((r) => setTimeout(r, 500));
  Deno.writeTextFileSync(`${c.dataDir}/go`, "");
  assert.equal(await blocking, "go");
  assert.equal(await quick, "quick");
});
