import assert from "node:assert/strict";
import type { SubmitTask, TaskOptions } from "../protocol/messages.ts";
import { checkSubmission } from "./lb_submission.ts";
import type { Outcome } from "./load_balancer_deps.ts";

const known = new Map<string, Outcome | "pending">([
  ["ok", { ok: true, engineId: 0, ename: null }],
  ["bad", { ok: false, engineId: 1, ename: "ZeroDivision" }],
  ["running", "pending"],
]);
const check = (lb: TaskOptions, defaultHwm: number | "auto" = "auto") =>
  checkSubmission(
    { msgId: "t", op: { kind: "names" }, lb } satisfies SubmitTask,
    defaultHwm,
    (id) => known.get(id),
  );
const evalue = (r: ReturnType<typeof check>) => ("error" in r ? r.error.evalue : "");

Deno.test("checkSubmission fills in defaults and keeps what the task gives", () => {
  assert.deepEqual(check({}), { scheme: "leastload", hwm: "auto", retries: 0, deps: [] });
  assert.deepEqual(check({}, 3), { scheme: "leastload", hwm: 3, retries: 0, deps: [] });
  assert.deepEqual(
    check({ scheme: "lru", hwm: 0, retries: 2, after: ["ok", "running"], follow: ["ok"] }),
    { scheme: "lru", hwm: 0, retries: 2, deps: ["ok", "running"] },
  );
  assert.equal((check({ hwm: "auto" }, 1) as { hwm: unknown }).hwm, "auto");
});

Deno.test("checkSubmission says what is wrong with bad options", () => {
  assert.match(evalue(check({ scheme: "fastest" })), /unknown scheme "fastest"; use one of/);
  assert.match(evalue(check({ hwm: -1 })), /hwm must be an integer >= 0 or "auto", got -1/);
  assert.match(evalue(check({ hwm: 1.5 })), /got 1.5/);
  assert.match(evalue(check({ retries: -2 })), /retries must be an integer >= 0, got -2/);
  assert.match(evalue(check({ after: ["t"] })), /cannot depend on itself/);
  assert.match(evalue(check({ after: ["nope"] })), /depends on nope, which the controller/);
  const failed = check({ follow: ["bad"] });
  assert.ok("error" in failed);
  assert.match(failed.error.evalue, /bad/);
});
