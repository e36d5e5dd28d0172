import assert from "node:assert/strict";
import {
  AUTO_HWM_MAX,
  AUTO_HWM_MIN,
  AUTO_HWM_START,
  AUTO_QUEUE_MS,
  AutoHwm,
  markFor,
} from "./auto_hwm.ts";

/** Runs `n` tasks of `ms` each, one at a time, with more of the batch still queued. */
function run(auto: AutoHwm, n: number, ms: number): void {
  for (let i = 0; i < n; i++) {
    auto.placed();
    auto.finished(ms, true);
  }
}

Deno.test("markFor: powers of two keeping about AUTO_QUEUE_MS of work queued", () => {
  assert.equal(markFor(undefined), AUTO_HWM_MIN);
  assert.equal(markFor(0), AUTO_HWM_MAX);
  assert.equal(markFor(0.01), AUTO_HWM_MAX);
  assert.equal(markFor(AUTO_QUEUE_MS / 8), 8); // 1 + 8 = 9 → 8
  assert.equal(markFor(AUTO_QUEUE_MS / 4), 4); // 1 + 4 = 5 → 4
  assert.equal(markFor(AUTO_QUEUE_MS / 3), 4); // 1 + 3 = 4
  assert.equal(markFor(AUTO_QUEUE_MS / 2), 2); // 1 + 2 = 3 → 2
  assert.equal(markFor(AUTO_QUEUE_MS), AUTO_HWM_MIN);
  assert.equal(markFor(300_000), AUTO_HWM_MIN);
  for (const avg of [0, 0.02, 0.07, 0.1, 0.2, 0.3, 0.6, 1, 5]) {
    const mark = markFor(avg);
    assert.ok(mark >= AUTO_HWM_MIN && mark <= AUTO_HWM_MAX);
    assert.equal(mark & (mark - 1), 0, `${mark} is a power of two`);
    // the work queued behind the running task stays within AUTO_QUEUE_MS
    if (mark > AUTO_HWM_MIN) assert.ok((mark - 1) * avg <= AUTO_QUEUE_MS + 1e-9, `avg ${avg}`);
  }
});

Deno.test("AutoHwm starts at one task per engine and doubles per tiny result up to the maximum", () => {
  const auto = new AutoHwm();
  assert.equal(auto.value, AUTO_HWM_START);
  assert.equal(auto.averageMs, undefined);
  const seen: number[] = [];
  for (let i = 0; i < 5; i++) {
    auto.placed();
    auto.finished(0.01, true);
    seen.push(auto.value);
  }
  assert.deepEqual(seen, [2, 4, 8, 16, 16]);
  // a first result of a long task: the minimum, never below
  const slow = new AutoHwm();
  slow.placed();
  slow.finished(300, true);
  assert.equal(slow.value, AUTO_HWM_MIN);
});

Deno.test("AutoHwm falls to the minimum with one long result, rises again over many short", () => {
  const auto = new AutoHwm();
  run(auto, 10, 0);
  assert.equal(auto.value, 16);
  auto.placed();
  assert.equal(auto.finished(300, true), true);
  assert.equal(auto.value, AUTO_HWM_MIN);
  // tiny tasks again: a few results are not enough to trust them...
  run(auto, 5, 0);
  assert.equal(auto.value, AUTO_HWM_MIN);
  // ...many are
  run(auto, 100, 0);
  assert.equal(auto.value, 16);
});

Deno.test("AutoHwm keeps tasks of a millisecond or more at the minimum", () => {
  const auto = new AutoHwm();
  run(auto, 50, 2);
  assert.equal(auto.value, AUTO_HWM_MIN);
  run(auto, 50, 1);
  assert.equal(auto.value, AUTO_HWM_MIN);
  // 0.2 ms tasks, with jitter: a mark of 4, and it stays put (no rebuild of the scheduler
  // every few tasks)
  const sub = new AutoHwm();
  let changes = 0;
  for (let i = 0; i < 300; i++) {
    sub.placed();
    if (sub.finished(i % 5 === 0 ? 0.6 : 0.1, true) && i > 50) changes++;
  }
  assert.ok(Math.abs(sub.averageMs! - 0.2) < 0.1, `average ${sub.averageMs}`);
  assert.equal(sub.value, 4);
  assert.equal(changes, 0);
});

Deno.test("AutoHwm starts over when a batch is done, not while tasks wait", () => {
  const auto = new AutoHwm();
  for (let i = 0; i < 2; i++) auto.placed();
  for (let i = 0; i < 2; i++) auto.finished(0, true);
  assert.equal(auto.value, 4);
  // all results are in but tasks still wait for an engine: the same batch goes on
  assert.equal(auto.finished(0, true), true);
  assert.equal(auto.value, 8);
  assert.equal(auto.finished(0, true), true);
  assert.equal(auto.value, 16);
  // the last one out with nothing waiting: what comes next is unknown work
  auto.placed();
  auto.placed();
  assert.equal(auto.finished(0, false), false, "one still out");
  assert.equal(auto.value, 16);
  assert.equal(auto.finished(0, false), true);
  assert.equal(auto.value, AUTO_HWM_START);
  assert.equal(auto.averageMs, undefined);
});

Deno.test("AutoHwm counts off a task that never ran without taking a run time", () => {
  const auto = new AutoHwm();
  run(auto, 10, 0);
  auto.placed();
  auto.placed();
  assert.equal(auto.finished(undefined, true), false);
  assert.equal(auto.value, 16);
  assert.equal(auto.averageMs, 0);
  assert.equal(auto.finished(Number.NaN, true), false);
  assert.equal(auto.value, 16);
});

Deno.test("AutoHwm falls at once when a task is known to run long, before its result", () => {
  const auto = new AutoHwm();
  run(auto, 10, 0);
  assert.equal(auto.value, 16);
  auto.placed();
  assert.equal(auto.runningFor(20), true);
  assert.equal(auto.value, AUTO_HWM_MIN);
  assert.equal(auto.runningFor(5), false, "a shorter bound changes nothing");
  assert.equal(auto.averageMs, 20);
  // its result then counts as usual
  auto.finished(300, true);
  assert.equal(auto.averageMs, 48);
});
