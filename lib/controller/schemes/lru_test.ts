import assert from "node:assert/strict";
import { createScheduler } from "../scheduler.ts";
import {
  randomFilter,
  ReferenceModel,
  runSchedulerConformance,
  seededRandom,
} from "../scheduler_conformance.ts";

runSchedulerConformance("lru", (options) => createScheduler({ ...options, scheme: "lru" }));

Deno.test("lru: acquire() cycles through engines regardless of load", () => {
  const scheduler = createScheduler({ scheme: "lru", hwm: 0 });
  for (const id of [0, 1, 2]) scheduler.add(id);
  const picks = Array.from({ length: 7 }, () => scheduler.acquire());
  assert.deepEqual(picks, [0, 1, 2, 0, 1, 2, 0]);
  assert.equal(scheduler.outstanding(0), 3);
});

Deno.test("lru: a released engine rejoins at its old place, not at the back", () => {
  const scheduler = createScheduler({ scheme: "lru", hwm: 1 });
  for (const id of [0, 1, 2]) scheduler.add(id);
  assert.deepEqual([scheduler.acquire(), scheduler.acquire(), scheduler.acquire()], [0, 1, 2]);
  scheduler.release(2);
  scheduler.release(0);
  // 0 was assigned before 2, so it is less recently used even though it was freed later.
  assert.equal(scheduler.acquire(), 0);
  assert.equal(scheduler.acquire(), 2);
  assert.equal(scheduler.acquire(), undefined);
});

Deno.test("lru: acquire() agrees exactly with the reference model", () => {
  for (const hwm of [0, 1, 3]) {
    const random = seededRandom(200 + hwm);
    const scheduler = createScheduler({ scheme: "lru", hwm });
    const model = new ReferenceModel(hwm);
    for (let id = 0; id < 40; id++) {
      scheduler.add(id);
      model.add(id);
    }
    for (let step = 0; step < 6000; step++) {
      const roll = random();
      if (roll < 0.5) {
        const filter = roll < 0.3 ? undefined : randomFilter(random, 40);
        const expected = model.leastRecent(filter);
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
