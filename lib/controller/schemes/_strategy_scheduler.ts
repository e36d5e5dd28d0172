/**
 * The bookkeeping every scheme shares: engine records, outstanding counts, recency stamps, the
 * high-water mark and the count of available engines. The scheme itself is a
 * {@linkcode SchemeStrategy}.
 *
 * @module
 */

import { DuplicateEngineError } from "./_errors.ts";
import type { EngineRecord, SchemeStrategy, StrategyFactory } from "./_strategy.ts";
import type { AcquireFilter, Scheduler, SchemeName } from "./_types.ts";

/** Offset that makes the stamps of never-used engines negative (added order kept). */
const NEVER_USED = 2 ** 52;

/** Options of {@linkcode StrategyScheduler}. */
export interface StrategySchedulerOptions {
  /** High-water mark, already validated; `0` = unlimited. */
  hwm: number;
  /** Uniform random numbers in `[0, 1)`. */
  random: () => number;
}

/** A {@linkcode Scheduler} whose choice of engine is delegated to a strategy. */
export class StrategyScheduler implements Scheduler {
  #records = new Map<number, EngineRecord>();
  #factory: StrategyFactory;
  #random: () => number;
  #strategy: SchemeStrategy;
  #hwm: number;
  #clock = 0;
  #available = 0;

  /**
   * @param factory Builds the scheme strategy.
   * @param options Validated high-water mark and random source.
   */
  constructor(factory: StrategyFactory, options: StrategySchedulerOptions) {
    this.#hwm = options.hwm;
    this.#factory = factory;
    this.#random = options.random;
    this.#strategy = this.#build();
  }

  #build(): SchemeStrategy {
    const records = this.#records;
    return this.#factory({
      hwm: this.#hwm,
      random: this.#random,
      lookup: (id) => records.get(id),
    });
  }

  #below(record: EngineRecord): boolean {
    return this.#hwm === 0 || record.outstanding < this.#hwm;
  }

  /**
   * Changes the high-water mark: the strategy's index is rebuilt over every engine, O(n log n),
   * so callers change it rarely (the load balancer's automatic mark moves in powers of two).
   * Outstanding counts and recency are kept.
   *
   * @param hwm A non-negative safe integer; `0` means unlimited.
   */
  setHwm(hwm: number): void {
    if (!Number.isSafeInteger(hwm) || hwm < 0) {
      throw new RangeError(
        `Cannot set high-water mark: it must be a non-negative integer, current value is ${hwm}`,
      );
    }
    if (hwm === this.#hwm) return;
    this.#hwm = hwm;
    this.#strategy = this.#build();
    this.#available = 0;
    for (const record of this.#records.values()) {
      record.slot = -1;
      this.#strategy.insert(record);
      // re-syncs the index with the record's load (drops it from the candidates when it is at
      // or above the new mark)
      this.#strategy.acquired(record);
      if (this.#below(record)) this.#available++;
    }
  }

  /** The scheme this scheduler implements. */
  get scheme(): SchemeName {
    return this.#strategy.scheme;
  }

  /** The high-water mark; `0` means unlimited. */
  get hwm(): number {
    return this.#hwm;
  }

  /** The number of known engines. */
  get size(): number {
    return this.#records.size;
  }

  /** The number of engines below the high-water mark. */
  get available(): number {
    return this.#available;
  }

  /**
   * Makes an engine available, ahead of every engine that already got a task.
   *
   * @param engineId A non-negative integer not already added.
   */
  add(engineId: number): void {
    if (!Number.isSafeInteger(engineId) || engineId < 0) {
      throw new RangeError(
        `Cannot add engine to scheduler: id must be a non-negative integer, current value is ${engineId}`,
      );
    }
    if (this.#records.has(engineId)) throw new DuplicateEngineError(engineId);
    const record: EngineRecord = {
      id: engineId,
      outstanding: 0,
      stamp: ++this.#clock - NEVER_USED,
      slot: -1,
    };
    this.#records.set(engineId, record);
    this.#available++;
    this.#strategy.insert(record);
  }

  /**
   * Forgets an engine and its outstanding count.
   *
   * @param engineId The engine to forget.
   * @returns `true` if the engine was known.
   */
  remove(engineId: number): boolean {
    const record = this.#records.get(engineId);
    if (record === undefined) return false;
    this.#records.delete(engineId);
    if (this.#below(record)) this.#available--;
    this.#strategy.delete(record);
    record.slot = -1;
    return true;
  }

  /**
   * @param engineId The engine to look up.
   * @returns Whether the engine is known.
   */
  has(engineId: number): boolean {
    return this.#records.has(engineId);
  }

  /**
   * Picks an engine and counts one more outstanding task on it.
   *
   * @param filter Optional restriction of the candidate engines.
   * @returns The engine id, or `undefined` if no engine qualifies.
   */
  acquire(filter?: AcquireFilter): number | undefined {
    if (this.#available === 0) return undefined;
    const record = this.#strategy.pick(normalize(filter));
    if (record === undefined) return undefined;
    record.outstanding++;
    record.stamp = ++this.#clock;
    if (!this.#below(record)) this.#available--;
    this.#strategy.acquired(record);
    return record.id;
  }

  /**
   * Counts one task on an engine as finished.
   *
   * @param engineId The engine whose task finished.
   * @returns `true` if a task was counted off.
   */
  release(engineId: number): boolean {
    const record = this.#records.get(engineId);
    if (record === undefined || record.outstanding === 0) return false;
    const wasBelow = this.#below(record);
    record.outstanding--;
    if (!wasBelow && this.#below(record)) this.#available++;
    this.#strategy.released(record);
    return true;
  }

  /**
   * @param engineId The engine to look up.
   * @returns Its outstanding task count, `0` if unknown.
   */
  outstanding(engineId: number): number {
    return this.#records.get(engineId)?.outstanding ?? 0;
  }
}

/**
 * Drops filter parts that restrict nothing, so strategies can take their fast path.
 *
 * @param filter The caller's filter.
 * @returns An equivalent filter, or `undefined` if it restricts nothing.
 */
function normalize(filter: AcquireFilter | undefined): AcquireFilter | undefined {
  if (filter === undefined) return undefined;
  const { allowed, exclude } = filter;
  const excludes = exclude !== undefined && exclude.size > 0;
  if (allowed === undefined) return excludes ? filter : undefined;
  return excludes || exclude === undefined ? filter : { allowed };
}
