/**
 * The `random` scheme (ipyparallel's `plainrandom`): a uniformly random engine below the
 * high-water mark.
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
import type { AcquireFilter, SchemeName } from "./_types.ts";

/**
 * `random`: the engines below the high-water mark are kept, incrementally, in an unordered array.
 *
 * Complexity: `pick` without a filter, `acquire`, `release`, `add` and `remove` are all O(1).
 * Filtered picks: see `EngineArray.sampleMatching()`.
 */
export class RandomStrategy implements SchemeStrategy {
  /** The scheme name. */
  readonly scheme: SchemeName = "random";
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
    // still at or above a lowered mark: not a candidate yet
    if (!this.#engines.has(record) && belowHwm(this.#context.hwm, record)) {
      this.#engines.push(record);
    }
  }

  /**
   * @param filter A normalized filter, or `undefined`.
   * @returns A uniformly random qualifying engine.
   */
  pick(filter: AcquireFilter | undefined): EngineRecord | undefined {
    return this.#engines.sampleMatching(filter, this.#context);
  }
}
