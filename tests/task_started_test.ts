/**
 * A task still running after STARTED_AFTER_MS is announced: its record says "running" with its
 * start time, and the client's metadata has the start before the result; a short task is not
 * announced (it carries its start time in its result).
 */
import assert from "node:assert/strict";
import { STARTED_AFTER_MS } from "../lib/protocol/messages.ts";
import { startMemoryCluster } from "./_helpers/memory_cluster.ts";
import { whenFile } from "./_helpers/gates.ts";

const BOUND_MS = 20_000;

Deno.test("a long task is announced as running before it ends; tiny ones between still run", async () => {
  await using c = await startMemoryCluster({ engines: 1 });
  const lv = c.client.loadBalancedView();
  // tiny tasks first: the engine's announcement timer serves runs of jobs
  assert.deepEqual(await lv.map((x: number) => x + 1, [1, 2, 3]), [2, 3, 4]);
  const before = Date.now();
  const long = lv.apply(whenFile, "done");
  // wait for the controller to mark it running (each query is a round trip; no sleeps)
  const deadline = Date.now() + BOUND_MS;
  let status = "";
  while (status !== "running") {
    assert.ok(Date.now() < deadline, `still "${status}" after ${BOUND_MS} ms`);
    const rows = await c.client.dbQuery({ msgId: long.msgIds[0]! }, ["status", "started"]);
    status = String(rows[0]?.status);
  }
  const announcedAfter = Date.now() - before;
  assert.ok(announcedAfter >= STARTED_AFTER_MS, `announced after ${announcedAfter} ms`);
  const started = long.metadata[0]!.started;
  assert.ok(started !== undefined && started >= before - 5, "the client knows the start");
  assert.equal(long.metadata[0]!.status, "pending");
  await Deno.writeTextFile(`${c.dataDir}/done`, "");
  assert.equal(await long, "done");
  // the result carries the executor's own start stamp, taken in the same tick (±1 ms)
  assert.ok(Math.abs(long.metadata[0]!.started! - started) <= 50, "the same start");
  // short tasks after it: results as usual
  assert.deepEqual(await lv.map((x: number) => x * 2, [1, 2]), [2, 4]);
});
