import assert from "node:assert/strict";
import { BackoffSleep } from "./backoff_sleep.ts";

Deno.test("BackoffSleep.wake() ends a long sleep at once and is harmless when idle", async () => {
  const s = new BackoffSleep();
  s.wake();
  const start = performance.now();
  const done = s.sleep(60_000);
  s.wake();
  await done;
  assert.ok(performance.now() - start < 30_000);
});
