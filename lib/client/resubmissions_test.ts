import assert from "node:assert/strict";
import type { ErrorData } from "../protocol/errors.ts";
import type { SubmitTask } from "../protocol/messages.ts";
import { Resubmissions, RESUBMITS } from "./resubmissions.ts";

const task = (msgId: string, lb?: SubmitTask["lb"], engineId?: number): SubmitTask => ({
  msgId,
  op: { kind: "names" },
  ...(lb ? { lb } : {}),
  ...(engineId === undefined ? {} : { engineId }),
});
const lost: ErrorData = { ename: "TaskLost", evalue: "", stack: "" };
const died: ErrorData = { ename: "EngineError", evalue: "", stack: "", retriable: true };
const plain: ErrorData = { ename: "EngineError", evalue: "", stack: "" };

Deno.test("Resubmissions: a task lost before it ran goes again, until it was seen running", () => {
  const r = new Resubmissions();
  r.submitted(task("a"));
  assert.deepEqual(r.again("a", lost), task("a"));
  assert.deepEqual(r.again("a", undefined), task("a"), "unknown to the controller: lost too");
  assert.equal(r.again("a", plain), undefined, "a plain failure is final");
  r.ran("a");
  assert.equal(r.again("a", lost), undefined, "it ran: never again");
  assert.equal(r.again("unknown", lost), undefined);
});

Deno.test("Resubmissions: at most RESUBMITS times, and nothing after done", () => {
  const r = new Resubmissions();
  r.submitted(task("a"));
  for (let i = 0; i < RESUBMITS; i++) assert.ok(r.again("a", lost));
  assert.equal(r.again("a", lost), undefined);
  r.submitted(task("b"));
  r.done("b");
  assert.equal(r.again("b", lost), undefined);
});

Deno.test("Resubmissions: retriable failures spend the retries of load-balanced tasks", () => {
  const r = new Resubmissions();
  r.submitted(task("lb", { retries: 2 }));
  r.submitted(task("none", {}));
  r.submitted(task("direct", { retries: 2 }, 0));
  r.ran("lb"); // running does not matter for retries
  assert.deepEqual(r.again("lb", died), task("lb", { retries: 1 }));
  assert.deepEqual(r.again("lb", died), task("lb", { retries: 0 }));
  assert.equal(r.again("lb", died), undefined, "retries used up");
  assert.equal(r.again("none", died), undefined, "no retries asked for");
  assert.equal(r.again("direct", died), undefined, "direct tasks are not retried");
});
