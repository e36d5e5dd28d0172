import assert from "node:assert/strict";
import { type Prepare, SourcePreparer, stripper } from "./stripper.ts";

Deno.test("the engine's stripper loads once, then strips types and adds loop checks", async () => {
  await Promise.all([stripper.load(), stripper.load()]);
  assert.equal(stripper.settled, true);
  const js = stripper.prepare("execute", "let x: number = 1;\nwhile (x) { x--; }\nx");
  assert.doesNotMatch(js, /: number/);
  assert.match(js, /\$ipx\$/); // the interrupt check in the loop
  assert.match(stripper.prepare("apply", "(a: number) => a + 1"), /^\(?\(a\) => a \+ 1/);
});

Deno.test("a SourcePreparer calls its loader once, however many ops wait for it", async () => {
  let calls = 0;
  const gate = Promise.withResolvers<Prepare>();
  const prep = new SourcePreparer(() => (calls++, gate.promise));
  const waiting = [prep.load(), prep.load(), prep.load()];
  assert.equal(prep.settled, false);
  assert.throws(() => prep.prepare("execute", "1"), {
    name: "ExecutorStartError",
    message: /not loaded yet/,
  });
  gate.resolve((kind, source) => `${kind}:${source}`);
  await Promise.all(waiting);
  assert.equal(calls, 1);
  assert.equal(prep.settled, true);
  assert.equal(prep.prepare("apply", "f"), "apply:f");
});

Deno.test("a loader that fails is reported for every op: what failed, and to restart the engine", async () => {
  let calls = 0;
  const prep = new SourcePreparer(() => {
    calls++;
    return Promise.reject(new TypeError("module not found: npm:sucrase"));
  });
  await prep.load(); // never rejects
  await prep.load();
  assert.equal(calls, 1);
  assert.equal(prep.settled, true);
  for (let i = 0; i < 2; i++) {
    assert.throws(() => prep.prepare("execute", "1"), (e: unknown) => {
      const error = e as Error;
      return error.name === "ExecutorStartError" &&
        /loading its TypeScript stripper failed \(module not found: npm:sucrase\); restart the engine/
          .test(error.message) &&
        error.cause instanceof TypeError;
    });
  }
});
