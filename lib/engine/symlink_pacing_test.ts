import assert from "node:assert/strict";
import { PACE_FACTOR, PACE_FROM_DIRS, PACE_FROM_ENTRIES, PacedScan } from "./symlink_pacing.ts";

/**
 * A scanner whose duration, directory count and findings the test sets; it advances the fake
 * clock as it runs.
 */
function fakeScan() {
  const state = { now: 0, duration: 0.01, dirs: 1, entries: 3, found: [] as string[], calls: 0 };
  const scanner = {
    scan: () => {
      state.calls++;
      state.now += state.duration;
      return [...state.found];
    },
    get directories() {
      return state.dirs;
    },
    get entries() {
      return state.entries;
    },
  };
  return { state, paced: new PacedScan(scanner, () => state.now) };
}

Deno.test("PacedScan: a small data dir is scanned before every operation, however slow", () => {
  const { state, paced } = fakeScan();
  state.dirs = PACE_FROM_DIRS - 1;
  state.entries = PACE_FROM_ENTRIES - 1;
  state.duration = 50; // a loaded machine
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
  state.dirs = 5100;
  state.duration = 25; // ms
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

Deno.test("PacedScan: a tree that shrinks below PACE_FROM_DIRS is scanned every time again", () => {
  const { state, paced } = fakeScan();
  state.dirs = PACE_FROM_DIRS;
  state.duration = 5;
  paced.check();
  state.now += PACE_FACTOR * state.duration; // window over
  state.dirs = PACE_FROM_DIRS - 1;
  paced.check();
  assert.equal(state.calls, 2);
  paced.check();
  paced.check();
  assert.equal(state.calls, 4);
});

Deno.test("PacedScan: one directory with many entries is paced like a big tree", () => {
  const { state, paced } = fakeScan();
  state.dirs = 1;
  state.entries = PACE_FROM_ENTRIES; // e.g. 10,000 output files that tasks keep adding to
  state.duration = 14;
  paced.check();
  state.now += 1;
  paced.check();
  paced.check();
  assert.equal(state.calls, 1, "within the window the last result is reused");
  state.now += PACE_FACTOR * state.duration;
  paced.check();
  assert.equal(state.calls, 2);
});
