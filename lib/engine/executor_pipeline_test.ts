/**
 * Ops sent to the code Worker ahead of time (see `op_slots.ts`): order, stopping and
 * withdrawing them, fresh symlink checks, payloads moved into the Worker.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { encodeValue } from "../protocol/codec.ts";
import type { Executor, Op, RunOutcome } from "./executor.ts";
import { exec, failure, value, withExecutor } from "./executor_testing.ts";

/** An apply op of `fn` with `args`. */
const apply = (fn: string, ...args: unknown[]): Op => ({
  kind: "apply",
  fn,
  args: encodeValue(args),
});

/** Runs a tiny op first, so the executor sends the next small ops ahead. */
async function warm(ex: Executor): Promise<void> {
  for (let i = 0; i < 3; i++) value(await ex.run(apply("() => 0")));
}

/** Resolves when `op` prints `line` (it runs then), with the op's outcome promise. */
function runUntilPrinted(ex: Executor, op: Op, line: string) {
  const printed = Promise.withResolvers<void>();
  const outcome = ex.run(op, (_name, text) => {
    if (text.includes(line)) printed.resolve();
  });
  return { outcome, printed: printed.promise };
}

/** Code that prints `running`, then waits until the file `go` exists in the data dir. */
const WAIT_FOR_GO = "console.log('running'); for (;;) { try { Deno.statSync('go'); break; } " +
  "catch { await new Promise((r) => setTimeout(r, 2)); } }";

/** An op that appends `tag` to `runs.txt` in the data dir and returns it. */
const record = (tag: string): Op =>
  apply(
    "(t) => { Deno.writeTextFileSync('runs.txt', t + '\\n', { append: true }); return t; }",
    tag,
  );

