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
