import assert from "node:assert/strict";
import { seededRandom } from "./seeded_random.ts";
import { EngineArray, randomIndex, uniformChoice } from "./_engine_array.ts";
import type { EngineRecord, StrategyContext } from "./_strategy.ts";

function record(id: number): EngineRecord {
  return { id, outstanding: 0, stamp: 0, slot: -1 };
}

Deno.test("EngineArray keeps slots consistent under push and delete", () => {
  const engines = new EngineArray();
  const records = [0, 1, 2, 3].map(record);
  for (const r of records) engines.push(r);
  engines.delete(records[1]!);
  assert.equal(records[1]!.slot, -1);
  assert.equal(records[3]!.slot, 1);
  engines.delete(records[3]!);
  engines.delete(records[2]!);
  assert.equal(engines.size, 1);
  assert.ok(engines.has(records[0]!));
  assert.ok(!engines.has(records[2]!));
  assert.equal(engines.sample(Math.random), records[0]);
  engines.delete(records[0]!);
  assert.equal(engines.sample(Math.random), undefined);
});

Deno.test("EngineArray.sampleMatching() only returns matching records", () => {
  const records = new Map<number, EngineRecord>();
  const engines = new EngineArray();
  for (let id = 0; id < 30; id++) {
    const r = record(id);
    records.set(id, r);
    engines.push(r);
  }
  const context: StrategyContext = {
    hwm: 0,
    random: seededRandom(5),
    lookup: (id) => records.get(id),
  };
  const exclude = new Set(Array.from({ length: 29 }, (_, i) => i));
  for (let i = 0; i < 20; i++) assert.equal(engines.sampleMatching({ exclude }, context)?.id, 29);
  assert.equal(engines.sampleMatching({ allowed: new Set([31]) }, context), undefined);
  assert.equal(engines.sampleMatching({ allowed: new Set([4]) }, context)?.id, 4);
  assert.notEqual(engines.sampleMatching(undefined, context), undefined);
});

Deno.test("randomIndex() stays in range even for a random() of 1", () => {
  assert.equal(randomIndex(5, () => 1), 4);
  assert.equal(randomIndex(5, () => 0), 0);
  assert.equal(uniformChoice([], Math.random), undefined);
});
