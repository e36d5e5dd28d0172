import assert from "node:assert/strict";
import { encodeValue } from "../protocol/codec.ts";
import { exec, failure, value, withExecutor } from "./executor_testing.ts";
import { type Prepare, SourcePreparer } from "./stripper.ts";

/** A preparer that hands JavaScript through unchanged, once the test opens its gate. */
function gatedSources() {
  const called = Promise.withResolvers<void>();
  const gate = Promise.withResolvers<Prepare>();
  const sources = new SourcePreparer(() => {
    called.resolve();
    return gate.promise;
  });
  return { sources, called: called.promise, open: () => gate.resolve((_kind, js) => js) };
}

Deno.test("an execute that comes before the stripper has loaded waits for it; the ops behind it keep their order", async () => {
  const { sources, called, open } = gatedSources();
  await withExecutor(async ({ ex }) => {
    const first = ex.run(exec("40 + 2"));
    await called; // Executor.create started loading the stripper
    assert.equal(sources.settled, false);
    const order: string[] = [];
    void first.then(() => order.push("execute"));
    // a push behind it runs after it, in order
    const pushed = ex.run({ kind: "push", ns: encodeValue({ z: 1 }) });
    void pushed.then(() => order.push("push"));
    open();
    assert.equal(value(await first), 42);
    assert.equal(value(await pushed), undefined);
    assert.deepEqual(order, ["execute", "push"]);
    assert.deepEqual(value(await ex.run({ kind: "pull", names: ["z"] })), [1]);
  }, { sources });
});

Deno.test("a stripper that cannot load fails each execute and apply with what to do; other ops go on", async () => {
  const sources = new SourcePreparer(() => Promise.reject(new Error("npm:sucrase is not cached")));
  await withExecutor(async ({ ex }) => {
    for (
      const op of [exec("1"), { kind: "apply" as const, fn: "() => 1", args: encodeValue([]) }]
    ) {
      const error = failure(await ex.run(op));
      assert.equal(error.ename, "ExecutorStartError");
      assert.match(error.evalue, /npm:sucrase is not cached\); restart the engine/);
    }
    await ex.run({ kind: "push", ns: encodeValue({ y: 2 }) });
    assert.deepEqual(value(await ex.run({ kind: "pull", names: ["y"] })), [2]);
  }, { sources });
});
