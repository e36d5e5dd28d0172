import assert from "node:assert/strict";
import { allowedCandidates, belowHwm, type EngineRecord, passes } from "./_strategy.ts";

const engine = (id: number, outstanding: number): EngineRecord => ({
  id,
  outstanding,
  stamp: 0,
  slot: -1,
});

Deno.test("belowHwm() treats 0 as unlimited", () => {
  assert.equal(belowHwm(0, engine(0, 1000)), true);
  assert.equal(belowHwm(2, engine(0, 1)), true);
  assert.equal(belowHwm(2, engine(0, 2)), false);
});

Deno.test("passes() applies allowed and exclude", () => {
  assert.equal(passes(undefined, 3), true);
  assert.equal(passes({ allowed: new Set([3]) }, 3), true);
  assert.equal(passes({ allowed: new Set([3]) }, 4), false);
  assert.equal(passes({ exclude: new Set([3]) }, 3), false);
  assert.equal(passes({ allowed: new Set([3]), exclude: new Set([3]) }, 3), false);
});

Deno.test("allowedCandidates() keeps known, free, non-excluded engines", () => {
  const records = new Map([[1, engine(1, 0)], [2, engine(2, 1)], [3, engine(3, 0)]]);
  const context = { hwm: 1, random: Math.random, lookup: (id: number) => records.get(id) };
  const got = allowedCandidates(context, new Set([1, 2, 3, 9]), new Set([3]));
  assert.deepEqual(got.map((r) => r.id), [1]);
});
