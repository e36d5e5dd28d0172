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

Deno.test("the automatic mark queues more than 2 tiny tasks per engine and 2 long ones", async () => {
  await using c = await startMemoryCluster({ engines: 2 });
  const lv = c.client.loadBalancedView(); // no hwm: the controller's default, "auto"
  // tiny tasks: their run times raise the mark
  assert.deepEqual(await lv.map((x: number) => x * 2, range(300)), range(300).map((x) => x * 2));
  // the next batch is placed at once, in the frame it came in, up to the mark on each engine
  const naps = lv.map(nap, range(40));
  const during = await placedNow(c.client);
  const placed = [during[0]!.tasks, during[1]!.tasks];
  assert.ok(placed.every((n) => n > 2 && n <= 16), `placed per engine: ${placed}`);
  assert.equal(during.unassigned, 40 - placed[0]! - placed[1]!);
  assert.deepEqual(await naps, range(40));
  // those ran 30 ms each: the mark is back at 2 for the next batch
  const again = lv.map(nap, range(12));
  const after = await placedNow(c.client);
  assert.deepEqual([after[0]!.tasks, after[1]!.tasks], [2, 2]);
  assert.deepEqual(await again, range(12));
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
