import assert, { rejects } from "node:assert/strict";
import { CompositeError, RemoteError } from "../lib/client/errors.ts";
import { startMemoryCluster } from "./_helpers/memory_cluster.ts";
import type { Executor } from "../lib/engine/executor.ts";

Deno.test("3 engines: apply(() => 1) gives [1, 1, 1]", async () => {
  await using c = await startMemoryCluster({ engines: 3 });
  assert.deepEqual(c.client.ids, [0, 1, 2]);
  const dv = c.client.directView();
  assert.deepEqual(await dv.apply(() => 1), [1, 1, 1]);
});

Deno.test("push({a: 5}) then apply((x) => a + x, 1) gives 6 on every engine", async () => {
  await using c = await startMemoryCluster({ engines: 2 });
  const dv = c.client.directView();
  await dv.push({ a: 5 });
  // deno-lint-ignore no-explicit-any
  assert.deepEqual(await dv.apply((x: number) => (globalThis as any).a + x, 1), [6, 6]);
  assert.deepEqual(await dv.execute("a * 2"), [10, 10]);
  await dv.execute("let b = a + 1");
  assert.deepEqual(await dv.pull("b"), [6, 6]);
  assert.deepEqual(await dv.pull(["a", "b"]), [[5, 6], [5, 6]]);
});

Deno.test("scatter 101 items over 4 engines gives 26/25/25/25 and gather restores it", async () => {
  await using c = await startMemoryCluster({ engines: 4 });
  const dv = c.client.directView();
  const data = Array.from({ length: 101 }, (_, i) => i * 2);
  await dv.scatter("part", data);
  assert.deepEqual(await dv.execute("part.length"), [26, 25, 25, 25]);
  assert.deepEqual(await dv.gather("part"), data);
  assert.deepEqual(await dv.map((x: number) => x + 1, [1, 2, 3, 4, 5]), [2, 3, 4, 5, 6]);
});

Deno.test("scatter/gather of long number lists and typed arrays: plain arrays on engines, joined back", async () => {
  await using c = await startMemoryCluster({ engines: 3 });
  const dv = c.client.directView();
  const data = Array.from({ length: 1000 }, (_, i) => (i % 3 ? i / 8 : -i));
  data[500] = -0;
  await dv.scatter("part", data);
  assert.deepEqual(
    await dv.execute("Array.isArray(part) && Object.getPrototypeOf(part) === Array.prototype"),
    [true, true, true],
  );
  assert.deepEqual(await dv.execute("part.length"), [334, 333, 333]);
  const back = await dv.gather("part");
  assert.deepEqual(back, data);
  assert.ok(Object.is((back as number[])[500], -0));
  assert.deepEqual(await dv.map((x: number) => x * 2, data), data.map((x) => x * 2));
  const f32 = new Float32Array(100_000).map((_, i) => i / 4);
  await dv.scatter("f", f32);
  assert.deepEqual(await dv.execute("f.constructor.name"), Array(3).fill("Float32Array"));
  const joined = await dv.gather("f");
  assert.ok(joined instanceof Float32Array);
  assert.deepEqual(joined, f32);
  // parts of different kinds come back as the list of parts; a failing engine fails the gather
  await c.client.directView(0).execute("part = 'changed'");
  const parts = await dv.gather("part") as unknown[];
  assert.equal(parts.length, 3);
  assert.equal(parts[0], "changed");
  assert.deepEqual(parts[1], data.slice(334, 667));
  await c.client.directView(1).execute("delete globalThis.f");
  await rejects(dv.gather("f"), CompositeError);
});

Deno.test("values round-trip through engines intact", async () => {
  await using c = await startMemoryCluster({ engines: 1 });
  const dv = c.client.directView();
  const big = new Uint8Array(10 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 997) big[i] = i & 0xff;
  const value = {
    s: "héllo 日本 🎉",
    n: 2n ** 80n,
    m: new Map<unknown, unknown>([["k", new Set([1, 2])]]),
    d: new Date(1234567890123),
    u: undefined,
    f: new Float32Array([1.5, 2.5]),
  };
  await dv.push({ value, big });
  const [back] = await dv.pull("value");
  assert.deepEqual(back, value);
  const [bigBack] = await dv.pull("big") as Uint8Array[];
  assert.equal(bigBack!.length, big.length);
  assert.deepEqual(bigBack, big);
});

