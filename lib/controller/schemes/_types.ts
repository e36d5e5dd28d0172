/**
 * Public types of the load-balancing scheduler. They live here, below `schemes/`, so that the
 * scheme files and `../scheduler.ts` can share them without an import cycle;
 * `../scheduler.ts` re-exports all of them.
 *
 * @module
 */

/**
 * The names of the load-balancing schemes, as accepted by `ipcontroller --scheme=`.
 *
 * - `leastload`: the engine with the fewest outstanding tasks; ties go to the least recently
 *   assigned engine (the ipyparallel default).
 * - `lru`: the least recently assigned engine that is below the high-water mark.
 * - `random`: a uniformly random engine below the high-water mark (ipyparallel's `plainrandom`).
 * - `twobin`: the least recently assigned of two uniformly random picks.
 * - `weighted`: two random picks weighted by inverse load; the less loaded one wins.
 */
export type SchemeName = "leastload" | "lru" | "random" | "twobin" | "weighted";

/** Options of `createScheduler()`. */
export interface SchedulerOptions {
  /**
   * The load-balancing scheme.
   *
   * @default {"leastload"}
   */
  scheme?: SchemeName;
  /**
   * High-water mark: the most tasks that may be outstanding on one engine. `0` means no limit
   * (better latency hiding, worse balance of uneven tasks). Must be a non-negative integer.
   *
   * @default {1}
   */
  hwm?: number;
  /**
   * Source of uniform random numbers in `[0, 1)`, used by `random`, `twobin` and `weighted`.
   * Inject a seeded generator to make tests reproducible.
   *
   * @default {Math.random}
   */
  random?: () => number;
}

/** Restricts which engines `Scheduler.acquire()` may choose. */
export interface AcquireFilter {
  /** When present, only these engines may be chosen (a view's targets). Unknown ids are ignored. */
  readonly allowed?: ReadonlySet<number>;
  /** These engines must not be chosen (for example engines a retried task already failed on). */
  readonly exclude?: ReadonlySet<number>;
}

/**
 * Chooses the engine for each load-balanced task and counts the tasks outstanding on each
 * engine. Pure bookkeeping: no I/O, no timers. Every method is synchronous.
 */
export interface Scheduler {
  /** The scheme this scheduler implements. */
  readonly scheme: SchemeName;
  /** The high-water mark (most outstanding tasks per engine); `0` means unlimited. */
  readonly hwm: number;
  /**
   * Changes the high-water mark. Engines keep their outstanding tasks: one above a lowered mark
   * takes no new task until enough of them are released.
   *
   * @param hwm A non-negative safe integer; `0` means unlimited.
   * @throws {RangeError} If `hwm` is not a non-negative safe integer.
   */
  setHwm(hwm: number): void;
  /** The number of engines known to the scheduler. */
  readonly size: number;
  /** The number of engines below the high-water mark (all engines when `hwm` is `0`). */
  readonly available: number;
  /**
   * Makes an engine available for tasks, with no outstanding tasks.
   *
   * @param engineId A non-negative integer not already added.
   * @throws {DuplicateEngineError} If the engine is already known.
   * @throws {RangeError} If the id is not a non-negative safe integer.
   */
  add(engineId: number): void;
  /**
   * Forgets an engine (it died or unregistered). Its outstanding count is dropped; later
   * `release()` calls for it are ignored.
   *
   * @param engineId The engine to forget.
   * @returns `true` if the engine was known.
   */
  remove(engineId: number): boolean;
  /**
   * @param engineId The engine to look up.
   * @returns Whether the engine is known.
   */
  has(engineId: number): boolean;
  /**
   * Picks an engine for one task and counts the task as outstanding on it.
   *
   * @param filter Optional restriction of the candidate engines.
   * @returns The chosen engine id, or `undefined` if every candidate is at the high-water mark
   * or no engine matches the filter.
   */
  acquire(filter?: AcquireFilter): number | undefined;
  /**
   * Counts one task on an engine as finished.
   *
   * @param engineId The engine whose task finished.
   * @returns `true` if a task was counted off; `false` (and nothing happens) if the engine is
   * unknown or has no outstanding tasks.
   */
  release(engineId: number): boolean;
  /**
   * @param engineId The engine to look up.
   * @returns The number of tasks outstanding on the engine, `0` if unknown.
   */
  outstanding(engineId: number): number;
}
