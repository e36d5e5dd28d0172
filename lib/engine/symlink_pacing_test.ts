import assert from "node:assert/strict";
import { PACE_FACTOR, PACE_FROM_MS, PacedScan } from "./symlink_pacing.ts";

/** A scan whose duration and findings the test sets; it advances the fake clock as it runs. */
function fakeScan() {
  const state = { now: 0, duration: 0.01, found: [] as string[], calls: 0 };
  const scan = () => {
    state.calls++;
    state.now += state.duration;
    return [...state.found];
  };
  return { state, paced: new PacedScan(scan, () => state.now) };
}

Deno.test("PacedScan: fast scans run before every operation", () => {
  const { state, paced } = fakeScan();
  for (let i = 0; i < 5; i++) {
    assert.deepEqual(paced.check(), []);
    state.now += 0.001; // operations back to back
  }
  assert.equal(state.calls, 5);
  state.found = ["link"];
  assert.deepEqual(paced.check(), ["link"]); // seen by the very next operation
});

Deno.test("PacedScan: a slow scan is repeated only after PACE_FACTOR times its duration", () => {
  const { state, paced } = fakeScan();
  state.duration = 25; // ms, e.g. 5,000 directories
  assert.deepEqual(paced.check(), []);
  assert.equal(state.calls, 1);
  state.found = ["planted"];
  // operations inside the window reuse the clean result
  state.now += PACE_FACTOR * 25 - 1;
  assert.deepEqual(paced.check(), []);
  assert.equal(state.calls, 1);
  // past it the scan runs again and sees the link
  state.now += 2;
  assert.deepEqual(paced.check(), ["planted"]);
  assert.equal(state.calls, 2);
  // while links are found every operation scans again, so removing them counts at once
  state.found = [];
  assert.deepEqual(paced.check(), []);
  assert.equal(state.calls, 3);
  // and the clean result is paced again
  assert.deepEqual(paced.check(), []);
  assert.equal(state.calls, 3);
});

Deno.test("PacedScan: a tree that becomes fast to scan is scanned every time again", () => {
  const { state, paced } = fakeScan();
  state.duration = 5 * PACE_FROM_MS;
  paced.check();
  state.now += PACE_FACTOR * state.duration; // window over
  state.duration = PACE_FROM_MS / 10;
  paced.check();
  assert.equal(state.calls, 2);
  paced.check();
  paced.check();
  assert.equal(state.calls, 4);
});
