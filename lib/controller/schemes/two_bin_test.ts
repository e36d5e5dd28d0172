import assert from "node:assert/strict";
import { createScheduler } from "../scheduler.ts";
import { runSchedulerConformance, seededRandom } from "../scheduler_conformance.ts";

runSchedulerConformance("twobin", (options) => createScheduler({ ...options, scheme: "twobin" }));

Deno.test("twobin: acquire() returns the less recently used of two uniform draws", () => {
  // With four fresh engines ranked 0 < 1 < 2 < 3 by recency, engine k wins when both draws are
  // >= k and one equals k: P(k) = ((4 - k)^2 - (3 - k)^2) / 16 = 7/16, 5/16, 3/16, 1/16.
  const random = seededRandom(21);
  const counts = [0, 0, 0, 0];
  const trials = 40_000;
  for (let i = 0; i < trials; i++) {
    const scheduler = createScheduler({ scheme: "twobin", hwm: 0, random });
    for (const id of [0, 1, 2, 3]) scheduler.add(id);
    counts[scheduler.acquire()!]!++;
  }
  const expected = [7 / 16, 5 / 16, 3 / 16, 1 / 16];
  counts.forEach((count, k) => {
    assert.ok(Math.abs(count / trials - expected[k]!) < 0.01, `engine ${k}: ${count}`);
  });
});

Deno.test("twobin: acquire() spreads steady work over all engines", () => {
  const scheduler = createScheduler({ scheme: "twobin", hwm: 0, random: seededRandom(22) });
  for (let id = 0; id < 8; id++) scheduler.add(id);
  const counts = new Map<number, number>();
  for (let i = 0; i < 16_000; i++) {
    const id = scheduler.acquire()!;
    counts.set(id, (counts.get(id) ?? 0) + 1);
    scheduler.release(id);
  }
  // Preferring the older draw evens out use more than plain random does.
  for (const [id, count] of counts) {
    assert.ok(Math.abs(count - 2000) < 200, `engine ${id}: ${count}`);
  }
});
