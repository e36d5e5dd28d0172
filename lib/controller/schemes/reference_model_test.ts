import assert from "node:assert/strict";
import { randomFilter, ReferenceModel } from "./reference_model.ts";
import { seededRandom } from "./seeded_random.ts";

Deno.test("ReferenceModel predicts leastload and lru picks", () => {
  const model = new ReferenceModel(2);
  for (const id of [0, 1, 2]) model.add(id);
  assert.equal(model.leastLoaded(), 0);
  model.acquired(0);
  model.acquired(1);
  assert.equal(model.leastLoaded(), 2);
  assert.equal(model.leastRecent(), 2);
  assert.ok(model.stamp(2)! < 0 && model.stamp(1)! > model.stamp(0)!);
  assert.equal(model.stamp(7), undefined);
  model.acquired(2);
  model.acquired(0);
  assert.deepEqual(model.candidates(), [1, 2]);
  assert.equal(model.available, 2);
  assert.equal(model.leastRecent(), 1);
  assert.equal(model.leastLoaded({ exclude: new Set([1]) }), 2);
  assert.equal(model.release(0), true);
  assert.equal(model.release(9), false);
  assert.equal(model.remove(2), true);
  assert.deepEqual(model.ids(), [0, 1]);
  assert.equal(model.outstanding(2), 0);
});

Deno.test("randomFilter() produces every kind of filter", () => {
  const random = seededRandom(9);
  const kinds = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const filter = randomFilter(random, 30);
    kinds.add(filter === undefined ? "none" : Object.keys(filter).sort().join("+"));
  }
  assert.deepEqual([...kinds].sort(), ["allowed", "allowed+exclude", "exclude", "none"]);
});
