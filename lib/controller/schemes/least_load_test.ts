import assert from "node:assert/strict";
import { createScheduler } from "../scheduler.ts";
import {
  randomFilter,
  ReferenceModel,
  runSchedulerConformance,
  seededRandom,
} from "../scheduler_conformance.ts";

runSchedulerConformance(
  "leastload",
  (options) => createScheduler({ ...options, scheme: "leastload" }),
);

Deno.test("leastload: acquire() picks the engine with the fewest outstanding tasks", () => {
  const scheduler = createScheduler({ scheme: "leastload", hwm: 0 });
  for (const id of [0, 1, 2]) scheduler.add(id);
  // Load 0 with three tasks and 1 with one; 2 stays idle.
  for (let i = 0; i < 3; i++) scheduler.acquire({ allowed: new Set([0]) });
  scheduler.acquire({ allowed: new Set([1]) });
  assert.equal(scheduler.acquire(), 2);
  assert.equal(scheduler.acquire(), 1); // 1 and 2 both have one task; 1 was assigned earlier
  assert.equal(scheduler.acquire(), 2);
  scheduler.release(0);
  scheduler.release(0);
  assert.equal(scheduler.acquire(), 0); // 0 is down to one task
});

Deno.test("leastload: acquire() breaks ties by least recent assignment, new engines first", () => {
  const scheduler = createScheduler({ scheme: "leastload", hwm: 0 });
  for (const id of [10, 11, 12]) scheduler.add(id);
  assert.deepEqual([scheduler.acquire(), scheduler.acquire(), scheduler.acquire()], [10, 11, 12]);
  for (const id of [12, 10, 11]) scheduler.release(id); // release order does not matter
  assert.deepEqual([scheduler.acquire(), scheduler.acquire()], [10, 11]);
  scheduler.add(13); // idle newcomer beats every used engine of equal load
  scheduler.release(10);
  scheduler.release(11);
  assert.deepEqual([scheduler.acquire(), scheduler.acquire(), scheduler.acquire()], [13, 12, 10]);
});

Deno.test("leastload: acquire() agrees exactly with the reference model", () => {
  for (const hwm of [0, 1, 2, 4]) {
    const random = seededRandom(100 + hwm);
    const scheduler = createScheduler({ scheme: "leastload", hwm });
    const model = new ReferenceModel(hwm);
    for (let id = 0; id < 40; id++) {
      scheduler.add(id);
      model.add(id);
    }
    for (let step = 0; step < 6000; step++) {
      const roll = random();
      if (roll < 0.5) {
        const filter = roll < 0.3 ? undefined : randomFilter(random, 40);
        const expected = model.leastLoaded(filter);
        assert.equal(scheduler.acquire(filter), expected, `hwm ${hwm}, step ${step}`);
        if (expected !== undefined) model.acquired(expected);
      } else if (roll < 0.97) {
        const busy = model.ids().filter((id) => model.outstanding(id) > 0);
        const id = busy[Math.floor(random() * busy.length)];
        if (id !== undefined) assert.equal(scheduler.release(id), model.release(id));
      } else if (roll < 0.985) {
        const id = Math.floor(random() * 50);
        assert.equal(scheduler.remove(id), model.remove(id));
      } else {
        const id = Math.floor(random() * 50);
        if (!model.has(id)) {
          scheduler.add(id);
          model.add(id);
        }
      }
    }
  }
});
