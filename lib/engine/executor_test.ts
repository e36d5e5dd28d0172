import assert from "node:assert/strict";
import { join } from "node:path";
import { encodeValue } from "../protocol/codec.ts";
import { RemoteRepr } from "../protocol/remote_repr.ts";
import { Executor, ExecutorClosedError } from "./executor.ts";
import { exec, failure, value, withExecutor } from "./executor_testing.ts";

Deno.test("Executor keeps let, const, functions and classes between executes", async () => {
  await withExecutor(async ({ ex }) => {
    assert.equal(value(await ex.run(exec("let a = 5"))), undefined);
    assert.equal(value(await ex.run(exec("a + 1"))), 6);
    await ex.run(exec("const c = 2; function f(x) { return x * c + a }; class K { v = 3 }"));
    assert.equal(value(await ex.run(exec("f(10) + new K().v"))), 28);
    await ex.run(exec("let a = 100")); // redeclaring a let is allowed, as in a REPL
    assert.equal(value(await ex.run(exec("f(0)"))), 100, "f sees the new a");
  });
});

Deno.test("Executor reads a { … } cell as an object when it is one, else as a block", async () => {
  await withExecutor(async ({ ex }) => {
    assert.deepEqual(value(await ex.run(exec("{ a: 1, b: [2] as number[] }"))), { a: 1, b: [2] });
    assert.equal(value(await ex.run(exec("{ let q = 2; q * 3 }"))), 6);
    assert.equal(value(await ex.run(exec("typeof q"))), "undefined", "the block's let stays in it");
  });
});

