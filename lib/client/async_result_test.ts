import assert from "node:assert/strict";
import { encodeValue } from "../protocol/codec.ts";
import { AsyncResult } from "./async_result.ts";
import { TaskHandle } from "./task_handle.ts";

const owner = { interrupt() {}, abort() {} };

function finish(h: TaskHandle, ok: boolean): void {
  h.finish({
    msgId: h.msgId,
    engineId: h.engineId,
    ok,
    ...(ok ? { value: encodeValue(1) } : { error: { ename: "Error", evalue: "x", stack: "" } }),
    executionCount: 1,
    submitted: 0,
    started: 0,
    completed: 0,
  });
}

Deno.test("AsyncResult.get/wait refuse a negative or NaN timeout instead of timing out", async () => {
  const ar = new AsyncResult(owner, [new TaskHandle("m0", 0)], (v) => v, "execute");
  for (const t of [-1, NaN, "5" as unknown as number]) {
    await assert.rejects(() => ar.get(t), {
      name: "RangeError",
      message: `Invalid timeout for AsyncResult.get(): expected a number of ms >= 0, got ${
        typeof t === "number" ? t : "string"
      }; omit it (or pass Infinity) to wait until the result is ready`,
    });
    await assert.rejects(
      () => ar.wait(t),
      /^RangeError: Invalid timeout for AsyncResult\.wait\(\)/,
    );
  }
  assert.equal(await ar.wait(0), false);
});

Deno.test("AsyncResult.wait(Infinity) waits until ready, as when no timeout is given", async () => {
  const h = new TaskHandle("m0", 0);
  const ar = new AsyncResult(owner, [h], (v) => v, "apply");
  let outcome: boolean | undefined;
  const waiting = ar.wait(Infinity).then((v) => outcome = v);
  // a timer this long would overflow and fire after 1 ms: let a later timer go first
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(outcome, undefined);
  finish(h, true);
  assert.equal(await waiting, true);
  assert.deepEqual(await ar.get(Infinity), [1]);
});

Deno.test("AsyncResult shows as <AsyncResult(label) on engines …: state> when inspected", async () => {
  const [a, b] = [new TaskHandle("m0", 0), new TaskHandle("m1", 1)];
  const ar = new AsyncResult(owner, [a, b], (v) => v, "execute");
  assert.equal(Deno.inspect(ar), "<AsyncResult(execute) on engines 0,1: pending>");
  assert.equal(Deno.inspect({ ar }), "{ ar: <AsyncResult(execute) on engines 0,1: pending> }");
  finish(a, true);
  assert.equal(String(ar), "<AsyncResult(execute) on engines 0,1: 1/2 done>");
  finish(b, false);
  await ar.wait();
  assert.equal(`${ar}`, "<AsyncResult(execute) on engines 0,1: failed>");
  await ar.catch(() => {});
  const lb = new AsyncResult(owner, [new TaskHandle("m2", -1)], (v) => v, "apply");
  assert.equal(
    Deno.inspect(lb),
    "<AsyncResult(apply) on 1 task (load-balanced, not placed yet): pending>",
  );
  const { inspect } = await import("node:util");
  assert.equal(inspect(lb), Deno.inspect(lb));
});
