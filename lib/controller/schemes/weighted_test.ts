import assert from "node:assert/strict";
import { createScheduler, type Scheduler } from "../scheduler.ts";
import { runSchedulerConformance, seededRandom } from "../scheduler_conformance.ts";
import type { EngineRecord } from "./_strategy.ts";
import { chooseWeighted, inverseLoadWeight } from "./weighted.ts";

runSchedulerConformance(
  "weighted",
  (options) => createScheduler({ ...options, scheme: "weighted" }),
);

/**
 * The exact distribution of the two-draw rule: engine i wins when drawn first against a draw of
 * weight <= its own, or drawn second against a strictly lighter first draw.
 */
function expectedShares(loads: readonly number[]): number[] {
  const weights = loads.map((load) => 1 / (1e-6 + load));
  const total = weights.reduce((a, b) => a + b, 0);
  const p = weights.map((w) => w / total);
  return weights.map((wi, i) => {
    let notHeavier = 0;
    let lighter = 0;
    weights.forEach((wj, j) => {
      if (wj <= wi) notHeavier += p[j]!;
      if (wj < wi) lighter += p[j]!;
    });
    return p[i]! * (notHeavier + lighter);
  });
}

/** Loads engine `id` with `count` tasks. */
function load(scheduler: Scheduler, id: number, count: number): void {
  for (let i = 0; i < count; i++) assert.equal(scheduler.acquire({ allowed: new Set([id]) }), id);
}

/** Picks `trials` times, releasing each pick at once, and returns the shares per id. */
function shares(
  scheduler: Scheduler,
  ids: readonly number[],
  trials: number,
  filter?: Parameters<Scheduler["acquire"]>[0],
): number[] {
  const counts = new Map<number, number>();
  for (let i = 0; i < trials; i++) {
    const id = scheduler.acquire(filter)!;
    counts.set(id, (counts.get(id) ?? 0) + 1);
    scheduler.release(id);
  }
  return ids.map((id) => (counts.get(id) ?? 0) / trials);
}

Deno.test("weighted: acquire() follows the inverse-load two-draw distribution", () => {
  const loads = [1, 2, 4, 8];
  const expected = expectedShares(loads);
  const scheduler = createScheduler({ scheme: "weighted", hwm: 0, random: seededRandom(31) });
  loads.forEach((count, id) => {
    scheduler.add(id);
    load(scheduler, id, count);
  });
  const got = shares(scheduler, [0, 1, 2, 3], 60_000);
  got.forEach((share, id) => assert.ok(Math.abs(share - expected[id]!) < 0.01, `${id}: ${share}`));
});

Deno.test("weighted: filtered acquire() keeps the distribution on every search path", () => {
  const loads = [1, 2, 4];
  const expected = expectedShares(loads);
  const scheduler = createScheduler({ scheme: "weighted", hwm: 0, random: seededRandom(32) });
  for (let id = 0; id < 40; id++) scheduler.add(id);
  loads.forEach((count, id) => load(scheduler, id, count));
  for (let id = 3; id < 40; id++) load(scheduler, id, 1 + (id % 3));
  const rest = Array.from({ length: 37 }, (_, i) => i + 3);
  const unknown = Array.from({ length: 20 }, (_, i) => i + 100);
  const filters = [
    { allowed: new Set([0, 1, 2]) }, // small allowed: direct scan
    { exclude: new Set(rest) }, // exclude: zeroed in the tree
    { allowed: new Set([0, 1, 2, ...unknown]) }, // rejection draws, often a scan after them
    { allowed: new Set([0, 1, 2, ...rest]), exclude: new Set(rest) }, // zeroed, then rejection
  ];
  for (const filter of filters) {
    const got = shares(scheduler, [0, 1, 2], 40_000, filter);
    got.forEach((share, id) =>
      assert.ok(Math.abs(share - expected[id]!) < 0.012, `${id}: ${share}`)
    );
  }
  // Zeroed weights were restored: engine 3 (load 1) is still drawn without a filter.
  const free = shares(scheduler, [3], 20_000);
  assert.ok(free[0]! > 0.01);
});

Deno.test("weighted: an idle engine is chosen over loaded ones almost always", () => {
  const scheduler = createScheduler({ scheme: "weighted", hwm: 0, random: seededRandom(33) });
  for (let id = 0; id < 8; id++) scheduler.add(id);
  for (let id = 1; id < 8; id++) load(scheduler, id, 1);
  assert.deepEqual(shares(scheduler, [0], 10_000), [1]);
});

Deno.test("chooseWeighted() matches the scheduler's rule", () => {
  const loads = [1, 2, 4, 8];
  const expected = expectedShares(loads);
  const records: EngineRecord[] = loads.map((outstanding, id) => ({
    id,
    outstanding,
    stamp: 0,
    slot: -1,
  }));
  const random = seededRandom(34);
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 60_000; i++) counts[chooseWeighted(records, random)!.id]!++;
  counts.forEach((count, id) => assert.ok(Math.abs(count / 60_000 - expected[id]!) < 0.01));
  assert.equal(chooseWeighted([], random), undefined);
});

Deno.test("inverseLoadWeight() is zero at the high-water mark", () => {
  const record: EngineRecord = { id: 0, outstanding: 2, stamp: 0, slot: -1 };
  assert.equal(inverseLoadWeight(2, record), 0);
  assert.equal(inverseLoadWeight(0, record), 1 / (1e-6 + 2));
  assert.equal(inverseLoadWeight(3, record), 1 / (1e-6 + 2));
});
