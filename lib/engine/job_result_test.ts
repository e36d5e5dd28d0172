import assert from "node:assert/strict";
import { fitResult, notStartedResult, ranResult, RESULT_ROOM_BYTES } from "./job_result.ts";
import type { RunOutcome } from "./executor.ts";

const meta = { executionCount: 3, startedAt: 10, completedAt: 20 };

Deno.test("ranResult() passes outcomes through, and renames a stopped job's failure", () => {
  const value = new Uint8Array([1]);
  const ok: RunOutcome = { ok: true, value, ...meta, runMs: 4 };
  assert.deepEqual(ranResult("t1", ok, { ename: "TaskTimeout", evalue: "x" }), {
    type: "result",
    msgId: "t1",
    ok: true,
    value,
    executionCount: 3,
    started: 10,
    completed: 20,
    runMs: 4,
  });
  const interrupted: RunOutcome = {
    ok: false,
    error: { ename: "Interrupted", evalue: "… so the namespace is empty again", stack: "s" },
    ...meta,
  };
  const r = ranResult("t2", interrupted, { ename: "TaskTimeout", evalue: "task {id} ran long" });
  assert.ok(!r.ok);
  assert.deepEqual(r.error, {
    ename: "TaskTimeout",
    evalue: "task t2 ran long; the engine's namespace was reset",
    stack: "s",
  });
  const failed = ranResult("t3", { ...interrupted, error: { ename: "E", evalue: "v", stack: "" } });
  assert.ok(!failed.ok);
  assert.equal(failed.error!.ename, "E");
});

Deno.test("notStartedResult() says the job never started; an interrupt reads as an abort", () => {
  const r = notStartedResult("t9", { ename: "Interrupted", evalue: "task {id} was interrupted" });
  assert.ok(!r.ok);
  assert.equal(r.error!.ename, "TaskAborted");
  assert.equal(r.error!.evalue, "task t9 was interrupted before it started");
  assert.equal(r.executionCount, 0);
  const handed = notStartedResult(
    "t7",
    { ename: "Interrupted", evalue: "task {id} stopped" },
    true,
  );
  assert.equal(handed.error!.ename, "Interrupted");
  assert.equal(handed.error!.evalue, "task t7 stopped before it started");
  const t = notStartedResult("t8", { ename: "TaskTimeout", evalue: "timed out" });
  assert.ok(!t.ok);
  assert.equal(t.error!.ename, "TaskTimeout");
});

Deno.test("fitResult() turns a value too big for the controller into a ResultTooLarge failure", () => {
  const big = ranResult("t9", { ok: true, value: new Uint8Array(2 * 1024 * 1024), ...meta });
  const limit = 2 * 1024 * 1024 + RESULT_ROOM_BYTES;
  assert.equal(fitResult(big, limit), big, "exactly fits with its room");
  const fitted = fitResult(big, limit - 1);
  assert.equal(fitted.ok, false);
  assert.equal(fitted.value, undefined);
  assert.equal(fitted.msgId, "t9");
  assert.equal(fitted.executionCount, 3);
  assert.equal(fitted.error?.ename, "ResultTooLarge");
  assert.match(
    fitted.error!.evalue,
    /^The result of task t9 is 2\.0 MiB encoded, more than the controller accepts in one message \(2\.1 MiB, its --max-frame-mb\); it was not sent .*--max-frame-mb \(at most 1024\)$/,
  );
  const failed = ranResult("t8", {
    ok: false,
    error: { ename: "E", evalue: "x", stack: "" },
    ...meta,
  });
  assert.equal(fitResult(failed, 1), failed, "failures pass as they are");
});
