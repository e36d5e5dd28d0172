import assert from "node:assert/strict";
import { createScheduler, type Scheduler } from "./scheduler.ts";
import { CONFORMANCE_CASES, type SchedulerFactory } from "./scheduler_conformance.ts";

/**
 * Wraps a real scheduler and breaks one behaviour, to prove the suite notices.
 *
 * @param override Replacement methods, given the wrapped scheduler.
 * @param ignoreHwm Run the wrapped scheduler without a high-water mark while reporting one.
 */
function broken(
  override: (inner: Scheduler) => Partial<Scheduler>,
  ignoreHwm = false,
): SchedulerFactory {
  return (options) => {
    const inner = createScheduler({
      ...options,
      scheme: "leastload",
      hwm: ignoreHwm ? 0 : options.hwm,
    });
    let hwm = options.hwm ?? 1;
    return {
      get scheme() {
        return inner.scheme;
      },
      get hwm() {
        return hwm;
      },
      get size() {
        return inner.size;
      },
      get available() {
        return inner.available;
      },
      add: (id) => inner.add(id),
      remove: (id) => inner.remove(id),
      has: (id) => inner.has(id),
      acquire: (filter) => inner.acquire(filter),
      release: (id) => inner.release(id),
      outstanding: (id) => inner.outstanding(id),
      setHwm: (mark) => {
        hwm = mark;
        if (!ignoreHwm) inner.setHwm(mark);
      },
      ...override(inner),
    };
  };
}

function caseNamed(fragment: string) {
  const found = CONFORMANCE_CASES.find((c) => c.name.includes(fragment));
  assert.ok(found, fragment);
  return found;
}

Deno.test("CONFORMANCE_CASES pass for a correct scheduler", () => {
  const factory: SchedulerFactory = (options) => createScheduler({ ...options, scheme: "lru" });
  for (const testCase of CONFORMANCE_CASES) testCase.fn(factory);
});

Deno.test("CONFORMANCE_CASES catch a scheduler that ignores hwm", () => {
  assert.throws(
    () => caseNamed("never exceeds hwm").fn(broken(() => ({}), true)),
    assert.AssertionError,
  );
  assert.throws(
    () => caseNamed("reference model").fn(broken(() => ({}), true)),
    assert.AssertionError,
  );
});

Deno.test("CONFORMANCE_CASES catch a scheduler whose setHwm() changes nothing", () => {
  const factory = broken(() => ({ setHwm: () => {} }));
  assert.throws(() => caseNamed("setHwm()").fn(factory), assert.AssertionError);
  assert.throws(() => caseNamed("reference model").fn(factory), assert.AssertionError);
});

Deno.test("CONFORMANCE_CASES catch a scheduler that ignores exclude", () => {
  const factory = broken((inner) => ({
    acquire: (filter) => inner.acquire(filter?.allowed ? { allowed: filter.allowed } : undefined),
  }));
  assert.throws(() => caseNamed("excluded").fn(factory), assert.AssertionError);
});

Deno.test("CONFORMANCE_CASES catch a scheduler that leaks removed engines", () => {
  const factory = broken(() => ({ remove: () => true }));
  assert.throws(() => caseNamed("unavailable for good").fn(factory), assert.AssertionError);
});