/** Resolves once `path` exists (looking every 5 ms). */
async function untilExists(path: string): Promise<void> {
  for (;;) {
    try {
      Deno.statSync(path);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

/**
 * Blocks the Worker between ops (a timer spinning until the file `release` exists) and
 * resolves once it does.
 */
async function blockBetweenOps(ex: Executor, data: string): Promise<void> {
  value(
    await ex.run(exec(
      "setTimeout(() => { Deno.writeTextFileSync('blocking', ''); " +
        "for (;;) { try { Deno.statSync('release'); break; } catch { /* wait */ } } }, 0); 1",
    )),
  );
  await untilExists(join(data, "blocking"));
}

function runsIn(data: string): string[] {
  try {
    return Deno.readTextFileSync(join(data, "runs.txt")).split("\n").filter((l) => l !== "");
  } catch {
    return [];
  }
}

Deno.test("ops sent ahead run once each, in order, each with its own output", async () => {
  await withExecutor(async ({ ex }) => {
    await warm(ex);
    const fn = "(i) => { console.log('op ' + i); (globalThis.seen ??= []).push(i); return i * 2; }";
    const outputs: string[][] = [];
    const runs: Promise<RunOutcome>[] = [];
    for (let i = 0; i < 200; i++) {
      outputs.push([]);
      runs.push(ex.run(apply(fn, i), (_n, text) => outputs[i]!.push(text)));
    }
    const results = await Promise.all(runs);
    assert.deepEqual(results.map(value), Array.from({ length: 200 }, (_, i) => i * 2));
    assert.deepEqual(outputs, Array.from({ length: 200 }, (_, i) => [`op ${i}\n`]));
    const seen = value(await ex.run(exec("seen")));
    assert.deepEqual(seen, Array.from({ length: 200 }, (_, i) => i));
  });
});

Deno.test("stop() withdraws an op waiting behind a running one: it never runs, the next does", async () => {
  await withExecutor(async ({ ex, data }) => {
    await warm(ex);
    const long = runUntilPrinted(
      ex,
      apply(`async () => { ${WAIT_FOR_GO} }`),
      "running",
    );
    const b = ex.run(record("b"));
    const c = ex.run(record("c"));
    await long.printed;
    assert.deepEqual(await ex.stop(b), { started: false, reset: false, clean: true });
    const withdrawn = await b;
    assert.equal(withdrawn.withdrawn, true);
    assert.equal(failure(withdrawn).ename, "Withdrawn");
    // the running op is untouched: let it finish
    Deno.writeTextFileSync(join(data, "go"), "");
    value(await long.outcome);
    assert.equal(value(await c), "c");
    assert.deepEqual(runsIn(data), ["c"]);
    // stopping an op that already ended changes nothing
    assert.deepEqual(await ex.stop(c), { started: true, reset: false, clean: true });
  });
});

/**
 * Runs a 300 ms op (timed with `clock`) and an op behind it, plants an escaping link while the
 * long one runs, and checks that the op behind it fails the symlink check (`more` runs before
 * the link is removed).
 */
async function plantWhileLongOpRuns(
  ex: Executor,
  data: string,
  outside: string,
  clock: string,
  more: () => void = () => {},
): Promise<void> {
  const long = runUntilPrinted(
    ex,
    apply(`() => { console.log('running'); const t = ${clock}; while (${clock} - t < 300) {} }`),
    "running",
  );
  const next = ex.run(record("next"));
  await long.printed;
  // planted while the long op runs: the next op was checked (and sent) before that
  Deno.symlinkSync(outside, join(data, "escape"));
  try {
    value(await long.outcome);
    assert.equal(failure(await next).ename, "SandboxViolation");
    more();
  } finally {
    Deno.removeSync(join(data, "escape"));
  }
}

Deno.test("an op that waited behind a long one is checked for symlinks again before it starts", async () => {
  await withExecutor(async ({ ex, data, outside }) => {
    await warm(ex);
    await plantWhileLongOpRuns(ex, data, outside, "Date.now()", () => {
      assert.deepEqual(runsIn(data), []);
    });
    assert.equal(value(await ex.run(record("after"))), "after");
  });
});

Deno.test("interrupting the running op sends the ops behind it to the fresh Worker, each once", async () => {
  await withExecutor(async ({ ex, data }) => {
    await warm(ex);
    const spin = runUntilPrinted(ex, exec("console.log('spinning'); while (true) {}"), "spinning");
    const behind = ["b", "c", "d"].map((t) => ex.run(record(t)));
    await spin.printed;
    const { reset, clean } = await ex.interrupt();
    assert.equal(reset, true);
    assert.equal(clean, true);
    assert.equal(failure(await spin.outcome).ename, "Interrupted");
    assert.deepEqual((await Promise.all(behind)).map(value), ["b", "c", "d"]);
    assert.deepEqual(runsIn(data), ["b", "c", "d"]);
  });
});

Deno.test("a payload moved into a busy Worker comes back when its op is recalled, and runs intact", async () => {
  await withExecutor(async ({ ex, data }) => {
    await warm(ex);
    // a timer blocks the Worker between ops until the file "release" exists
    await blockBetweenOps(ex, data);
    const bytes = new Uint8Array(200_000).map((_, i) => i % 251);
    const ns = encodeValue({ big: bytes });
    const push = ex.run({ kind: "push", ns }, undefined, { exclusive: true });
    const behind = ex.run(record("behind"));
    await new Promise((r) => setTimeout(r, 0)); // both are sent (after a microtask or two)
    assert.equal(ns.buffer.byteLength, 0, "moved into the Worker, not copied");
    // recalls both (the Worker has started neither): the push comes back with its payload
    assert.equal((await ex.stop(behind)).started, false);
    Deno.writeTextFileSync(join(data, "release"), "");
    value(await push);
    assert.deepEqual(value(await ex.run({ kind: "pull", names: ["big"] })), [bytes]);
    assert.deepEqual(runsIn(data), []);
  });
});

Deno.test("ops without a payload, alone in their frames, wait out a busy Worker and run", async () => {
  await withExecutor(async ({ ex, data }) => {
    await warm(ex);
    await blockBetweenOps(ex, data);
    // skipped as stale when the Worker gets to them: sent again, nothing to bring back
    const pull = ex.run({ kind: "pull", names: ["Math"] }, undefined, { exclusive: true });
    const execute = ex.run(exec("2 + 2"), undefined, { exclusive: true });
    await new Promise((r) => setTimeout(r, 20));
    Deno.writeTextFileSync(join(data, "release"), "");
    assert.equal((value(await pull) as unknown[]).length, 1);
    assert.equal(value(await execute), 4);
  });
});

Deno.test("execution counts go to executes that ran, not to withdrawn ones", async () => {
  await withExecutor(async ({ ex, data }) => {
    await warm(ex);
    const long = runUntilPrinted(
      ex,
      exec(`${WAIT_FOR_GO}; 1`),
      "running",
    );
    const withdrawn = ex.run(exec("2"));
    const last = ex.run(exec("3"));
    await long.printed;
    await ex.stop(withdrawn);
    Deno.writeTextFileSync(join(data, "go"), "");
    assert.equal((await long.outcome).executionCount, 1);
    assert.equal((await withdrawn).withdrawn, true);
    assert.equal((await last).executionCount, 2);
  });
});
Deno.test("run(op, cb, exclusive) moves a big payload's frame buffer into the Worker, intact", async () => {
  await withExecutor(async ({ ex }) => {
    const data = new Uint8Array(200_000).map((_, i) => (i * 31 + 7) % 251);
    // a "frame": a few envelope bytes, then the encoded namespace
    const ns = encodeValue({ blob: data });
    const frame = new Uint8Array(16 + ns.length);
    frame.set(ns, 16);
    const view = frame.subarray(16);
    value(await ex.run({ kind: "push", ns: view }, undefined, { exclusive: true }));
    assert.equal(frame.buffer.byteLength, 0, "the frame's buffer was moved, not copied");
    assert.deepEqual(value(await ex.run({ kind: "pull", names: ["blob"] })), [data]);
    // without `exclusive` the caller's bytes stay as they are
    const again = encodeValue({ other: data });
    value(await ex.run({ kind: "push", ns: again }));
    assert.equal(again.length > 0 && again.buffer.byteLength > 0, true);
    const args = encodeValue([data]);
    const applied = await ex.run({ kind: "apply", fn: "(b) => b.length", args }, undefined, {
      exclusive: true,
    });
    assert.equal(value(applied), 200_000);
    assert.equal(args.buffer.byteLength, 0);
  });
});

Deno.test("random stops and interrupts among ops sent ahead: each op runs at most once, in order", async () => {
  await withExecutor(async ({ ex, data }) => {
    await warm(ex);
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const runs: Promise<RunOutcome>[] = [];
    for (let i = 0; i < 300; i++) {
      runs.push(ex.run(record(String(i))));
      const r = random();
      if (r < 0.1) void ex.stop(runs[Math.floor(random() * runs.length)]!);
      else if (r < 0.13) void ex.interrupt();
      if (random() < 0.2) await new Promise((r) => setTimeout(r, 0));
    }
    const outcomes = await Promise.all(runs);
    const written = runsIn(data).map(Number);
    // nothing ran twice, and what ran, ran in the order given
    assert.equal(new Set(written).size, written.length, `ran twice: ${written}`);
    assert.deepEqual(written, [...written].sort((a, b) => a - b));
    outcomes.forEach((o, i) => {
      const ran = written.includes(i);
      if (o.ok) assert.ok(ran, `op ${i} succeeded but did not run`);
      else if (o.withdrawn) assert.ok(!ran, `op ${i} was withdrawn but ran`);
      else assert.equal(failure(o).ename, "Interrupted", `op ${i}: ${JSON.stringify(o)}`);
    });
    assert.ok(outcomes.some((o) => o.withdrawn), "some ops were withdrawn before they started");
    assert.ok(outcomes.filter((o) => o.ok).length > 150);
    assert.equal(value(await ex.run(record("last"))), "last");
  });
});

Deno.test("user code replacing Date.now cannot keep an op from being checked again", async () => {
  await withExecutor(async ({ ex, data, outside }) => {
    await warm(ex);
    value(await ex.run(exec("Date.now = () => 0; 1"))); // every check would look fresh
    await warm(ex);
    await plantWhileLongOpRuns(ex, data, outside, "performance.now()");
  });
});
