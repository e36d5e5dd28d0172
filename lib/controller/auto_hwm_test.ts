import assert from "node:assert/strict";
import {
  AUTO_HWM_MAX,
  AUTO_HWM_MIN,
  AUTO_IDLE_RESET_MS,
  AUTO_QUEUE_MS,
  AutoHwm,
  markFor,
} from "./auto_hwm.ts";

/** Runs `n` tasks of `ms` each, one at a time, starting at `t`; returns the end time. */
function run(auto: AutoHwm, n: number, ms: number, t = 0): number {
  for (let i = 0; i < n; i++) {
    auto.placed(t);
    t += ms;
    auto.finished(ms, t);
  }
  return t;
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

Deno.test("AutoHwm starts at the minimum and doubles per tiny result up to the maximum", () => {
  const auto = new AutoHwm();
  assert.equal(auto.value, AUTO_HWM_MIN);
  assert.equal(auto.averageMs, undefined);
  const seen: number[] = [];
  for (let i = 0; i < 5; i++) {
    auto.placed(i);
    auto.finished(0, i);
    seen.push(auto.value);
  }
  assert.deepEqual(seen, [4, 8, 16, 16, 16]);
});

Deno.test("AutoHwm falls to the minimum with one long result, rises again over many short", () => {
  const auto = new AutoHwm();
  let t = run(auto, 10, 0);
  assert.equal(auto.value, 16);
  auto.placed(t);
  t += 300;
  assert.equal(auto.finished(300, t), true);
  assert.equal(auto.value, AUTO_HWM_MIN);
  // tiny tasks again: a few results are not enough to trust them...
  t = run(auto, 5, 0, t);
  assert.equal(auto.value, AUTO_HWM_MIN);
  // ...many are
  t = run(auto, 100, 0, t);
  assert.equal(auto.value, 16);
});

Deno.test("AutoHwm keeps tasks of a millisecond or more at the minimum", () => {
  const auto = new AutoHwm();
  run(auto, 50, 2);
  assert.equal(auto.value, AUTO_HWM_MIN);
  const sub = new AutoHwm();
  // 0.2 ms tasks as Date.now() differences read: one in five is 1 ms, the rest 0
  let t = 0;
  for (let i = 0; i < 200; i++) {
    sub.placed(t);
    sub.finished(i % 5 === 0 ? 1 : 0, ++t);
  }
  assert.ok(Math.abs(sub.averageMs! - 0.2) < 0.2, `average ${sub.averageMs}`);
  assert.equal(sub.value, 4);
  // and it stays put (no rebuild of the scheduler every few tasks)
  let changes = 0;
  for (let i = 0; i < 100; i++) {
    sub.placed(t);
    if (sub.finished(i % 5 === 0 ? 1 : 0, ++t)) changes++;
  }
  assert.equal(changes, 0);
});

Deno.test("AutoHwm forgets run times after an idle spell, not while tasks are out", () => {
  const auto = new AutoHwm();
  let t = run(auto, 10, 0);
  assert.equal(auto.value, 16);
  // a short pause: the same batch goes on
  t += AUTO_IDLE_RESET_MS - 1;
  assert.equal(auto.placed(t), false);
  auto.finished(0, t);
  assert.equal(auto.value, 16);
  // a long pause: a new batch of unknown tasks
  t += AUTO_IDLE_RESET_MS;
  assert.equal(auto.placed(t), true);
  assert.equal(auto.value, AUTO_HWM_MIN);
  assert.equal(auto.averageMs, undefined);
  // a task that stays out longer than the pause does not count as idle time
  auto.placed(t);
  t += 10 * AUTO_IDLE_RESET_MS;
  assert.equal(auto.placed(t), false);
});

Deno.test("AutoHwm counts off a task that never ran without taking a run time", () => {
  const auto = new AutoHwm();
  run(auto, 10, 0);
  auto.placed(100);
  assert.equal(auto.finished(undefined, 100_000), false);
  assert.equal(auto.value, 16);
  assert.equal(auto.averageMs, 0);
  assert.equal(auto.finished(Number.NaN, 100_001), false);
  // its count-off started the idle clock
  assert.equal(auto.placed(100_000 + AUTO_IDLE_RESET_MS), true);
});

Deno.test("AutoHwm falls at once when a task is known to run long, before its result", () => {
  const auto = new AutoHwm();
  const t = run(auto, 10, 0);
  assert.equal(auto.value, 16);
  auto.placed(t);
  assert.equal(auto.runningFor(20), true);
  assert.equal(auto.value, AUTO_HWM_MIN);
  assert.equal(auto.runningFor(5), false, "a shorter bound changes nothing");
  assert.equal(auto.averageMs, 20);
  // its result then counts as usual
  auto.finished(300, t + 300);
  assert.equal(auto.averageMs, 48);
});
