import assert from "node:assert/strict";
import { join } from "node:path";
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

Deno.test("LocalEvaluator takes a cell's relative import() from the current directory", async () => {
  using ev = await LocalEvaluator.create();
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "ipx-local-import-" }));
  const before = Deno.cwd();
  try {
    const work = join(root, "work");
    await Deno.mkdir(join(work, "sub"), { recursive: true });
    await Deno.writeTextFile(join(work, "helpers.ts"), 'export const where: string = "work";');
    await Deno.writeTextFile(join(work, "sub", "helpers.ts"), 'export const where = "sub";');
    await Deno.writeTextFile(join(root, "d.json"), '{ "n": 1 }');
    // decoys where Deno resolves a script's "./x" (beside the directory, not in it)
    await Deno.writeTextFile(join(root, "helpers.ts"), 'export const where = "beside";');
    await Deno.writeTextFile(join(work, "d.json"), '{ "n": "beside" }');
    Deno.chdir(work);
    assert.deepEqual(
      await ev.evaluate('const li8 = await import("./helpers.ts"); li8.where'),
      { ok: true, value: "work" },
    );
    assert.deepEqual(
      await ev.evaluate('(await import("../d.json", { with: { type: "json" } })).default'),
      { ok: true, value: { n: 1 } },
    );
    assert.deepEqual(
      await ev.evaluate('const lp8 = await import("node:path"); lp8.sep'),
      { ok: true, value: "/" },
    );
    const absolute = JSON.stringify(join(work, "sub", "helpers.ts"));
    assert.deepEqual(
      await ev.evaluate(`(await import(${absolute})).where`),
      { ok: true, value: "sub" },
    );
    // the directory when the cell runs, not when the evaluator started
    Deno.chdir(join(work, "sub"));
    assert.deepEqual(
      await ev.evaluate('(await import("./helpers.ts")).where'),
      { ok: true, value: "sub" },
    );
    // strings and comments that look like imports stay as they are
    assert.deepEqual(
      await ev.evaluate('"import(\'./x\')" + `import("./y")` // import("./z")'),
      { ok: true, value: "import('./x')import(\"./y\")" },
    );
    const bare = await ev.evaluate('await import("helpers.ts")');
    assert.equal(bare.ok, false);
    assert.match(String((bare as { error: Error }).error), /"helpers\.ts"/);
    assert.doesNotMatch(String((bare as { error: Error }).error), /lib\/(evaluate|repl)/);
    assert.ok(!(await ev.names()).some((n) => n.startsWith("$ipx$")), "ipx's hooks not listed");
  } finally {
    Deno.chdir(before);
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("LocalEvaluator: 60,000 cells back to back do not abort Deno (they did 2 runs in 3)", async () => {
  const loop = new URL("../../tests/_helpers/local_cells_loop.ts", import.meta.url);
  const config = new URL("../../deno.json", import.meta.url);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", config.pathname, loop.pathname, "60000", "1 + 1"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  const stderr = text.decode(out.stderr);
  assert.doesNotMatch(stderr, /DisallowJavascriptExecutionScope|panicked/);
  assert.equal(out.code, 0, stderr.slice(-2000));
  assert.equal(text.decode(out.stdout).trim(), "done 60000");
});
