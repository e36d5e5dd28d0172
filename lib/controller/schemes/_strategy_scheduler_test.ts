import assert from "node:assert/strict";
import type { EngineRecord, SchemeStrategy } from "./_strategy.ts";
import { StrategyScheduler } from "./_strategy_scheduler.ts";
import type { AcquireFilter } from "./_types.ts";

/** A strategy that records its calls and picks the first inserted engine that qualifies. */
class SpyStrategy implements SchemeStrategy {
  readonly scheme = "lru" as const;
  calls: string[] = [];
  filters: (AcquireFilter | undefined)[] = [];
  records: EngineRecord[] = [];
  insert(record: EngineRecord): void {
    this.calls.push(`insert ${record.id}`);
    this.records.push(record);
  }
  delete(record: EngineRecord): void {
    this.calls.push(`delete ${record.id}`);
    this.records = this.records.filter((r) => r !== record);
  }
  acquired(record: EngineRecord): void {
    this.calls.push(`acquired ${record.id}:${record.outstanding}`);
  }
  released(record: EngineRecord): void {
    this.calls.push(`released ${record.id}:${record.outstanding}`);
  }
  pick(filter: AcquireFilter | undefined): EngineRecord | undefined {
    this.filters.push(filter);
    return this.records.find((r) => r.outstanding < 2);
  }
}

Deno.test("StrategyScheduler calls hooks after updating counts and stamps", () => {
  const spy = new SpyStrategy();
  const scheduler = new StrategyScheduler(() => spy, { hwm: 2, random: Math.random });
  scheduler.add(4);
  scheduler.add(5);
  assert.ok(spy.records[0]!.stamp < spy.records[1]!.stamp);
  assert.ok(spy.records[1]!.stamp < 0);
  assert.equal(scheduler.acquire(), 4);
  assert.ok(spy.records[0]!.stamp > 0);
  scheduler.release(4);
  scheduler.remove(5);
  assert.deepEqual(spy.calls, ["insert 4", "insert 5", "acquired 4:1", "released 4:0", "delete 5"]);
});

Deno.test("StrategyScheduler passes no filter when the filter restricts nothing", () => {
  const spy = new SpyStrategy();
  const scheduler = new StrategyScheduler(() => spy, { hwm: 0, random: Math.random });
  scheduler.add(1);
  scheduler.acquire({});
  scheduler.acquire({ exclude: new Set() });
  const allowed = new Set([1]);
  scheduler.acquire({ allowed, exclude: new Set() });
  assert.deepEqual(spy.filters, [undefined, undefined, { allowed }]);
});

Deno.test("StrategyScheduler skips the strategy when every engine is full", () => {
  const spy = new SpyStrategy();
  const scheduler = new StrategyScheduler(() => spy, { hwm: 2, random: Math.random });
  scheduler.add(1);
  scheduler.acquire();
  scheduler.acquire();
  assert.equal(scheduler.available, 0);
  assert.equal(scheduler.acquire(), undefined);
  assert.equal(spy.filters.length, 2);
  assert.equal(scheduler.scheme, "lru");
  assert.equal(scheduler.hwm, 2);
});
