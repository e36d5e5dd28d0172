/**
 * The load-balancing task scheduler: chooses the engine for each load-balanced task and counts
 * outstanding tasks per engine against a high-water mark. Pure bookkeeping, no I/O.
 *
 * Schemes follow ipyparallel's `TaskScheduler` (`leastload`, `lru`, `plainrandom` as `random`,
 * `twobin`, `weighted`), but none scans every engine per task: see each scheme file under
 * `schemes/` for its index structure and costs.
 *
 * Recency (used by `leastload` ties, `lru` and `twobin`) is the time an engine was last *assigned*
 * a task, as in ipyparallel. Engines that never got a task come first, in the order they were
 * added. (ipyparallel puts each new engine at the very front instead, so among several idle new
 * engines it prefers the newest; ipx prefers the oldest.)
 *
 * @example Usage
 * ```ts
 * import { createScheduler } from "./scheduler.ts";
 * import assert from "node:assert/strict";
 *
 * const scheduler = createScheduler({ scheme: "leastload", hwm: 1 });
 * scheduler.add(0);
 * scheduler.add(1);
 * assert.equal(scheduler.acquire(), 0);
 * assert.equal(scheduler.acquire(), 1);
 * assert.equal(scheduler.acquire(), undefined); // both at the high-water mark
 * scheduler.release(1);
 * assert.equal(scheduler.acquire(), 1);
 * ```
 *
 * @module
 */

import { StrategyScheduler } from "./schemes/_strategy_scheduler.ts";
import type { StrategyFactory } from "./schemes/_strategy.ts";
import { UnknownSchemeError } from "./schemes/_errors.ts";
import { LeastLoadStrategy } from "./schemes/least_load.ts";
import { LruStrategy } from "./schemes/lru.ts";
import { RandomStrategy } from "./schemes/random.ts";
import { TwoBinStrategy } from "./schemes/two_bin.ts";
import { WeightedStrategy } from "./schemes/weighted.ts";
import type { Scheduler, SchedulerOptions, SchemeName } from "./schemes/_types.ts";

export type { AcquireFilter, Scheduler, SchedulerOptions, SchemeName } from "./schemes/_types.ts";
export { DuplicateEngineError, UnknownSchemeError } from "./schemes/_errors.ts";

/** Every supported scheme name. */
export const SCHEME_NAMES: readonly SchemeName[] = Object.freeze([
  "leastload",
  "lru",
  "random",
  "twobin",
  "weighted",
]);

/** The scheme used when none is given (as in ipyparallel). */
export const DEFAULT_SCHEME: SchemeName = "leastload";

/**
 * The high-water mark used when none is given: one outstanding task per engine, ipyparallel's
 * default and the best balance for uneven tasks. Pass `0` (unlimited) or a larger value to hide
 * network latency behind computation when throughput matters more than balance.
 */
export const DEFAULT_HWM = 1;

const FACTORIES: Readonly<Record<SchemeName, StrategyFactory>> = {
  leastload: (context) => new LeastLoadStrategy(context),
  lru: (context) => new LruStrategy(context),
  random: (context) => new RandomStrategy(context),
  twobin: (context) => new TwoBinStrategy(context),
  weighted: (context) => new WeightedStrategy(context),
};

/** ipyparallel spellings accepted by {@linkcode parseSchemeName} besides {@linkcode SCHEME_NAMES}. */
const ALIASES: Readonly<Record<string, SchemeName>> = { plainrandom: "random" };

/**
 * Creates a scheduler with no engines.
 *
 * @param options Scheme, high-water mark and random source; see {@linkcode SchedulerOptions}.
 * @returns A new scheduler.
 * @throws {UnknownSchemeError} If `options.scheme` is not a {@linkcode SchemeName}.
 * @throws {RangeError} If `options.hwm` is not a non-negative safe integer.
 *
 * @example Restricting and excluding engines
 * ```ts
 * import { createScheduler } from "./scheduler.ts";
 * import assert from "node:assert/strict";
 *
 * const scheduler = createScheduler({ scheme: "lru", hwm: 0 });
 * for (const id of [0, 1, 2]) scheduler.add(id);
 * assert.equal(scheduler.acquire({ allowed: new Set([2]) }), 2);
 * assert.equal(scheduler.acquire({ exclude: new Set([0]) }), 1);
 * ```
 */
export function createScheduler(options: SchedulerOptions = {}): Scheduler {
  const scheme = options.scheme ?? DEFAULT_SCHEME;
  const hwm = options.hwm ?? DEFAULT_HWM;
  if (!Object.hasOwn(FACTORIES, scheme)) throw new UnknownSchemeError(scheme, SCHEME_NAMES);
  if (!Number.isSafeInteger(hwm) || hwm < 0) {
    throw new RangeError(
      `Cannot create scheduler: 'hwm' must be a non-negative integer, current value is ${hwm}`,
    );
  }
  return new StrategyScheduler(FACTORIES[scheme], { hwm, random: options.random ?? Math.random });
}

/**
 * Parses a scheme name as given on the command line (`--scheme=`). Accepts ipyparallel's
 * `plainrandom` as `random`; case and surrounding blanks are ignored.
 *
 * @param value The user's text.
 * @returns The scheme name.
 * @throws {UnknownSchemeError} If the text names no supported scheme (ipyparallel's `pure`
 * included: it has no ipx equivalent).
 *
 * @example Usage
 * ```ts
 * import { parseSchemeName } from "./scheduler.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseSchemeName("plainrandom"), "random");
 * assert.equal(parseSchemeName(" LeastLoad "), "leastload");
 * ```
 */
export function parseSchemeName(value: string): SchemeName {
  const name = value.trim().toLowerCase();
  if (Object.hasOwn(FACTORIES, name)) return name as SchemeName;
  if (Object.hasOwn(ALIASES, name)) return ALIASES[name]!;
  throw new UnknownSchemeError(value, SCHEME_NAMES);
}
