import assert from "node:assert/strict";
import { pickFromHeap } from "./_heap_pick.ts";
import { IndexedHeap } from "./_indexed_heap.ts";
import type { EngineRecord, StrategyContext } from "./_strategy.ts";

function less(a: EngineRecord, b: EngineRecord): boolean {
  return a.outstanding < b.outstanding || (a.outstanding === b.outstanding && a.id < b.id);
}

/** 40 engines with loads `id % 4`, hwm 3 (loads of 3 are full). */
function setup(): { heap: IndexedHeap<EngineRecord>; context: StrategyContext } {
  const records = new Map<number, EngineRecord>();
  const heap = new IndexedHeap<EngineRecord>(less);
  for (let id = 0; id < 40; id++) {
    const record = { id, outstanding: id % 4, stamp: 0, slot: -1 };
    records.set(id, record);
    heap.push(record);
  }
  return { heap, context: { hwm: 3, random: Math.random, lookup: (id) => records.get(id) } };
}

const prune = (record: EngineRecord) => record.outstanding >= 3;

Deno.test("pickFromHeap() takes the top without a filter", () => {
  const { heap, context } = setup();
  assert.equal(pickFromHeap(heap, undefined, context, { less, prune })?.id, 0);
});

Deno.test("pickFromHeap() finds the best match on each filter path", () => {
  const { heap, context } = setup();
  const pick = (filter: Parameters<typeof pickFromHeap>[1]) =>
    pickFromHeap(heap, filter, context, { less, prune })?.id;
  assert.equal(pick({ exclude: new Set([0, 4, 8]) }), 12);
  assert.equal(pick({ allowed: new Set([3, 7, 9, 6]) }), 9); // small: direct scan, 3 and 7 full
  const odd = new Set(Array.from({ length: 20 }, (_, i) => 2 * i + 1));
  assert.equal(pick({ allowed: odd }), 1); // large: best-first walk
  // Load-2 engines plus unknown ids: the walk meets 20 lighter engines first, gives up, scans.
  const late = new Set(Array.from({ length: 20 }, (_, i) => (i < 10 ? 4 * i + 2 : 100 + i)));
  assert.equal(pick({ allowed: late }), 2);
  const full = new Set(Array.from({ length: 10 }, (_, i) => 4 * i + 3));
  assert.equal(pick({ allowed: full }), undefined);
  assert.equal(
    pick({ allowed: new Set([...full, ...Array.from({ length: 10 }, (_, i) => 100 + i)]) }),
    undefined,
  );
});
