/**
 * Filtered choice from an {@linkcode IndexedHeap} of engine records, shared by the heap-based
 * schemes (`leastload`, `lru`).
 *
 * @module
 */

import type { IndexedHeap } from "./_indexed_heap.ts";
import {
  allowedCandidates,
  type EngineRecord,
  passes,
  SMALL_ALLOWED,
  type StrategyContext,
} from "./_strategy.ts";
import type { AcquireFilter } from "./_types.ts";

/** How many engines a best-first walk tests for an `allowed` filter before scanning `allowed`. */
export const WALK_LIMIT = 48;

/** Options of {@linkcode pickFromHeap}. */
export interface HeapPickOptions {
  /** The ordering of the heap. */
  less: (a: EngineRecord, b: EngineRecord) => boolean;
  /** Skips a record and its subtree (e.g. engines at the high-water mark), if given. */
  prune?: (record: EngineRecord) => boolean;
}

/**
 * Chooses the smallest record in `heap` that passes `filter` and is not pruned.
 *
 * - No filter: the heap top, O(1).
 * - `exclude` only: a best-first walk that skips excluded engines, O(k log k) for k excluded
 *   engines met on the way.
 * - `allowed` with at most {@linkcode SMALL_ALLOWED} ids: a direct scan of `allowed`.
 * - larger `allowed`: a best-first walk that tests at most {@linkcode WALK_LIMIT} engines (enough
 *   when allowed engines are common near the top), then a scan of `allowed`; O(|allowed|) at
 *   worst, e.g. when idle engines outside `allowed` crowd the top of the heap.
 *
 * @param heap The heap to search.
 * @param filter A normalized filter, or `undefined`.
 * @param context The strategy context (for `lookup` and `hwm`).
 * @param options The heap order and pruning rule.
 * @returns The chosen record, or `undefined`.
 */
export function pickFromHeap(
  heap: IndexedHeap<EngineRecord>,
  filter: AcquireFilter | undefined,
  context: StrategyContext,
  options: HeapPickOptions,
): EngineRecord | undefined {
  const { less, prune } = options;
  if (filter === undefined) {
    const top = heap.peek();
    return top === undefined || (prune !== undefined && prune(top)) ? undefined : top;
  }
  const { allowed, exclude } = filter;
  if (allowed !== undefined && allowed.size <= SMALL_ALLOWED) {
    return smallest(allowedCandidates(context, allowed, exclude), less);
  }
  const found = heap.findFirst((record) => passes(filter, record.id), {
    prune,
    limit: allowed === undefined ? Infinity : Math.min(allowed.size, WALK_LIMIT),
  });
  if (found !== null || allowed === undefined) return found ?? undefined;
  return smallest(allowedCandidates(context, allowed, exclude), less);
}

/**
 * @param records Candidate records.
 * @param less The ordering.
 * @returns The smallest record, or `undefined` if there are none.
 */
function smallest(
  records: readonly EngineRecord[],
  less: (a: EngineRecord, b: EngineRecord) => boolean,
): EngineRecord | undefined {
  let best: EngineRecord | undefined;
  for (const record of records) {
    if (best === undefined || less(record, best)) best = record;
  }
  return best;
}