Deno.test("Executor refuses Deno.exit(), process.exit(), close() and signals to its own process; the engine goes on", async () => {
  await withExecutor(async ({ ex }) => {
    for (
      const code of [
        "Deno.exit(1)",
        "(await import('node:process')).default.exit(2)",
        "close()",
        "self.close()",
        "Deno.exit = () => 0; Deno.exit()",
        "Deno.kill(Deno.pid, 'SIGSTOP')",
        "(await import('node:process')).default.kill(Deno.pid, 'SIGKILL')",
        "(await import('node:process')).default._kill(Deno.pid, 9)",
      ]
    ) {
      const error = failure(await ex.run(exec(`let n${code.length} = 1; ${code}`)));
      assert.equal(error.ename, "NotCapable", code);
      assert.match(
        error.evalue,
        /is not allowed in engine code: it would (stop the engine's code worker|kill or stop the engine)/,
      );
      assert.match(error.evalue, /client\.shutdown\(\{ targets \}\)/);
      assert.equal(
        value(await ex.run(exec(`n${code.length} + 1`))),
        2,
        `namespace kept after ${code}`,
      );
    }
    // the refused process.exit() left no trace: no exit code set, no "exit" event
    assert.deepEqual(
      value(
        await ex.run(exec(
          "const proc = (await import('node:process')).default; let heard = false;\n" +
            "proc.on('exit', () => { heard = true });\n" +
            "try { proc.exit(4) } catch {}\n[proc.exitCode ?? null, heard]",
        )),
      ),
      [null, false],
    );
    const applied = failure(
      await ex.run({ kind: "apply", fn: "() => Deno.exit(3)", args: encodeValue([]) }),
    );
    assert.equal(applied.ename, "NotCapable");
    assert.equal(value(await ex.run(exec("6 * 7"))), 42);
    // signal 0 only asks whether a process exists
    assert.equal(
      value(await ex.run(exec("(await import('node:process')).default.kill(Deno.pid, 0)"))),
      true,
    );
    // `close` is an ordinary name: a variable (a price column) may take it
    assert.equal(value(await ex.run(exec("let close = [1.5, 2.5]; close[1]"))), 2.5);
    await ex.run({ kind: "push", ns: encodeValue({ close: [3] }) });
    assert.deepEqual(value(await ex.run({ kind: "pull", names: ["close"] })), [[3]]);
  });
});

Deno.test("Executor accepts TypeScript and top-level await", async () => {
  await withExecutor(async ({ ex }) => {
    const outcome = await ex.run(exec(
      "interface Pt { x: number }\nconst p = { x: 40 } as Pt;\n" +
        "const add = <T extends number>(a: T, b: number): number => a + b;\n" +
        "await Promise.resolve(add(p.x, 2))",
    ));
    assert.equal(value(outcome), 42);
  });
});

Deno.test("Executor reports how long code ran inside the Worker, unaffected by user code", async () => {
  await withExecutor(async ({ ex }) => {
    const spin = "const end = Date.now() + 30; while (Date.now() < end) {}";
    const ok = await ex.run(exec(spin));
    assert.ok(ok.runMs !== undefined && ok.runMs >= 29, `runMs ${ok.runMs}`);
    assert.ok(ok.runMs <= ok.completedAt - ok.startedAt + 1, "inside the op's own span");
    const failed = await ex.run(exec(`${spin}; throw new Error("x")`));
    assert.ok(!failed.ok && failed.runMs! >= 29);
    // user code replacing performance.now does not change the engine's measure
    await ex.run(exec("performance.now = () => 1e12"));
    const tiny = await ex.run(exec("1"));
    assert.ok(tiny.runMs !== undefined && tiny.runMs >= 0 && tiny.runMs < 1000);
  });
});

Deno.test("Executor counts executes only, once each, failures included", async () => {
  await withExecutor(async ({ ex }) => {
    const counts: number[] = [];
    counts.push((await ex.run(exec("1"))).executionCount);
    counts.push((await ex.run(exec("throw new Error('x')"))).executionCount);
    counts.push((await ex.run({ kind: "push", ns: encodeValue({ z: 1 }) })).executionCount);
    counts.push((await ex.run({ kind: "pull", names: ["z"] })).executionCount);
    counts.push(
      (await ex.run({ kind: "apply", fn: "() => 1", args: encodeValue([]) }))
        .executionCount,
    );
    counts.push((await ex.run(exec("let x: = 1"))).executionCount);
    counts.push((await ex.run(exec("3"))).executionCount);
    assert.deepEqual(counts, [1, 2, 2, 2, 2, 3, 4]);
    const timed = await ex.run(exec("1"));
    assert.ok(timed.startedAt <= timed.completedAt);
  });
});

Deno.test("Executor reports a thrown error with its name, message and a clean stack", async () => {
  await withExecutor(async ({ ex }) => {
    const error = failure(
      await ex.run(exec("function boom() { throw new RangeError('bad') }\nboom()")),
    );
    assert.equal(error.ename, "RangeError");
    assert.equal(error.evalue, "bad");
    assert.equal(error.engineId, 7);
    assert.match(error.stack, /at boom \(<anonymous>:1:\d+\)/);
    assert.doesNotMatch(error.stack, /worker\.ts|Session\.post/);
    const thrown = failure(await ex.run(exec("throw 'plain'")));
    assert.deepEqual([thrown.ename, thrown.evalue], ["Error", "Uncaught plain"]);
    const hostile = failure(
      await ex.run(exec(
        "class Nasty extends Error { get message(): string { throw new Error('gotcha') } }\n" +
          "throw new Nasty()",
      )),
    );
    assert.equal(hostile.evalue, "Uncaught value that cannot be described");
    assert.equal(value(await ex.run(exec("'after hostile'"))), "after hostile");
    const syntax = failure(await ex.run(exec("import x from './y.ts'")));
    assert.equal(syntax.ename, "SyntaxError");
    assert.match(syntax.evalue, /await import\(/);
  });
});

Deno.test("apply() sees pushed and let names, awaits async functions", async () => {
  await withExecutor(async ({ ex }) => {
    await ex.run(exec("let base: number = 10"));
    await ex.run({ kind: "push", ns: encodeValue({ pushed: 5 }) });
    const sum = await ex.run({
      kind: "apply",
      fn: "(x: number, y: number) => base + pushed + x + y",
      args: encodeValue([1, 2]),
    });
    assert.equal(value(sum), 18);
    const slow = await ex.run({
      kind: "apply",
      fn: "async function twice(v) { await null; return [v, v] }",
      args: encodeValue([new Map([[1, "one"]])]),
    });
    assert.deepEqual(value(slow), [new Map([[1, "one"]]), new Map([[1, "one"]])]);
    const method = await ex.run({
      kind: "apply",
      fn: "half(v) { return v / 2 }",
      args: encodeValue([9]),
    });
    assert.equal(value(method), 4.5);
  });
});

Deno.test("apply() explains that functions cannot capture the client's variables", async () => {
  await withExecutor(async ({ ex }) => {
    const error = failure(
      await ex.run({
        kind: "apply",
        fn: "(x) => clientOnly + x",
        args: encodeValue([1]),
      }),
    );
    assert.equal(error.ename, "ReferenceError");
    assert.match(error.evalue, /^clientOnly is not defined; functions are sent as source/);
    assert.match(error.evalue, /pass values as arguments or push them/);
    const notFn = failure(await ex.run({ kind: "apply", fn: "42", args: encodeValue([]) }));
    assert.equal(notFn.ename, "TypeError");
  });
});

Deno.test("push() defines names and updates let names seen by earlier functions", async () => {
  await withExecutor(async ({ ex }) => {
    await ex.run(exec("let a = 1; function getA() { return a }"));
    value(await ex.run({ kind: "push", ns: encodeValue({ a: 5, fresh: "new" }) }));
    assert.equal(value(await ex.run(exec("a"))), 5);
    assert.equal(value(await ex.run(exec("getA()"))), 5);
    assert.equal(value(await ex.run(exec("fresh"))), "new");
    const applied = await ex.run({ kind: "apply", fn: "(x) => a + x", args: encodeValue([1]) });
    assert.equal(value(applied), 6);
  });
});

Deno.test("push() refuses const names and names that are not identifiers", async () => {
  await withExecutor(async ({ ex }) => {
    await ex.run(exec("const fixed = 1"));
    const constant = failure(await ex.run({ kind: "push", ns: encodeValue({ fixed: 2 }) }));
    assert.equal(constant.ename, "TypeError");
    assert.match(constant.evalue, /"fixed": it is declared with const/);
    const bad = failure(await ex.run({ kind: "push", ns: encodeValue({ "a-b": 1 }) }));
    assert.match(bad.evalue, /Cannot push "a-b"/);
    const notObject = failure(await ex.run({ kind: "push", ns: encodeValue([1]) }));
    assert.equal(notObject.ename, "TypeError");
    assert.equal(value(await ex.run(exec("fixed"))), 1);
  });
});

Deno.test("pull() reads let, const, var, pushed and global names in order", async () => {
  await withExecutor(async ({ ex }) => {
    await ex.run(exec("let l = 1; const c = 2; var v = 3; globalThis.g = 4"));
    await ex.run({ kind: "push", ns: encodeValue({ p: 5 }) });
    assert.deepEqual(value(await ex.run({ kind: "pull", names: ["p", "g", "v", "c", "l"] })), [
      5,
      4,
      3,
      2,
      1,
    ]);
    const missing = failure(await ex.run({ kind: "pull", names: ["l", "nope"] }));
    assert.equal(missing.ename, "ReferenceError");
    assert.match(
      missing.evalue,
      /^nope is not defined; pull reads names from the engine namespace/,
    );
    const injected = failure(await ex.run({ kind: "pull", names: ["l; Deno.exit()"] }));
    assert.equal(injected.ename, "TypeError");
  });
});

Deno.test("names() lists user names, not built-ins", async () => {
  await withExecutor(async ({ ex }) => {
    await ex.run(exec("let l = 1; const c = 2; var v = 3; function f() {}; class K {}"));
    await ex.run({ kind: "push", ns: encodeValue({ p: 5 }) });
    assert.deepEqual(await ex.names(), ["K", "c", "f", "l", "p", "v"]);
    assert.deepEqual(value(await ex.run({ kind: "names" })), ["K", "c", "f", "l", "p", "v"]);
  });
});

Deno.test("clear resets the namespace and keeps the execution count", async () => {
  await withExecutor(async ({ ex }) => {
    await ex.run(exec("let gone = 1"));
    assert.equal(value(await ex.run({ kind: "clear" })), undefined);
    const after = await ex.run(exec("typeof gone"));
    assert.equal(value(after), "undefined");
    assert.equal(after.executionCount, 2);
    await ex.run(exec("let gone = 2")); // no clash with the old binding
    assert.equal(value(await ex.run(exec("gone"))), 2);
  });
});

Deno.test("Values round-trip through push, pull, execute and apply", async () => {
  await withExecutor(async ({ ex }) => {
    const big = new Uint8Array(10 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4093) big[i] = i % 251;
    const sample = {
      text: "héllo 🌍 — 日本語",
      big: 2n ** 100n,
      neg: -(2n ** 70n),
      map: new Map<unknown, unknown>([["k", [1, 2]], [3, new Set(["x"])]]),
      set: new Set([1, "two", null]),
      date: new Date("2024-02-29T12:34:56.789Z"),
      floats: new Float64Array([1.5, -0, Infinity]),
      ints: new Int32Array([-1, 2 ** 31 - 1]),
      nested: { a: [{ b: { c: [undefined, null, true] } }] },
      special: [NaN, Infinity, -Infinity],
    };
    value(await ex.run({ kind: "push", ns: encodeValue({ sample, big }) }));
    const [back, bytes] = value(await ex.run({ kind: "pull", names: ["sample", "big"] })) as [
      typeof sample,
      Uint8Array,
    ];
    assert.deepEqual(back, sample);
    assert.equal(bytes.length, big.length);
    assert.deepEqual(bytes, big);
    assert.equal(value(await ex.run(exec("big.byteLength"))), 10 * 1024 * 1024);
    assert.equal(value(await ex.run(exec("sample.text.length"))), sample.text.length);
    assert.equal(value(await ex.run(exec("123n ** 3n"))), 123n ** 3n);
    assert.deepEqual(value(await ex.run(exec("[NaN, -Infinity]"))), [NaN, -Infinity]);
    const echoed = await ex.run({ kind: "apply", fn: "(v) => v", args: encodeValue([sample]) });
    assert.deepEqual(value(echoed), sample);
  });
});

Deno.test("Values that cannot be sent fail with SerializationError naming type and engine", async () => {
  await withExecutor(async ({ ex }) => {
    const call = (body: string) => ({
      kind: "apply" as const,
      fn: `() => { ${body} }`,
      args: encodeValue([]),
    });
    for (
      const [code, type] of [
        ["return function helper() {}", "function helper"],
        ["class Point {}; return new Point()", "Point instance"],
        ["return Symbol('s')", "symbol"],
        ["return new WeakMap()", "WeakMap instance"],
        ["globalThis.later = 1; return new Map([[1, () => 1]])", "function"],
      ]
    ) {
      const error = failure(await ex.run(call(code ?? "")));
      assert.equal(error.ename, "SerializationError", code);
      assert.ok(error.evalue.includes(type ?? ""), error.evalue);
      assert.match(error.evalue, /engine 7/);
    }
    assert.equal(value(await ex.run(exec("'still fine'"))), "still fine");
    ex.engineId = 12; // assigned later by the controller
    assert.match(failure(await ex.run(call("return Symbol()"))).evalue, /on engine 12\)$/);
  });
});

Deno.test("execute: a last value that cannot be sent comes back as its inspected text; the code ran", async () => {
  await withExecutor(async ({ ex }) => {
    for (
      const [code, type, text] of [
        [
          "globalThis.helper = function helper(x) { return x * 2 }",
          "Function",
          "[Function: helper]",
        ],
        ["class Point { x = 1 }; new Point()", "Point", "Point { x: 1 }"],
        [
          "const m = new Map(); m.set(1, { f: () => 1 })",
          "Map",
          "Map(1) { 1 => { f: [Function: f] } }",
        ],
        ["Symbol('s')", "symbol", "Symbol(s)"],
      ]
    ) {
      const got = value(await ex.run(exec(code!)));
      assert.ok(got instanceof RemoteRepr, `${code}: ${Deno.inspect(got)}`);
      assert.equal(got.type, type, code);
      assert.equal(got.text, text, code);
      assert.equal(Deno.inspect(got), text, "shown as the engine printed it");
    }
    assert.equal(value(await ex.run(exec("helper(21)"))), 42, "the code's effects stand");
  });
});

Deno.test("A Promise result is awaited", async () => {
  await withExecutor(async ({ ex }) => {
    assert.equal(value(await ex.run(exec("Promise.resolve(41).then((v) => v + 1)"))), 42);
  });
});

Deno.test("user code cannot message the executor itself", async () => {
  await withExecutor(async ({ ex }) => {
    assert.equal(
      value(await ex.run(exec("typeof postMessage + typeof self.postMessage"))),
      "undefinedundefined",
    );
  });
});

Deno.test("user code runs with the data dir as cwd", async () => {
  await withExecutor(async ({ ex, data }) => {
    assert.equal(value(await ex.run(exec("Deno.cwd()"))), data);
    value(await ex.run(exec("await Deno.writeTextFile('note.txt', 'hi'); 1")));
    assert.equal(await Deno.readTextFile(join(data, "note.txt")), "hi");
    assert.equal(value(await ex.run(exec("Deno.readTextFileSync('note.txt')"))), "hi");
  });
});

Deno.test("run() after close() rejects; close() ends a spinning op and never hangs", async () => {
  const root = await Deno.makeTempDir({ prefix: "ipx_exec_" });
  try {
    const ex = await Executor.create({ dataDir: root });
    const started = Promise.withResolvers<void>();
    const spinning = ex.run(exec("console.log('spin'); while (true) {}"), () => started.resolve());
    const queued = ex.run(exec("1"));
    await started.promise;
    await ex.close();
    assert.equal(failure(await spinning).ename, "ExecutorClosed");
    assert.equal(failure(await queued).ename, "ExecutorClosed");
    await assert.rejects(ex.run(exec("1")), ExecutorClosedError);
    await ex.close(); // twice is fine
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("interrupt() stops while(true) within 1 s, resets the namespace, runs queued ops", async () => {
  await withExecutor(async ({ ex }) => {
    await ex.run(exec("let kept = 1"));
    const spinning = Promise.withResolvers<void>();
    const run = ex.run(exec("console.log('spinning'); while (true) {}"), () => spinning.resolve());
    const queued = ex.run(exec("typeof kept"));
    await spinning.promise;
    const before = performance.now();
    const result = await ex.interrupt();
    assert.ok(performance.now() - before < 1000, "interrupt() took more than 1 s");
    assert.deepEqual(result, { reset: true, clean: true });
    const error = failure(await run);
    assert.equal(error.ename, "Interrupted");
    assert.match(error.evalue, /namespace is empty again/);
    assert.equal(value(await queued), "undefined");
    assert.equal(value(await ex.run(exec("1 + 1"))), 2);
  });
});

Deno.test("interrupt() stops loops inside applied functions and ops that await forever", async () => {
  await withExecutor(async ({ ex }) => {
    const started = Promise.withResolvers<void>();
    const spin = ex.run(
      {
        kind: "apply",
        fn: "() => { console.log('go'); for (let i = 0; ; i++) {} }",
        args: encodeValue([]),
      },
      () => started.resolve(),
    );
    await started.promise;
    assert.deepEqual(await ex.interrupt(), { reset: true, clean: true });
    assert.equal(failure(await spin).ename, "Interrupted");

    const waiting = Promise.withResolvers<void>();
    const stuck = ex.run(
      exec("console.log('wait'); await new Promise(() => {})"),
      () => waiting.resolve(),
    );
    await waiting.promise;
    assert.deepEqual(await ex.interrupt(), { reset: true, clean: true });
    assert.equal(failure(await stuck).ename, "Interrupted");
    assert.equal(value(await ex.run(exec("'alive'"))), "alive");
  });
});

Deno.test("interrupt() with nothing running changes nothing", async () => {
  await withExecutor(async ({ ex }) => {
    await ex.run(exec("let kept = 1"));
    assert.deepEqual(await ex.interrupt(), { reset: false, clean: true });
    assert.equal(value(await ex.run(exec("kept"))), 1);
  });
});

Deno.test("interrupt() reports clean: false when code without checks keeps spinning", async () => {
  // Deno cannot stop such a thread, so this runs in a child process that exits afterwards.
  const executorUrl = new URL("./executor.ts", import.meta.url).href;
  const dir = await Deno.makeTempDir({ prefix: "ipx_exec_" });
  const script = `
    import { Executor } from ${JSON.stringify(executorUrl)};
    const ex = await Executor.create({ dataDir: ${JSON.stringify(dir)} });
    const started = Promise.withResolvers();
    const run = ex.run({ kind: "execute", code: "console.log('go'); eval('while (true) {}')" },
      () => started.resolve());
    await started.promise;
    const result = await ex.interrupt();
    const outcome = await run;
    const next = await ex.run({ kind: "execute", code: "6 * 7" });
    console.log(JSON.stringify({ result, ename: outcome.ok ? "" : outcome.error.ename, next: next.ok }));
    Deno.exit(0);`;
  const config = new URL("../../deno.json", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", config, "--unstable-worker-options", script],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    const { stdout, stderr, success } = await child.output();
    const text = new TextDecoder().decode(stdout);
    assert.ok(success, new TextDecoder().decode(stderr));
    assert.deepEqual(JSON.parse(text), {
      result: { reset: true, clean: false },
      ename: "Interrupted",
      next: true,
    });
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await Deno.remove(dir, { recursive: true });
  }
});
