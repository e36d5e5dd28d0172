import assert from "node:assert/strict";
import { HeartMonitor } from "./heart_monitor.ts";

Deno.test("HeartMonitor.silent() reports engines silent past the limit only", () => {
  const m = new HeartMonitor(2000);
  m.beat(0, 1000);
  m.beat(1, 1000);
  m.beat(2, 2500);
  assert.deepEqual(m.silent(3000), []);
  assert.deepEqual(m.silent(3001), [0, 1]);
  m.beat(1, 3001);
  assert.deepEqual(m.silent(3001), [0]);
  m.forget(0);
  assert.deepEqual(m.silent(10_000), [1, 2]);
});

Deno.test("HeartMonitor.grant() gives a restored engine a longer first deadline", () => {
  const m = new HeartMonitor(500);
  m.grant(7, 10_000);
  m.beat(7, 1000); // an early beat does not shorten the grant
  assert.deepEqual(m.silent(9_999), []);
  assert.deepEqual(m.silent(10_001), [7]);
  m.beat(7, 10_001);
  assert.deepEqual(m.silent(10_400), []);
  assert.deepEqual(m.silent(10_502), [7]);
});

Deno.test("HeartMonitor rejects a non-positive limit", () => {
  assert.throws(() => new HeartMonitor(0), RangeError);
});

Deno.test("HeartMonitor.postpone() moves every deadline by the watcher's blind time", () => {
  const m = new HeartMonitor(500);
  m.beat(0, 1000);
  m.beat(1, 1200);
  m.postpone(6000);
  assert.deepEqual(m.silent(7400), []); // 1500 + 6000 and 1700 + 6000 still ahead
  assert.deepEqual(m.silent(7600), [0]);
  m.postpone(-50); // nothing for a negative time
  assert.deepEqual(m.silent(7701), [0, 1]);
  m.beat(1, 7701); // beats after it count from their own time
  assert.deepEqual(m.silent(8100), [0]);
});
