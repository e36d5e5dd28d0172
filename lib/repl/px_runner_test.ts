import assert from "node:assert/strict";
import { CaptureSink } from "../../tests/_helpers/repl_capture.ts";
import { startMemoryCluster } from "../../tests/_helpers/memory_cluster.ts";
import { Interrupts } from "./interrupts.ts";
import { createPalette } from "./palette.ts";
import { awaitPx, type AwaitPxOptions, submitPx } from "./px_runner.ts";
import { ReplConsole } from "./repl_console.ts";
import { whenFile } from "../../tests/_helpers/gates.ts";
import { join } from "node:path";

function options(sink: CaptureSink, interrupts: Interrupts, over: Partial<AwaitPxOptions> = {}) {
  return {
    console: new ReplConsole(sink),
    palette: createPalette(false),
    interrupts,
    stream: true,
    groupOutputs: "engine" as const,
    progressEveryMs: 10,
    ...over,
  };
}

Deno.test("awaitPx() streams output while the code still runs; Ctrl-C resets the engine", async () => {
  await using c = await startMemoryCluster({ engines: 1 });
  const sink = new CaptureSink();
  const interrupts = new Interrupts();
  const record = submitPx(c.client, "console.log('first'); await new Promise(() => {})", [0]);
  const shown = awaitPx(record, options(sink, interrupts));
  await sink.waitFor(/^\[stdout:0\] first\n$/);
  assert.equal(interrupts.fire(), true);
  assert.deepEqual(await shown, { failed: true });
  assert.equal(
    sink.text,
    "[stdout:0] first\nKeyboardInterrupt: stopping the code on engines 0 (Ctrl-C again stops waiting)\n" +
      "Interrupted: the code was stopped; namespace reset on engines 0 (their variables are " +
      "gone; the engines are ready)\n",
  );
  const again = submitPx(c.client, "'still here'", [0]);
  const after = new CaptureSink();
  assert.deepEqual(await awaitPx(again, options(after, interrupts)), { failed: false });
  assert.match(after.text, /^Out\[0:\d+\]: "still here"\n$/);
});

Deno.test("awaitPx() interrupts an infinite loop on every engine within 2 s", async () => {
  await using c = await startMemoryCluster({ engines: 2 });
  const sink = new CaptureSink(true); // a terminal: both engines' output streams
  const interrupts = new Interrupts();
  const record = submitPx(c.client, "console.log('spin'); while (true) {}", [0, 1]);
  const shown = awaitPx(record, options(sink, interrupts));
  await sink.waitFor(
    /\[stdout:0\] spin\n[^]*\[stdout:1\] spin\n|\[stdout:1\] spin\n[^]*\[stdout:0\] spin\n/,
  );
  const started = performance.now();
  assert.equal(interrupts.fire(), true);
  await shown;
  assert.ok(performance.now() - started < 2000, `took ${performance.now() - started} ms`);
  assert.match(sink.text, /KeyboardInterrupt: stopping the code on engines 0,1/);
  assert.match(sink.text, /namespace reset on engines 0,1/);
  assert.deepEqual(c.client.ids, [0, 1]);
});

Deno.test("awaitPx() Ctrl-C on a cell queued behind other work says the engine is still busy, and how to stop that", async () => {
  await using c = await startMemoryCluster({ engines: 1 });
  // work this cell did not start: e.g. `dv.execute(...)` in a local cell, never awaited
  const busy = c.client.directView([0]).execute("console.log('busy'); await new Promise(() => {})");
  await new Promise<void>((resolve) => {
    const off = busy.onOutput(() => {
      off();
      resolve();
    });
  });
  const sink = new CaptureSink();
  const interrupts = new Interrupts();
  const record = submitPx(c.client, "globalThis.ran = true", [0]);
  const shown = awaitPx(record, options(sink, interrupts));
  assert.equal(interrupts.fire(), true);
  assert.deepEqual(await shown, { failed: true });
  assert.match(sink.text, /Interrupted: the code never started on engines 0: they were busy/);
  assert.doesNotMatch(sink.text, /namespace reset/);
  // what the message says to do works: the unfinished task is listed, and stopping it resets
  const rows = await c.client.dbQuery({ engineId: 0, completed: null }, ["msgId"]);
  assert.deepEqual(rows.map((r) => r.msgId), busy.msgIds);
  c.client.getResult(busy.msgIds[0]!).interrupt();
  const [settled] = await busy.settled();
  assert.equal(settled?.ok === false && settled.error.ename, "Interrupted");
  assert.deepEqual(await c.client.directView([0]).execute("typeof globalThis.ran"), ["undefined"]);
});

