/**
 * The `leastload` scheme (ipyparallel's default): the engine with the fewest outstanding tasks;
 * among equals, the least recently assigned one.
 *
 * @module
 */

import { pickFromHeap } from "./_heap_pick.ts";
import { IndexedHeap } from "./_indexed_heap.ts";
import type { EngineRecord, SchemeStrategy, StrategyContext } from "./_strategy.ts";
import type { AcquireFilter } from "./_types.ts";

/**
 * @param a An engine.
 * @param b Another engine.
 * @returns Whether `a` has fewer outstanding tasks, or as many and was used less recently.
 */
function lessLoaded(a: EngineRecord, b: EngineRecord): boolean {
  return a.outstanding < b.outstanding || (a.outstanding === b.outstanding && a.stamp < b.stamp);
}

/**
 * `leastload`: every engine sits in one indexed min-heap keyed by (outstanding, recency).
 *
 * Complexity: `pick` without a filter is O(1) (the heap top); `acquire`, `release`, `add` and
 * `remove` re-sift one item, O(log n). Engines at the high-water mark stay in the heap; since
 * keys only grow towards the leaves, a full engine prunes its whole subtree during filtered
 * searches. Filtered picks: see `pickFromHeap()`.
 */
export class LeastLoadStrategy implements SchemeStrategy {
  /** The scheme name. */
  readonly scheme = "leastload" as const;
  #heap = new IndexedHeap<EngineRecord>(lessLoaded);
  #context: StrategyContext;
  #prune: ((record: EngineRecord) => boolean) | undefined;

  /** @param context The scheduler core's context. */
  constructor(context: StrategyContext) {
    this.#context = context;
    const { hwm } = context;
    this.#prune = hwm === 0 ? undefined : (record) => record.outstanding >= hwm;
  }

  /** @param record A new engine. */
  insert(record: EngineRecord): void {
    this.#heap.push(record);
  }

  /** @param record An engine being removed. */
  delete(record: EngineRecord): void {
    this.#heap.delete(record);
  }

  /** @param record An engine that got one more task. */
  acquired(record: EngineRecord): void {
    this.#heap.update(record);
  }

  /** @param record An engine that finished one task. */
  released(record: EngineRecord): void {
    this.#heap.update(record);
  }

  /**
   * @param filter A normalized filter, or `undefined`.
   * @returns The least loaded qualifying engine.
   */
  pick(filter: AcquireFilter | undefined): EngineRecord | undefined {
    return pickFromHeap(this.#heap, filter, this.#context, {
      less: lessLoaded,
      prune: this.#prune,
    });
  }
}
