/**
 * An unordered array of engine records with O(1) insert, delete and uniform random choice, shared
 * by the `random` and `twobin` schemes.
 *
 * @module
 */

import {
  allowedCandidates,
  type EngineRecord,
  passes,
  SMALL_ALLOWED,
  type StrategyContext,
} from "./_strategy.ts";
import type { AcquireFilter } from "./_types.ts";

/** Random draws tried before a filtered choice falls back to a scan. */
const REJECTION_TRIES = 12;

/**
 * @param size The number of items, at least 1.
 * @param random Uniform numbers in `[0, 1)`.
 * @returns A uniform index in `[0, size)`, even if `random` returns exactly 1.
 */
export function randomIndex(size: number, random: () => number): number {
  const index = Math.floor(random() * size);
  return index < size ? index : size - 1;
}

/**
 * @param records Candidates.
 * @param random Uniform numbers in `[0, 1)`.
 * @returns A uniformly chosen candidate, or `undefined` if there are none.
 */
export function uniformChoice(
  records: readonly EngineRecord[],
  random: () => number,
): EngineRecord | undefined {
  return records.length === 0 ? undefined : records[randomIndex(records.length, random)];
}

/** Engine records in an array; each record's `slot` is its index. */
export class EngineArray {
  #items: EngineRecord[] = [];

  /** The number of records. */
  get size(): number {
    return this.#items.length;
  }

  /**
   * @param record A record.
   * @returns Whether the record is in this array.
   */
  has(record: EngineRecord): boolean {
    return record.slot >= 0 && this.#items[record.slot] === record;
  }

  /** @param record A record not in the array. O(1). */
  push(record: EngineRecord): void {
    record.slot = this.#items.length;
    this.#items.push(record);
  }

  /** @param record A record in the array; the last record takes its place. O(1). */
  delete(record: EngineRecord): void {
    const items = this.#items;
    const last = items.pop()!;
    if (last !== record) {
      items[record.slot] = last;
      last.slot = record.slot;
    }
    record.slot = -1;
  }

  /**
   * @param random Uniform numbers in `[0, 1)`.
   * @returns A uniformly chosen record, or `undefined` if the array is empty. O(1).
   */
  sample(random: () => number): EngineRecord | undefined {
    const items = this.#items;
    return items.length === 0 ? undefined : items[randomIndex(items.length, random)];
  }

  /**
   * Draws a record uniformly among those passing `filter`.
   *
   * Small `allowed` sets are scanned directly, O(|allowed|). Otherwise up to 12 random draws are
   * tried (O(1) each; the usual case when a filter excludes only a few engines), then the smaller
   * of `allowed` and the array is scanned, O(min(|allowed|, n)). Every path is uniform over the
   * matching records.
   *
   * @param filter A normalized filter, or `undefined`.
   * @param context The strategy context.
   * @returns A matching record, or `undefined` if none matches.
   */
  sampleMatching(
    filter: AcquireFilter | undefined,
    context: StrategyContext,
  ): EngineRecord | undefined {
    if (filter === undefined) return this.sample(context.random);
    const { allowed, exclude } = filter;
    if (allowed !== undefined && allowed.size <= SMALL_ALLOWED) {
      return uniformChoice(allowedCandidates(context, allowed, exclude), context.random);
    }
    const items = this.#items;
    if (items.length === 0) return undefined;
    for (let i = 0; i < REJECTION_TRIES; i++) {
      const record = items[randomIndex(items.length, context.random)]!;
      if (passes(filter, record.id)) return record;
    }
    const candidates = allowed !== undefined && allowed.size < items.length
      ? allowedCandidates(context, allowed, exclude)
      : items.filter((record) => passes(filter, record.id));
    return uniformChoice(candidates, context.random);
  }
}
