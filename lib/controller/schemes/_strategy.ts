/**
 * The seam between the shared bookkeeping (`_strategy_scheduler.ts`) and one scheme. A strategy
 * owns the index structure that lets it choose an engine without scanning every engine.
 *
 * @module
 */

import type { AcquireFilter, SchemeName } from "./_types.ts";

/** Bookkeeping for one engine, shared by the scheduler core and its strategy. */
export interface EngineRecord {
  /** The engine id. */
  readonly id: number;
  /** Tasks assigned to the engine and not yet released. */
  outstanding: number;
  /**
   * Recency stamp: larger means more recently assigned a task. Engines that never got a task
   * have negative stamps in the order they were added, so they come first, oldest first.
   */
  stamp: number;
  /** Position of the record inside the strategy's index structure; `-1` when absent. */
  slot: number;
}

/** What a strategy may read from the scheduler core. */
export interface StrategyContext {
  /** High-water mark; `0` means unlimited. */
  readonly hwm: number;
  /** Uniform random numbers in `[0, 1)`. */
  readonly random: () => number;
  /**
   * @param engineId An engine id.
   * @returns The record of a known engine.
   */
  lookup(engineId: number): EngineRecord | undefined;
}

/**
 * One load-balancing scheme. The core keeps `outstanding` and `stamp` up to date and calls the
 * hooks after changing them; the strategy keeps its index consistent with them.
 */
export interface SchemeStrategy {
  /** The scheme name. */
  readonly scheme: SchemeName;
  /** @param record A newly added engine (no outstanding tasks). */
  insert(record: EngineRecord): void;
  /** @param record An engine being removed. */
  delete(record: EngineRecord): void;
  /** @param record An engine whose `outstanding` just grew by one and whose `stamp` was renewed. */
  acquired(record: EngineRecord): void;
  /** @param record An engine whose `outstanding` just shrank by one. */
  released(record: EngineRecord): void;
  /**
   * Chooses an engine below the high-water mark that passes the filter. Must not change state.
   *
   * @param filter A normalized filter, or `undefined` when there is no restriction.
   * @returns The chosen record, or `undefined` if no engine qualifies.
   */
  pick(filter: AcquireFilter | undefined): EngineRecord | undefined;
}

/** Creates a strategy bound to a scheduler core. */
export type StrategyFactory = (context: StrategyContext) => SchemeStrategy;

/**
 * @param hwm High-water mark (`0` = unlimited).
 * @param record An engine.
 * @returns Whether the engine may take another task.
 */
export function belowHwm(hwm: number, record: EngineRecord): boolean {
  return hwm === 0 || record.outstanding < hwm;
}

/**
 * @param filter A filter, or `undefined` for none.
 * @param id An engine id.
 * @returns Whether the filter lets the engine through.
 */
export function passes(filter: AcquireFilter | undefined, id: number): boolean {
  if (filter === undefined) return true;
  if (filter.exclude !== undefined && filter.exclude.has(id)) return false;
  return filter.allowed === undefined || filter.allowed.has(id);
}

/**
 * Collects the engines named by `filter.allowed` that are known, below the high-water mark and
 * not excluded. Costs O(|allowed|).
 *
 * @param context The strategy context.
 * @param allowed The allowed engine ids.
 * @param exclude Engines to skip, if any.
 * @returns The matching records, in the iteration order of `allowed`.
 */
export function allowedCandidates(
  context: StrategyContext,
  allowed: ReadonlySet<number>,
  exclude: ReadonlySet<number> | undefined,
): EngineRecord[] {
  const out: EngineRecord[] = [];
  for (const id of allowed) {
    if (exclude !== undefined && exclude.has(id)) continue;
    const record = context.lookup(id);
    if (record !== undefined && belowHwm(context.hwm, record)) out.push(record);
  }
  return out;
}

/**
 * How many engines an `allowed` set may name before a strategy stops scanning it directly and
 * searches its own index first.
 */
export const SMALL_ALLOWED = 16;
