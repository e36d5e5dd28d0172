/**
 * A naive O(n) model of a scheduler, used as the oracle of the conformance suite and the scheme
 * tests. Not for production use: every query scans every engine.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { AcquireFilter, Scheduler } from "./_types.ts";

/**
 * A naive scheduler model: O(n) scans over a map, easy to trust. It tracks outstanding counts and
 * recency exactly as the real schedulers define them, so it can predict `leastload` and `lru`
 * picks exactly and the candidate set of every scheme.
 */
export class ReferenceModel {
  /** High-water mark; `0` = unlimited. */
  hwm: number;
  #engines = new Map<number, { outstanding: number; stamp: number }>();
  #clock = 0;

  /** @param hwm High-water mark; `0` = unlimited. */
  constructor(hwm: number) {
    this.hwm = hwm;
  }

  /** The number of engines. */
  get size(): number {
    return this.#engines.size;
  }

  /** The number of engines below the high-water mark. */
  get available(): number {
    return [...this.#engines.values()].filter((e) => this.#below(e.outstanding)).length;
  }

  /** @returns The known engine ids. */
  ids(): number[] {
    return [...this.#engines.keys()];
  }

  /**
   * @param id An engine id.
   * @returns Whether the model knows the engine.
   */
  has(id: number): boolean {
    return this.#engines.has(id);
  }

  /** @param id A new engine id; it ranks before every used engine, after older unused ones. */
  add(id: number): void {
    this.#engines.set(id, { outstanding: 0, stamp: ++this.#clock - 2 ** 52 });
  }

  /**
   * @param id An engine id.
   * @returns Whether it was known.
   */
  remove(id: number): boolean {
    return this.#engines.delete(id);
  }

  /**
   * @param id An engine id.
   * @returns Its outstanding count, `0` if unknown.
   */
  outstanding(id: number): number {
    return this.#engines.get(id)?.outstanding ?? 0;
  }

  /**
   * @param filter A filter, or `undefined`.
   * @returns Every engine the filter and the high-water mark allow, ascending by id.
   */
  candidates(filter?: AcquireFilter): number[] {
    return [...this.#engines].filter(([id, e]) =>
      this.#below(e.outstanding) && (filter?.allowed?.has(id) ?? true) &&
      !(filter?.exclude?.has(id) ?? false)
    ).map(([id]) => id).sort((a, b) => a - b);
  }

  /**
   * @param filter A filter, or `undefined`.
   * @returns The `leastload` choice: fewest outstanding, then least recently assigned.
   */
  leastLoaded(filter?: AcquireFilter): number | undefined {
    return this.#best(filter, (a, b) => a.outstanding - b.outstanding || a.stamp - b.stamp);
  }

  /**
   * @param filter A filter, or `undefined`.
   * @returns The `lru` choice: least recently assigned.
   */
  leastRecent(filter?: AcquireFilter): number | undefined {
    return this.#best(filter, (a, b) => a.stamp - b.stamp);
  }

  /**
   * @param id An engine id.
   * @returns Its recency stamp (larger = more recently assigned), `undefined` if unknown.
   */
  stamp(id: number): number | undefined {
    return this.#engines.get(id)?.stamp;
  }

  /** @param id A known engine below the high-water mark; counts one task on it. */
  acquired(id: number): void {
    const engine = this.#engines.get(id)!;
    engine.outstanding++;
    engine.stamp = ++this.#clock;
  }

  /**
   * @param id An engine id.
   * @returns Whether a task was counted off.
   */
  release(id: number): boolean {
    const engine = this.#engines.get(id);
    if (engine === undefined || engine.outstanding === 0) return false;
    engine.outstanding--;
    return true;
  }

  #below(outstanding: number): boolean {
    return this.hwm === 0 || outstanding < this.hwm;
  }

  #best(
    filter: AcquireFilter | undefined,
    compare: (
      a: { outstanding: number; stamp: number },
      b: { outstanding: number; stamp: number },
    ) => number,
  ): number | undefined {
    const ids = this.candidates(filter);
    ids.sort((a, b) => compare(this.#engines.get(a)!, this.#engines.get(b)!));
    return ids[0];
  }
}

/**
 * Asserts that a scheduler agrees with a model on every engine id in `[0, maxId]`.
 *
 * @param scheduler The scheduler under test.
 * @param model The reference model.
 * @param maxId The largest id to probe.
 */
export function assertMatchesModel(
  scheduler: Scheduler,
  model: ReferenceModel,
  maxId: number,
): void {
  assert.equal(scheduler.size, model.size, "size");
  assert.equal(scheduler.available, model.available, "available");
  for (let id = 0; id <= maxId; id++) {
    assert.equal(scheduler.has(id), model.has(id), `has(${id})`);
    assert.equal(scheduler.outstanding(id), model.outstanding(id), `outstanding(${id})`);
  }
}

/**
 * Draws a random filter over engine ids `[0, maxId]`: none, small or large `allowed`, small or
 * large `exclude`, or both.
 *
 * @param random Uniform numbers in `[0, 1)`.
 * @param maxId The largest engine id to mention.
 * @returns A filter, or `undefined`.
 */
export function randomFilter(random: () => number, maxId: number): AcquireFilter | undefined {
  const some = (fraction: number): Set<number> => {
    const set = new Set<number>();
    for (let id = 0; id <= maxId + 2; id++) if (random() < fraction) set.add(id);
    return set;
  };
  const kind = Math.floor(random() * 7);
  switch (kind) {
    case 0:
    case 1:
      return undefined;
    case 2:
      return { allowed: some(0.08) };
    case 3:
      return { allowed: some(0.7) };
    case 4:
      return { exclude: some(0.08) };
    case 5:
      return { exclude: some(0.7) };
    default:
      return { allowed: some(0.6), exclude: some(0.2) };
  }
}
