/**
 * The `weighted` scheme (after ipyparallel's `weighted`): draw two engines at random with
 * probability proportional to the inverse of their load, `1 / (1e-6 + outstanding)`, and use the
 * less loaded of the two (the first draw on a tie). An idle engine thus weighs a million times
 * more than an engine with one task.
 *
 * @module
 */

import { SumTree } from "./_sum_tree.ts";
import {
  allowedCandidates,
  belowHwm,
  type EngineRecord,
  passes,
  type SchemeStrategy,
  SMALL_ALLOWED,
  type StrategyContext,
} from "./_strategy.ts";
import type { AcquireFilter } from "./_types.ts";

/** Random draws tried per pick before a filtered choice falls back to a scan. */
const REJECTION_TRIES = 12;

/**
 * @param hwm High-water mark; `0` = unlimited.
 * @param record An engine.
 * @returns Its sampling weight: inverse load, or `0` at the high-water mark.
 */
export function inverseLoadWeight(hwm: number, record: EngineRecord): number {
  return belowHwm(hwm, record) ? 1 / (1e-6 + record.outstanding) : 0;
}

/**
 * The reference rule on an explicit candidate list, O(k) for k candidates: two draws weighted by
 * inverse load, the less loaded one wins, ties go to the first draw.
 *
 * @param candidates Engines below the high-water mark.
 * @param random Uniform numbers in `[0, 1)`.
 * @returns The chosen engine, or `undefined` if there are no candidates.
 */
export function chooseWeighted(
  candidates: readonly EngineRecord[],
  random: () => number,
): EngineRecord | undefined {
  if (candidates.length === 0) return undefined;
  const weights = candidates.map((record) => 1 / (1e-6 + record.outstanding));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const draw = (): number => {
    let target = random() * total;
    for (let i = 0; i < weights.length - 1; i++) {
      target -= weights[i]!;
      if (target < 0) return i;
    }
    return weights.length - 1;
  };
  const x = draw();
  const y = draw();
  return candidates[weights[y]! > weights[x]! ? y : x];
}

/**
 * `weighted`: every engine is a leaf of a sum tree holding its weight (`0` at the high-water
 * mark).
 *
 * Complexity: `pick` without a filter is two O(log n) descents; `acquire`, `release`, `add` and
 * `remove` update one leaf path, O(log n). (ipyparallel recomputes a cumulative sum, O(n), per
 * task.) Filtered picks: small `allowed` sets are scanned, O(|allowed|); excluded engines are
 * zeroed in the tree for the duration of the pick, O(|exclude| log n); a larger `allowed` set is
 * met by up to 12 rejection draws per pick, then by a scan, O(min(|allowed|, n)).
 */
export class WeightedStrategy implements SchemeStrategy {
  /** The scheme name. */
  readonly scheme = "weighted" as const;
  #tree = new SumTree<EngineRecord>();
  #context: StrategyContext;

  /** @param context The scheduler core's context. */
  constructor(context: StrategyContext) {
    this.#context = context;
  }

  /** @param record A new engine. */
  insert(record: EngineRecord): void {
    this.#tree.push(record, inverseLoadWeight(this.#context.hwm, record));
  }

  /** @param record An engine being removed. */
  delete(record: EngineRecord): void {
    this.#tree.delete(record);
  }

  /** @param record An engine that got one more task. */
  acquired(record: EngineRecord): void {
    this.#tree.set(record, inverseLoadWeight(this.#context.hwm, record));
  }

  /** @param record An engine that finished one task. */
  released(record: EngineRecord): void {
    this.#tree.set(record, inverseLoadWeight(this.#context.hwm, record));
  }

  /**
   * @param filter A normalized filter, or `undefined`.
   * @returns The less loaded of two inverse-load weighted draws among qualifying engines.
   */
  pick(filter: AcquireFilter | undefined): EngineRecord | undefined {
    const tree = this.#tree;
    const context = this.#context;
    const { random } = context;
    if (filter === undefined) return this.#twoDraws(undefined);
    const { allowed, exclude } = filter;
    if (allowed !== undefined && allowed.size <= SMALL_ALLOWED) {
      return chooseWeighted(allowedCandidates(context, allowed, exclude), random);
    }
    if (exclude !== undefined && exclude.size > tree.size) return this.#scan(filter);
    const zeroed: EngineRecord[] = [];
    if (exclude !== undefined) {
      for (const id of exclude) {
        const record = context.lookup(id);
        if (record !== undefined && tree.weight(record) > 0) {
          tree.set(record, 0);
          zeroed.push(record);
        }
      }
    }
    try {
      return this.#twoDraws(allowed) ?? (allowed === undefined ? undefined : this.#scan(filter));
    } finally {
      for (const record of zeroed) tree.set(record, inverseLoadWeight(context.hwm, record));
    }
  }

  /**
   * @param allowed Engines that may be chosen, or `undefined` for all.
   * @returns The weighted two-draw choice; `undefined` if nothing has weight or if `allowed` was
   * not hit within the rejection budget.
   */
  #twoDraws(allowed: ReadonlySet<number> | undefined): EngineRecord | undefined {
    const x = this.#draw(allowed);
    if (x === undefined) return undefined;
    const y = this.#draw(allowed);
    if (y === undefined) return undefined;
    const tree = this.#tree;
    return tree.weight(y) > tree.weight(x) ? y : x;
  }

  #draw(allowed: ReadonlySet<number> | undefined): EngineRecord | undefined {
    const { random } = this.#context;
    if (allowed === undefined) return this.#tree.sample(random);
    for (let i = 0; i < REJECTION_TRIES; i++) {
      const record = this.#tree.sample(random);
      if (record === undefined) return undefined;
      if (allowed.has(record.id)) return record;
    }
    return undefined;
  }

  /** Fallback: the reference rule over every qualifying engine, O(min(|allowed|, n)). */
  #scan(filter: AcquireFilter): EngineRecord | undefined {
    const context = this.#context;
    const { hwm, random } = context;
    const tree = this.#tree;
    const { allowed, exclude } = filter;
    if (allowed !== undefined && allowed.size < tree.size) {
      return chooseWeighted(allowedCandidates(context, allowed, exclude), random);
    }
    const candidates: EngineRecord[] = [];
    for (let i = 0; i < tree.size; i++) {
      const record = tree.at(i)!;
      if (belowHwm(hwm, record) && passes(filter, record.id)) candidates.push(record);
    }
    return chooseWeighted(candidates, random);
  }
}
