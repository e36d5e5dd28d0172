import assert from "node:assert/strict";
import { failedHere } from "./failed_here.ts";

Deno.test("failedHere() is a failed result no engine ran, completed now", () => {
  const before = Date.now();
  const r = failedHere("m-1", -1, "TaskLost", "gone");
  assert.deepEqual({ ...r, completed: 0 }, {
    msgId: "m-1",
    engineId: -1,
    ok: false,
    error: { ename: "TaskLost", evalue: "gone", stack: "" },
    executionCount: 0,
    submitted: 0,
    started: 0,
    completed: 0,
  });
  assert(r.completed >= before && r.completed <= Date.now());
});
