/**
 * The `lru` scheme: the least recently assigned engine that is below the high-water mark.
 *
 * @module
 */

import { pickFromHeap } from "./_heap_pick.ts";
import { IndexedHeap } from "./_indexed_heap.ts";
import {
  belowHwm,
  type EngineRecord,
  type SchemeStrategy,
  type StrategyContext,
} from "./_strategy.ts";
import type { AcquireFilter } from "./_types.ts";

/**
 * @param a An engine.
 * @param b Another engine.
 * @returns Whether `a` was assigned a task less recently than `b`.
 */
function lessRecent(a: EngineRecord, b: EngineRecord): boolean {
  return a.stamp < b.stamp;
}

/**
 * `lru`: the engines below the high-water mark sit in an indexed min-heap keyed by recency.
 *
 * A plain queue is not enough once a high-water mark is set: an engine that drops below it must
 * rejoin at its old recency, not at the back. With the heap, `pick` without a filter is O(1) and
 * `acquire`, `release`, `add` and `remove` are O(log n). Filtered picks: see `pickFromHeap()`.
 */
export class LruStrategy implements SchemeStrategy {
  /** The scheme name. */
  readonly scheme = "lru" as const;
  #heap = new IndexedHeap<EngineRecord>(lessRecent);
  #context: StrategyContext;

  /** @param context The scheduler core's context. */
  constructor(context: StrategyContext) {
    this.#context = context;
  }

  /** @param record A new engine. */
  insert(record: EngineRecord): void {
    this.#heap.push(record);
  }

  /** @param record An engine being removed. */
  delete(record: EngineRecord): void {
    if (this.#heap.has(record)) this.#heap.delete(record);
  }

  /** @param record An engine that got one more task (its stamp is now the newest). */
  acquired(record: EngineRecord): void {
    if (belowHwm(this.#context.hwm, record)) this.#heap.update(record);
    else this.#heap.delete(record);
  }

  /** @param record An engine that finished one task. */
  released(record: EngineRecord): void {
    // still at or above a lowered mark: not a candidate yet
    if (!this.#heap.has(record) && belowHwm(this.#context.hwm, record)) this.#heap.push(record);
  }

  /**
   * @param filter A normalized filter, or `undefined`.
   * @returns The least recently assigned qualifying engine.
   */
  pick(filter: AcquireFilter | undefined): EngineRecord | undefined {
    return pickFromHeap(this.#heap, filter, this.#context, { less: lessRecent });
  }
}
