/**
 * The `twobin` scheme: draw two engines uniformly at random (below the high-water mark) and use
 * the one that was assigned a task less recently.
 *
 * @module
 */

import type { EngineRecord } from "./_strategy.ts";
import type { AcquireFilter, SchemeName } from "./_types.ts";
import { RandomStrategy } from "./random.ts";

/**
 * `twobin`: the same array of engines below the high-water mark as `random`; each engine's
 * recency stamp decides between the two draws (ipyparallel compares positions in its LRU list,
 * which orders the same way).
 *
 * Complexity: `pick` without a filter, `acquire`, `release`, `add` and `remove` are O(1).
 * Filtered picks make two draws as in `EngineArray.sampleMatching()`.
 */
export class TwoBinStrategy extends RandomStrategy {
  /** The scheme name. */
  override readonly scheme: SchemeName = "twobin";

  /**
   * @param filter A normalized filter, or `undefined`.
   * @returns The less recently used of two random qualifying engines.
   */
  override pick(filter: AcquireFilter | undefined): EngineRecord | undefined {
    const first = super.pick(filter);
    if (first === undefined) return undefined;
    const second = super.pick(filter)!;
    return second.stamp < first.stamp ? second : first;
  }
}
