import assert from "node:assert/strict";
import { createScheduler } from "../scheduler.ts";
import { runSchedulerConformance, seededRandom } from "../scheduler_conformance.ts";

runSchedulerConformance("random", (options) => createScheduler({ ...options, scheme: "random" }));

/**
 * Counts picks over `trials` acquire+release cycles, so loads stay constant.
 */
function histogram(
  scheduler: ReturnType<typeof createScheduler>,
  trials: number,
  filter?: Parameters<ReturnType<typeof createScheduler>["acquire"]>[0],
): Map<number, number> {
  const counts = new Map<number, number>();
  for (let i = 0; i < trials; i++) {
    const id = scheduler.acquire(filter);
    assert.ok(id !== undefined);
    counts.set(id, (counts.get(id) ?? 0) + 1);
    scheduler.release(id);
  }
  return counts;
}

Deno.test("random: acquire() is uniform over engines below hwm", () => {
  const scheduler = createScheduler({ scheme: "random", hwm: 2, random: seededRandom(11) });
  for (let id = 0; id < 10; id++) scheduler.add(id);
  // Fill engine 9 to the mark; it must never be drawn.
  scheduler.acquire({ allowed: new Set([9]) });
  scheduler.acquire({ allowed: new Set([9]) });
  const counts = histogram(scheduler, 90_000);
  assert.equal(counts.get(9), undefined);
  for (let id = 0; id < 9; id++) {
    const share = (counts.get(id) ?? 0) / 90_000;
    assert.ok(Math.abs(share - 1 / 9) < 0.01, `engine ${id}: ${share}`);
  }
});

Deno.test("random: filtered acquire() stays uniform on every search path", () => {
  const scheduler = createScheduler({ scheme: "random", hwm: 0, random: seededRandom(12) });
  for (let id = 0; id < 40; id++) scheduler.add(id);
  const filters = [
    { exclude: new Set([0, 1, 2]) }, // rejection draws
    { exclude: new Set(Array.from({ length: 36 }, (_, i) => i)) }, // scan fallback
    { allowed: new Set([5, 6, 7, 8]) }, // small allowed scan
  ];
  for (const filter of filters) {
    const counts = histogram(scheduler, 40_000, filter);
    const share = 1 / counts.size;
    for (const [id, count] of counts) {
      assert.ok(Math.abs(count / 40_000 - share) < 0.015, `engine ${id}: ${count}`);
    }
  }
});

Deno.test("random: the same seed gives the same picks", () => {
  const picks = (seed: number) => {
    const scheduler = createScheduler({ scheme: "random", hwm: 0, random: seededRandom(seed) });
    for (let id = 0; id < 8; id++) scheduler.add(id);
    return Array.from({ length: 50 }, () => scheduler.acquire());
  };
  assert.deepEqual(picks(5), picks(5));
  assert.notDeepEqual(picks(5), picks(6));
});