Deno.test("awaitPx() stops waiting at a second Ctrl-C", async () => {
  await using c = await startMemoryCluster({ engines: 1 });
  const sink = new CaptureSink();
  const interrupts = new Interrupts();
  const record = submitPx(c.client, "console.log('go'); await new Promise(() => {})", [0]);
  const shown = awaitPx(record, options(sink, interrupts));
  await sink.waitFor(/go\n/);
  assert.equal(interrupts.fire(), true);
  await sink.waitFor(/KeyboardInterrupt/);
  assert.equal(interrupts.fire(), true);
  assert.deepEqual(await shown, { failed: true });
  assert.match(sink.text, /Stopped waiting; engines 0 may still be running it/);
  await record.ar.settled();
});

Deno.test("awaitPx() shows a progress line on terminals and erases it", async () => {
  await using c = await startMemoryCluster({ engines: 1 });
  const sink = new CaptureSink(true);
  const interrupts = new Interrupts();
  const record = submitPx(c.client, "await new Promise(() => {})", [0]);
  const shown = awaitPx(record, options(sink, interrupts, { progressAfterMs: 0 }));
  await sink.waitFor(/\[progress\] 0\/1 engines done, \d+\.\d s elapsed \(Ctrl-C interrupts\)/);
  interrupts.fire();
  await shown;
  const last = sink.text.lastIndexOf("[progress]");
  assert.ok(sink.text.indexOf("\r\x1b[2K", last) > last, "the progress line is erased");
  // stopped while it ran (a reset), or, on a loaded machine, before its engine started it
  assert.match(sink.text, /(the engines are ready\)|stops one\))\n$/);
});

Deno.test("awaitPx() shows no progress line when the output is not a terminal", async () => {
  await using c = await startMemoryCluster({ engines: 1 });
  const sink = new CaptureSink(false);
  const record = submitPx(c.client, "await new Promise((r) => setTimeout(r, 100)); 1", [0]);
  await awaitPx(record, options(sink, new Interrupts(), { progressAfterMs: 0 }));
  assert.equal(sink.text, "Out[0:1]: 1\n");
});

/** Engine 1 prints at once; engine 0 prints only once the client has engine 1's line. */
async function engineOneFirst(terminal: boolean): Promise<string> {
  await using c = await startMemoryCluster({ engines: 2 });
  await c.client.directView([0]).execute("var who = 0");
  await c.client.directView([1]).execute("var who = 1");
  const sink = new CaptureSink(terminal);
  const record = submitPx(
    c.client,
    `if (who === 0) { await (${whenFile})("gate"); console.log("zero") } ` +
      `else console.log("one"); who`,
    [0, 1],
  );
  const oneArrived = Promise.withResolvers<void>();
  const off = record.ar.onOutput((chunk) => {
    if (chunk.engineId === 1 && chunk.text.includes("one")) oneArrived.resolve();
  });
  const shown = awaitPx(record, options(sink, new Interrupts()));
  await oneArrived.promise;
  off();
  await Deno.writeTextFile(join(c.dataDir, "gate"), "");
  assert.deepEqual(await shown, { failed: false });
  return sink.text;
}

Deno.test("awaitPx() prints outputs in target order when the output is not a terminal", async () => {
  assert.equal(
    await engineOneFirst(false),
    "[stdout:0] zero\nOut[0:2]: 0\n[stdout:1] one\nOut[1:2]: 1\n",
    "the same text as --no-stream --group-outputs engine",
  );
});

Deno.test("awaitPx() prints outputs as they arrive on a terminal", async () => {
  assert.equal(
    await engineOneFirst(true),
    "[stdout:1] one\n[stdout:0] zero\nOut[0:2]: 0\nOut[1:2]: 1\n",
  );
});

Deno.test("awaitPx() off a terminal shows the first target's stdout while it runs", async () => {
  await using c = await startMemoryCluster({ engines: 2 });
  const sink = new CaptureSink(false);
  const interrupts = new Interrupts();
  const record = submitPx(c.client, "console.log('a'); console.error('e'); while (true) {}", [
    1,
    0,
  ]);
  const started = new Set<number>();
  const bothStarted = Promise.withResolvers<void>();
  record.ar.onOutput((chunk) => {
    if (chunk.name === "stderr") started.add(chunk.engineId);
    if (started.size === 2) bothStarted.resolve();
  });
  const shown = awaitPx(record, options(sink, interrupts));
  await bothStarted.promise;
  assert.equal(sink.text, "[stdout:1] a\n", "only the first target's stdout so far");
  assert.equal(interrupts.fire(), true);
  await shown;
  assert.equal(
    sink.text,
    "[stdout:1] a\nKeyboardInterrupt: stopping the code on engines 1,0 (Ctrl-C again stops " +
      "waiting)\n[stderr:1] e\n[stdout:0] a\n[stderr:0] e\nInterrupted: the code was stopped; " +
      "namespace reset on engines 1,0 (their variables are gone; the engines are ready)\n",
  );
});