Deno.test("an error on every engine gives CompositeError with each engine's ename", async () => {
  await using c = await startMemoryCluster({ engines: 2 });
  const dv = c.client.directView();
  await rejects(dv.execute("null.x"), (e: unknown) => {
    assert(e instanceof CompositeError, String(e));
    assert.deepEqual(e.errors.map((x) => x.ename), ["TypeError", "TypeError"]);
    assert.deepEqual(e.errors.map((x) => x.engineId), [0, 1]);
    return true;
  });
  // one engine → RemoteError
  await rejects(c.client.directView(0).execute("throw new RangeError('bad')"), (e: unknown) => {
    assert(e instanceof RemoteError);
    assert.equal(e.ename, "RangeError");
    assert.equal(e.evalue, "bad");
    assert.equal(e.engineId, 0);
    return true;
  });
  // and the engines still work
  assert.deepEqual(await dv.execute("1 + 1"), [2, 2]);
});

Deno.test("a function closing over client variables fails with a hint", async () => {
  await using c = await startMemoryCluster({ engines: 1 });
  const secret = 42;
  await rejects(c.client.directView().apply(() => secret), (e: unknown) => {
    assert(e instanceof RemoteError);
    assert.equal(e.ename, "ReferenceError");
    assert.match(e.evalue, /sent as source/);
    return true;
  });
});

Deno.test("output streams to the client while the task runs", async () => {
  await using c = await startMemoryCluster({ engines: 1 });
  const dv = c.client.directView();
  const ar = dv.execute(
    "console.log('first'); " +
      "for (;;) { try { Deno.statSync('go'); break; } catch { await new Promise((r) => setTimeout(r, 5)); } } " +
      "console.error('second'); 7",
  );
  const first = Promise.withResolvers<string>();
  ar.onOutput((chunk) => {
    if (chunk.name === "stdout") first.resolve(chunk.text);
  });
  assert.equal(await first.promise, "first\n");
  assert.equal(ar.ready(), false);
  await Deno.writeTextFile(`${c.dataDir}/go`, "");
  assert.deepEqual(await ar, [7]);
  assert.deepEqual(ar.stdout, ["first\n"]);
  assert.deepEqual(ar.stderr, ["second\n"]);
  assert.equal(ar.metadata[0]!.executionCount, 1);
});

Deno.test("a wrong key gives AuthenticationError", async () => {
  await using c = await startMemoryCluster({ engines: 1 });
  const { generateKey } = await import("../lib/protocol/auth.ts");
  const { AuthenticationError } = await import("../lib/protocol/errors.ts");
  await rejects(c.newClient(generateKey()), AuthenticationError);
});

/**
 * The executor, except that an op's output reaches the engine all at once when the op ends, as
 * when a Worker prints faster than the engine's thread takes its messages (many per I/O round).
 */
function outputInOneRound(ex: Executor): Executor {
  const run: Executor["run"] = async (op, onStream, options) => {
    const held: ["stdout" | "stderr", string][] = [];
    const outcome = await ex.run(op, (name, text) => held.push([name, text]), options);
    for (const [name, text] of held) onStream?.(name, text);
    return outcome;
  };
  return new Proxy(ex, {
    get(target, prop) {
      if (prop === "run") return run;
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
    set: (target, prop, value) => Reflect.set(target, prop, value, target),
  });
}

Deno.test("output reaching the engine in one round leaves it joined, in order, streams apart", async () => {
  await using c = await startMemoryCluster({ engines: 1, wrapExecutor: outputInOneRound });
  const ar = c.client.directView(0).execute(
    "for (let i = 0; i < 5; i++) console.log(i); console.error('e'); console.log('z'); 7",
  );
  const chunks: [string, string][] = [];
  ar.onOutput((chunk) => chunks.push([chunk.name, chunk.text]));
  assert.deepEqual(await ar, [7]);
  assert.deepEqual(chunks, [["stdout", "0\n1\n2\n3\n4\n"], ["stderr", "e\n"], ["stdout", "z\n"]]);
});

Deno.test("engine code imports ./m.js and ../m.js relative to the data dir, in execute and apply", async () => {
  await using c = await startMemoryCluster({ engines: 1 });
  await Deno.writeTextFile(`${c.dataDir}/m.js`, "export const where = 'data dir';");
  await Deno.mkdir(`${c.dataDir}/sub`);
  await Deno.writeTextFile(`${c.dataDir}/sub/n.js`, "export { where } from '../m.js';");
  const dv = c.client.directView();
  assert.deepEqual(await dv.execute("(await import('./m.js')).where"), ["data dir"]);
  assert.deepEqual(await dv.execute("(await import('./sub/n.js')).where"), ["data dir"]);
  assert.deepEqual(
    await dv.apply(async () => (await import("./m.js")).where),
    ["data dir"],
  );
  // from a subdirectory made current, `../` leads back to the data dir
  assert.deepEqual(
    await dv.execute(
      "Deno.chdir('sub'); try { (await import('../m.js')).where } finally { Deno.chdir('..') }",
    ),
    ["data dir"],
  );
});
