import assert from "node:assert/strict";
import { LocalEvaluator } from "./local_evaluator.ts";

Deno.test("LocalEvaluator keeps let/const between cells and returns the last value", async () => {
  using ev = await LocalEvaluator.create();
  assert.deepEqual(await ev.evaluate("let lx1: number = 40"), { ok: true, value: undefined });
  assert.deepEqual(await ev.evaluate("const lc1 = 2; lx1 + lc1"), { ok: true, value: 42 });
  assert.deepEqual(await ev.evaluate("lx1 = lx1 + 1; lx1"), { ok: true, value: 41 });
  assert.deepEqual(await ev.evaluate("let lx1 = 'again'; lx1"), { ok: true, value: "again" });
  assert.ok((await ev.names()).includes("lc1"));
});

Deno.test("LocalEvaluator supports top-level await and returns objects as themselves", async () => {
  using ev = await LocalEvaluator.create();
  const out = await ev.evaluate("const lo2 = await Promise.resolve({ a: [1n, -0] }); lo2");
  assert.ok(out.ok);
  assert.deepEqual(out.value, { a: [1n, -0] });
  const thenable = await ev.evaluate("({ then(r: (v: number) => void) { r(1) } })");
  assert.ok(thenable.ok && typeof (thenable.value as { then: unknown }).then === "function");
  const promise = await ev.evaluate("Promise.resolve(3)");
  assert.ok(promise.ok && promise.value instanceof Promise);
  assert.deepEqual(await ev.evaluate("10n ** 20n"), { ok: true, value: 10n ** 20n });
});

Deno.test("LocalEvaluator reports thrown values and syntax errors", async () => {
  using ev = await LocalEvaluator.create();
  const thrown = await ev.evaluate("function lf3() { throw new RangeError('no') }\nlf3()");
  assert.equal(thrown.ok, false);
  const error = (thrown as { error: Error }).error;
  assert.ok(error instanceof RangeError);
  assert.equal(error.message, "no");
  assert.match(error.stack ?? "", /at lf3 \(<anonymous>:1:/);
  assert.deepEqual(await ev.evaluate("throw 5"), { ok: false, error: 5 });
  const syntax = await ev.evaluate("1 +* 2");
  assert.equal((syntax as { error: Error }).error.name, "SyntaxError");
});

Deno.test("LocalEvaluator.assign() binds globals and existing lets, refuses consts", async () => {
  using ev = await LocalEvaluator.create();
  await ev.assign("la4", { v: 1 });
  assert.deepEqual(await ev.evaluate("la4.v"), { ok: true, value: 1 });
  await ev.evaluate("let lb4 = 0");
  await ev.assign("lb4", 7);
  assert.deepEqual(await ev.evaluate("lb4"), { ok: true, value: 7 });
  await ev.evaluate("const lc4 = 0");
  await assert.rejects(ev.assign("lc4", 1), /Cannot bind "lc4"/);
  await assert.rejects(ev.assign("no pe", 1), /not a variable name/);
});

Deno.test("LocalEvaluator.properties() completes side-effect-free expressions only", async () => {
  using ev = await LocalEvaluator.create();
  await ev.evaluate("const lp5 = { alpha: 1, beta: { gamma: 2 } }; let lp5count = 0");
  assert.deepEqual(await ev.properties("lp5"), ["alpha", "beta"]);
  assert.deepEqual(await ev.properties("lp5.beta"), ["gamma"]);
  assert.ok((await ev.properties("'s'")).includes("toUpperCase"));
  assert.deepEqual(await ev.properties("(lp5count++, lp5)"), []);
  assert.deepEqual(await ev.evaluate("lp5count"), { ok: true, value: 0 });
  assert.deepEqual(await ev.properties("nope5"), []);
});

Deno.test("LocalEvaluator shows { a: 1 } as an object, as Node's REPL does", async () => {
  using ev = await LocalEvaluator.create();
  assert.deepEqual(await ev.evaluate("{ a: 1 }"), { ok: true, value: { a: 1 } });
  assert.deepEqual(await ev.evaluate("{ const lb7 = 5; lb7 * 2 }"), { ok: true, value: 10 });
  assert.deepEqual(await ev.evaluate("{}"), { ok: true, value: {} });
});
