/**
 * The `twobin` scheme: draw two engines uniformly at random (below the high-water mark) and use
 * the one that was assigned a task less recently.
 *
 * @module
 */

import { EngineArray } from "./_engine_array.ts";
import {
  belowHwm,
  type EngineRecord,
  type SchemeStrategy,
  type StrategyContext,
} from "./_strategy.ts";
import type { AcquireFilter } from "./_types.ts";

/**
 * `twobin`: the engines below the high-water mark are kept in an unordered array; each engine's
 * recency stamp decides between the two draws (ipyparallel compares positions in its LRU list,
 * which orders the same way).
 *
 * Complexity: `pick` without a filter, `acquire`, `release`, `add` and `remove` are O(1).
 * Filtered picks make two draws as in `EngineArray.sampleMatching()`.
 */
export class TwoBinStrategy implements SchemeStrategy {
  /** The scheme name. */
  readonly scheme = "twobin" as const;
  #engines = new EngineArray();
  #context: StrategyContext;

  /** @param context The scheduler core's context. */
  constructor(context: StrategyContext) {
    this.#context = context;
  }

  /** @param record A new engine. */
  insert(record: EngineRecord): void {
    this.#engines.push(record);
  }

  /** @param record An engine being removed. */
  delete(record: EngineRecord): void {
    if (this.#engines.has(record)) this.#engines.delete(record);
  }

  /** @param record An engine that got one more task. */
  acquired(record: EngineRecord): void {
    if (!belowHwm(this.#context.hwm, record)) this.#engines.delete(record);
  }

  /** @param record An engine that finished one task. */
  released(record: EngineRecord): void {
    if (!this.#engines.has(record)) this.#engines.push(record);
  }

  /**
   * @param filter A normalized filter, or `undefined`.
   * @returns The less recently used of two random qualifying engines.
   */
  pick(filter: AcquireFilter | undefined): EngineRecord | undefined {
    const first = this.#engines.sampleMatching(filter, this.#context);
    if (first === undefined) return undefined;
    const second = this.#engines.sampleMatching(filter, this.#context)!;
    return second.stamp < first.stamp ? second : first;
  }
}
