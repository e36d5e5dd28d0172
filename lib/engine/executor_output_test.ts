/**
 * Tests of the {@linkcode Executor}'s output: stdout and stderr of user code go to the op that
 * printed them, in order and while it runs; uncaught errors of timers go to stderr; output waits
 * while too much of it has not left the engine.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import type { StreamName } from "./executor.ts";
import { exec, failure, value, withExecutor } from "./executor_testing.ts";
import { IDLE_OUTPUT_HEADER } from "./idle_header.ts";

function collector() {
  const chunks: Array<[StreamName, string]> = [];
  return { chunks, onStream: (name: StreamName, text: string) => chunks.push([name, text]) };
}

Deno.test("Executor: output waits while too much of it has not left the engine; interrupt still works", async () => {
  await withExecutor(async ({ ex }) => {
    const gate = Promise.withResolvers<void>();
    let asked = 0;
    ex.outputWritten = () => {
      asked++;
      return gate.promise;
    };
    const line = 600_000; // two lines fit under OUTPUT_HIGH (1 Mi characters), the third waits
    const lines: number[] = [];
    const two = Promise.withResolvers<void>();
    const run = ex.run(
      exec(`for (let i = 0; i < 5; i++) console.log("x".repeat(${line})); "end"`),
      (_name, text) => {
        lines.push(text.length);
        if (lines.length === 2) two.resolve();
      },
    );
    let done = false;
    void run.then(() => done = true);
    await two.promise;
    await new Promise((r) => setTimeout(r, 300)); // room to misbehave; a wait cannot end it
    assert.deepEqual([lines.length, done], [2, false], "the third line waits for room");
    assert.ok(asked >= 1);
    ex.outputWritten = () => Promise.resolve(); // from now on output leaves at once
    gate.resolve();
    assert.equal(value(await run), "end");
    assert.deepEqual(lines, Array(5).fill(line + 1));
    // a Worker waiting for room still stops when interrupted
    ex.outputWritten = () => new Promise(() => {});
    const stuck = ex.run(exec(`for (let i = 0; i < 5; i++) console.log("y".repeat(${line}))`));
    await new Promise((r) => setTimeout(r, 300));
    await ex.interrupt();
    assert.equal(failure(await stuck).ename, "Interrupted");
    ex.outputWritten = () => Promise.resolve();
    assert.equal(value(await ex.run(exec("6 * 7"))), 42);
  });
});

Deno.test("Output goes to the op that printed it, in order, stdout and stderr apart", async () => {
  await withExecutor(async ({ ex }) => {
    const first = collector();
    const second = collector();
    const a = ex.run(
      exec(
        "console.log('a', { k: 'v' }); console.info(1); console.debug(2n); console.warn('w'); console.error('e')",
      ),
      first.onStream,
    );
    const b = ex.run(
      exec(
        "Deno.stdout.writeSync(new TextEncoder().encode('raw\\n')); " +
          "(await import('node:process')).default.stdout.write('proc\\n')",
      ),
      second.onStream,
    );
    await Promise.all([a, b]);
    assert.deepEqual(first.chunks, [
      ["stdout", 'a { k: "v" }\n'],
      ["stdout", "1\n"],
      ["stdout", "2n\n"],
      ["stderr", "w\n"],
      ["stderr", "e\n"],
    ]);
    assert.deepEqual(second.chunks, [["stdout", "raw\n"], ["stdout", "proc\n"]]);
  });
});

Deno.test("Output is delivered while the op still runs", async () => {
  await withExecutor(async ({ ex, data }) => {
    const chunks: string[] = [];
    const outcome = ex.run(
      exec(
        "const watcher = Deno.watchFs('.');\nconsole.log('first');\n" +
          "for await (const e of watcher) { if (e.paths.some((p) => p.endsWith('go'))) break }\n" +
          "watcher.close();\nconsole.log('second');\n'finished'",
      ),
      (_name, text) => {
        chunks.push(text);
        if (text === "first\n") Deno.writeTextFileSync(join(data, "go"), "");
      },
    );
    assert.equal(value(await outcome), "finished");
    assert.deepEqual(chunks, ["first\n", "second\n"]);
  });
});

Deno.test("Errors thrown by timers go to stderr and the executor keeps working", async () => {
  await withExecutor(async ({ ex }) => {
    const first = collector();
    await ex.run(
      exec(
        "setTimeout(() => { throw new Error('late boom') }, 0);\n" +
          "Promise.reject(new TypeError('rejected'));\n1",
      ),
      first.onStream,
    );
    const second = collector();
    const outcome = await ex.run(
      exec("await new Promise((r) => setTimeout(r, 0)); 2"),
      second.onStream,
    );
    assert.equal(value(outcome), 2);
    const stderr = [...first.chunks, ...second.chunks].filter(([n]) => n === "stderr")
      .map(([, t]) => t).join("");
    assert.match(stderr, /Uncaught Error: late boom/);
    assert.match(stderr, /Uncaught \(in promise\) TypeError: rejected/);
    assert.equal(value(await ex.run(exec("3"))), 3);
  });
});

/** Waits until a file exists (written by a timer in the Worker once it has printed). */
async function fileAppears(path: string): Promise<void> {
  const deadline = Date.now() + 60_000; // fails with a message instead of hanging the suite
  for (;;) {
    try {
      await Deno.lstat(path);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${path} never appeared`);
      await new Promise((r) => setTimeout(r, 5)); // poll interval, not a wait
    }
  }
}

Deno.test("Output printed while no op runs is headed as such, once per stream and idle spell", async () => {
  await withExecutor(async ({ ex, data }) => {
    const first = collector();
    // prints now (its own output), and from a timer after it ended
    await ex.run(
      exec(
        "console.log('own');\n" +
          "setTimeout(() => { console.log('late a'); console.log('late b');" +
          " Deno.writeTextFileSync('a.flag', '') }, 0); 1",
      ),
      first.onStream,
    );
    await fileAppears(join(data, "a.flag")); // the timer printed before the next op was sent
    const second = collector();
    assert.equal(value(await ex.run(exec("console.log('mine'); 2"), second.onStream)), 2);
    const all = [...first.chunks, ...second.chunks].map(([n, t]) => `${n}:${t}`);
    assert.deepEqual(all, [
      "stdout:own\n",
      `stdout:${IDLE_OUTPUT_HEADER}`,
      "stdout:late a\n",
      "stdout:late b\n",
      "stdout:mine\n",
    ]);
    // a new idle spell gets a new header, on its own stream
    const third = collector();
    await ex.run(
      exec(
        "setTimeout(() => { console.error('later'); Deno.writeTextFileSync('b.flag', '') }, 0); 3",
      ),
      third.onStream,
    );
    await fileAppears(join(data, "b.flag"));
    const fourth = collector();
    await ex.run(exec("4"), fourth.onStream);
    assert.deepEqual([...third.chunks, ...fourth.chunks], [
      ["stderr", IDLE_OUTPUT_HEADER],
      ["stderr", "later\n"],
    ]);
  });
});
