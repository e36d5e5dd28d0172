import assert from "node:assert/strict";
import type { Client, QueueStatus } from "../mod.ts";
import { startMemoryCluster } from "./_helpers/memory_cluster.ts";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** A task that runs about 30 ms (longer than the engine's `started` announcement). */
const nap = (x: number) => new Promise((resolve) => setTimeout(() => resolve(x), 30));

/**
 * Queue status once the tasks submitted just before are placed. A query sent in the same tick
 * shares their frame and is answered before the load balancer places them (it does so once
 * the frame's messages are handled); a second query comes in a later frame.
 */
async function placedNow(client: Client): Promise<QueueStatus> {
  await client.queueStatus();
  return await client.queueStatus();
}

Deno.test("the automatic mark queues more than 2 tiny tasks per engine, and starts a new batch at 1", async () => {
  await using c = await startMemoryCluster({ engines: 2 });
  const lv = c.client.loadBalancedView(); // no hwm: the controller's default, "auto"
  // tiny tasks: their run times raise the mark while the batch runs
  const tiny = lv.map((x: number) => x * 2, range(3000));
  let running = true;
  const done = tiny.then((values) => {
    running = false;
    return values;
  });
  let most = 0;
  while (running) {
    const s = await c.client.queueStatus();
    most = Math.max(most, s[0]!.tasks, s[1]!.tasks);
  }
  assert.deepEqual(await done, range(3000).map((x) => x * 2));
  assert.ok(most > 2 && most <= 16, `most tasks held by one engine: ${most}`);
  // the batch is over: the next one starts at 1 per engine (nothing behind a task of unknown
  // length)
  const naps = lv.map(nap, range(12));
  const during = await placedNow(c.client);
  assert.deepEqual([during[0]!.tasks, during[1]!.tasks], [1, 1]);
  assert.equal(during.unassigned, 10);
  assert.deepEqual(await naps, range(12));
});

Deno.test("a view's own hwm is kept, and hwm 'auto' is accepted from the view", async () => {
  await using c = await startMemoryCluster({ engines: 2 });
  const fixed = c.client.loadBalancedView({ hwm: 3 });
  await fixed.map((x: number) => x, range(300));
  const naps = fixed.map(nap, range(20));
  const during = await placedNow(c.client);
  assert.deepEqual([during[0]!.tasks, during[1]!.tasks], [3, 3]);
  await naps;
  const auto = c.client.loadBalancedView({ hwm: "auto" });
  assert.deepEqual(await auto.map((x: number) => x + 1, range(50)), range(50).map((x) => x + 1));
  assert.throws(() => c.client.loadBalancedView({ hwm: "fast" as "auto" }), RangeError);
});
