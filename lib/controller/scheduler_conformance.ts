/**
 * The conformance suite every {@linkcode Scheduler} implementation must pass: one suite, run for
 * each scheme (as hono runs one router suite for every router).
 *
 * @example Running the suite for a scheme (in a `_test.ts` file)
 * ```ts ignore
 * import { createScheduler } from "./scheduler.ts";
 * import { runSchedulerConformance } from "./scheduler_conformance.ts";
 *
 * runSchedulerConformance("lru", (options) => createScheduler({ ...options, scheme: "lru" }));
 * ```
 *
 * @module
 */

import assert from "node:assert/strict";
import { DuplicateEngineError } from "./schemes/_errors.ts";
import type { Scheduler } from "./schemes/_types.ts";
import { assertMatchesModel, randomFilter, ReferenceModel } from "./schemes/reference_model.ts";
import { seededRandom } from "./schemes/seeded_random.ts";

export { assertMatchesModel, randomFilter, ReferenceModel } from "./schemes/reference_model.ts";
export { seededRandom } from "./schemes/seeded_random.ts";

/** What the suite passes to a scheduler factory. */
export interface ConformanceOptions {
  /** High-water mark; `0` = unlimited. */
  hwm: number;
  /** Seeded uniform random numbers in `[0, 1)`. */
  random: () => number;
}

/** Builds a fresh, empty scheduler for one conformance case. */
export type SchedulerFactory = (options: ConformanceOptions) => Scheduler;

/** One conformance check; it throws an `AssertionError` when the scheduler misbehaves. */
export interface ConformanceCase {
  /** Test name, in the form "method() does X". */
  readonly name: string;
  /** Runs the check against schedulers built by `factory`. */
  readonly fn: (factory: SchedulerFactory) => void;
}

/**
 * @param factory The factory under test.
 * @param hwm High-water mark.
 * @param ids Engine ids to add.
 * @param seed Random seed.
 * @returns A scheduler holding `ids`.
 */
function build(factory: SchedulerFactory, hwm: number, ids: Iterable<number>, seed = 1): Scheduler {
  const scheduler = factory({ hwm, random: seededRandom(seed) });
  for (const id of ids) scheduler.add(id);
  return scheduler;
}

/** @returns The integers `0 .. n - 1`. */
function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Acquires until `undefined`; returns the ids in order. */
function drain(scheduler: Scheduler, limit = 100_000): number[] {
  const out: number[] = [];
  for (let id = scheduler.acquire(); id !== undefined; id = scheduler.acquire()) {
    out.push(id);
    assert.ok(out.length <= limit, "acquire() never returned undefined");
  }
  return out;
}

/** Every conformance case, in order. */
export const CONFORMANCE_CASES: readonly ConformanceCase[] = [
  {
    name: "acquire() returns undefined when there are no engines",
    fn(factory) {
      for (const hwm of [0, 1]) {
        const scheduler = build(factory, hwm, []);
        assert.equal(scheduler.size, 0);
        assert.equal(scheduler.acquire(), undefined);
        assert.equal(scheduler.acquire({ allowed: new Set([0]) }), undefined);
        assert.equal(scheduler.acquire({ exclude: new Set([0]) }), undefined);
      }
    },
  },
  {
    name: "acquire() never exceeds hwm",
    fn(factory) {
      for (const hwm of [1, 2, 3]) {
        const scheduler = build(factory, hwm, range(8));
        assert.equal(scheduler.hwm, hwm);
        assert.equal(scheduler.available, 8);
        const taken = drain(scheduler);
        assert.equal(taken.length, 8 * hwm);
        for (const id of range(8)) assert.equal(scheduler.outstanding(id), hwm);
        assert.equal(scheduler.available, 0);
        assert.equal(scheduler.acquire({ allowed: new Set([3]) }), undefined);
      }
    },
  },
  {
    name: "setHwm() lowers and raises the mark, keeping outstanding tasks",
    fn(factory) {
      const scheduler = build(factory, 4, range(3));
      assert.equal(drain(scheduler).length, 12);
      scheduler.setHwm(2);
      assert.equal(scheduler.hwm, 2);
      assert.equal(scheduler.available, 0);
      for (const id of range(3)) assert.equal(scheduler.outstanding(id), 4);
      // 4 → 3 → 2 outstanding: still at the lowered mark, so no new task
      for (let i = 0; i < 2; i++) assert.equal(scheduler.release(1), true);
      assert.equal(scheduler.available, 0);
      assert.equal(scheduler.acquire(), undefined);
      assert.equal(scheduler.release(1), true);
      assert.equal(scheduler.available, 1);
      assert.equal(scheduler.acquire(), 1);
      assert.equal(scheduler.acquire(), undefined);
      scheduler.setHwm(5);
      assert.equal(scheduler.available, 3);
      assert.deepEqual(drain(scheduler).sort(), [0, 1, 1, 1, 2]);
      scheduler.setHwm(0);
      assert.equal(scheduler.available, 3);
      assert.notEqual(scheduler.acquire(), undefined);
      assert.throws(() => scheduler.setHwm(-1), RangeError);
      assert.throws(() => scheduler.setHwm(1.5), RangeError);
      assert.equal(scheduler.hwm, 0);
    },
  },
  {
    name: "acquire() resumes after release() frees an engine",
    fn(factory) {
      const scheduler = build(factory, 1, [5, 6, 7]);
      assert.deepEqual(drain(scheduler).sort(), [5, 6, 7]);
      assert.equal(scheduler.acquire(), undefined);
      assert.equal(scheduler.release(6), true);
      assert.equal(scheduler.available, 1);
      assert.equal(scheduler.acquire(), 6);
      assert.equal(scheduler.acquire(), undefined);
      assert.equal(scheduler.release(5), true);
      assert.equal(scheduler.release(7), true);
      assert.deepEqual(drain(scheduler).sort(), [5, 7]);
    },
  },
  {
    name: "acquire() never runs out with hwm 0",
    fn(factory) {
      const scheduler = build(factory, 0, range(3));
      for (let i = 0; i < 1000; i++) assert.notEqual(scheduler.acquire(), undefined);
      const total = range(3).reduce((sum, id) => sum + scheduler.outstanding(id), 0);
      assert.equal(total, 1000);
      assert.equal(scheduler.available, 3);
    },
  },
  {
    name: "acquire() only returns allowed engines",
    fn(factory) {
      for (const hwm of [0, 2]) {
        const scheduler = build(factory, hwm, range(40));
        const small = new Set([1, 4]);
        const large = new Set(range(40).filter((id) => id % 3 === 0));
        for (let i = 0; i < 60; i++) {
          const id = scheduler.acquire({ allowed: i % 2 === 0 ? small : large });
          if (id === undefined) break;
          assert.ok((i % 2 === 0 ? small : large).has(id), `engine ${id} is not allowed`);
        }
        assert.equal(scheduler.acquire({ allowed: new Set() }), undefined);
        assert.equal(scheduler.acquire({ allowed: new Set([99, 100]) }), undefined);
      }
    },
  },
  {
    name: "acquire() never returns excluded engines",
    fn(factory) {
      for (const hwm of [0, 1]) {
        const scheduler = build(factory, hwm, range(30));
        const exclude = new Set([0, 2, 17]);
        const wide = new Set(range(30).filter((id) => id !== 11));
        for (let i = 0; i < 27; i++) {
          const id = scheduler.acquire({ exclude });
          assert.ok(id !== undefined && !exclude.has(id), `engine ${id} is excluded`);
        }
        if (hwm === 1) assert.equal(scheduler.acquire({ exclude }), undefined);
        assert.equal(scheduler.acquire({ exclude: new Set(range(30)) }), undefined);
        const only = scheduler.acquire({ exclude: wide });
        assert.equal(only, hwm === 0 ? 11 : undefined);
        const both = scheduler.acquire({ allowed: new Set([2, 5]), exclude: new Set([5]) });
        assert.equal(both, 2);
        assert.equal(
          scheduler.acquire({ allowed: new Set([3]), exclude: new Set([3]) }),
          undefined,
        );
      }
    },
  },
  {
    name: "acquire() with a filter skips full engines but finds free ones",
    fn(factory) {
      const scheduler = build(factory, 1, range(20));
      assert.equal(scheduler.acquire({ allowed: new Set([7]) }), 7);
      assert.equal(scheduler.acquire({ allowed: new Set([7]) }), undefined);
      const many = new Set(range(20));
      for (let i = 0; i < 19; i++) assert.notEqual(scheduler.acquire({ allowed: many }), 7);
      assert.equal(scheduler.acquire({ allowed: many }), undefined);
      scheduler.release(12);
      assert.equal(scheduler.acquire({ exclude: new Set([1]) }), 12);
    },
  },
  {
    name: "remove() makes an engine unavailable for good",
    fn(factory) {
      const scheduler = build(factory, 0, range(5));
      assert.equal(scheduler.acquire({ allowed: new Set([2]) }), 2);
      assert.equal(scheduler.remove(2), true);
      assert.equal(scheduler.remove(3), true);
      assert.equal(scheduler.remove(3), false);
      assert.equal(scheduler.remove(42), false);
      assert.equal(scheduler.has(2), false);
      assert.equal(scheduler.outstanding(2), 0);
      assert.equal(scheduler.size, 3);
      assert.equal(scheduler.available, 3);
      assert.equal(scheduler.release(2), false);
      for (let i = 0; i < 300; i++) {
        const id = scheduler.acquire();
        assert.ok(id !== undefined && id !== 2 && id !== 3, `removed engine ${id} returned`);
        if (i % 3 === 0) scheduler.release(id);
      }
      assert.equal(scheduler.acquire({ allowed: new Set([2, 3]) }), undefined);
      scheduler.add(3);
      assert.equal(scheduler.outstanding(3), 0);
      assert.equal(scheduler.acquire({ allowed: new Set([3]) }), 3);
    },
  },
  {
    name: "remove() of a full engine keeps available in step",
    fn(factory) {
      const scheduler = build(factory, 1, range(3));
      drain(scheduler);
      assert.equal(scheduler.remove(1), true);
      assert.equal(scheduler.available, 0);
      scheduler.add(9);
      assert.equal(scheduler.available, 1);
      assert.equal(scheduler.acquire(), 9);
      assert.equal(scheduler.acquire(), undefined);
    },
  },
  {
    name: "release() of unknown or idle engines is harmless",
    fn(factory) {
      const scheduler = build(factory, 1, range(2));
      assert.equal(scheduler.release(42), false);
      assert.equal(scheduler.release(0), false);
      assert.equal(scheduler.release(-1), false);
      assert.equal(scheduler.outstanding(0), 0);
      assert.equal(scheduler.available, 2);
      assert.deepEqual(drain(scheduler).sort(), [0, 1]);
      assert.equal(scheduler.release(0), true);
      assert.equal(scheduler.release(0), false);
      assert.equal(scheduler.available, 1);
      assert.deepEqual(drain(scheduler), [0]);
    },
  },
  {
    name: "add() rejects duplicate and malformed ids",
    fn(factory) {
      const scheduler = build(factory, 1, [0]);
      assert.throws(() => scheduler.add(0), DuplicateEngineError);
      for (const bad of [-1, 1.5, Number.NaN, Infinity]) {
        assert.throws(() => scheduler.add(bad), RangeError);
      }
      assert.equal(scheduler.size, 1);
    },
  },
  {
    name: "acquire() uses every engine when loads stay equal",
    fn(factory) {
      for (const hwm of [0, 1, 2]) {
        for (const inFlight of [1, 4]) {
          const scheduler = build(factory, hwm, range(16), 7 + hwm);
          const used = new Map<number, number>();
          const pending: number[] = [];
          for (let i = 0; i < 2000; i++) {
            const id = scheduler.acquire();
            assert.ok(id !== undefined);
            used.set(id, (used.get(id) ?? 0) + 1);
            pending.push(id);
            if (pending.length >= inFlight) scheduler.release(pending.shift()!);
          }
          assert.equal(used.size, 16, `hwm ${hwm}, ${inFlight} in flight: some engine idle`);
        }
      }
    },
  },
  {
    name: "randomized operations agree with the reference model",
    fn(factory) {
      for (const seed of [1, 2, 3, 4]) {
        const random = seededRandom(seed * 7919);
        const hwm = [0, 1, 2, 3][seed % 4]!;
        const maxId = 48;
        const scheduler = factory({ hwm, random: seededRandom(seed) });
        const model = new ReferenceModel(hwm);
        for (let step = 0; step < 3000; step++) {
          const id = Math.floor(random() * (maxId + 1));
          const op = random();
          const where = `seed ${seed}, step ${step}`;
          if (op < 0.12) {
            if (model.has(id)) {
              assert.throws(() => scheduler.add(id), DuplicateEngineError);
            } else {
              scheduler.add(id);
              model.add(id);
            }
          } else if (op < 0.17) {
            assert.equal(scheduler.remove(id), model.remove(id), where);
          } else if (op < 0.19) {
            const mark = Math.floor(random() * 5);
            scheduler.setHwm(mark);
            model.hwm = mark;
          } else if (op < 0.6) {
            const filter = randomFilter(random, maxId);
            const candidates = model.candidates(filter);
            const got = scheduler.acquire(filter);
            if (candidates.length === 0) {
              assert.equal(got, undefined, `${where}: nothing qualifies`);
            } else {
              assert.ok(got !== undefined, `${where}: missed ${candidates.join(",")}`);
              assert.ok(candidates.includes(got), `${where}: ${got} does not qualify`);
              model.acquired(got);
            }
          } else {
            const busy = model.ids().filter((e) => model.outstanding(e) > 0);
            const target = busy.length > 0 && random() < 0.9
              ? busy[Math.floor(random() * busy.length)]!
              : id;
            assert.equal(scheduler.release(target), model.release(target), where);
          }
          assertMatchesModel(scheduler, model, maxId + 2);
        }
      }
    },
  },
];

/**
 * Registers one `Deno.test` per conformance case, named `"<name>: <case>"`.
 *
 * @param name The implementation's name, e.g. the scheme.
 * @param factory Builds a fresh, empty scheduler from the given options.
 */
export function runSchedulerConformance(name: string, factory: SchedulerFactory): void {
  for (const testCase of CONFORMANCE_CASES) {
    Deno.test(`${name}: ${testCase.name}`, () => testCase.fn(factory));
  }
}
