/**
 * `ipx repl` in a pseudo-terminal (tmux): completion, continuation, history, Ctrl-C, Ctrl-D,
 * the progress line and colours, against a real `--local 2` cluster.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { processesMatching, tempIpxDir } from "./_helpers/ipx_cli.ts";
import { startLocalTmuxRepl as startRepl, tmuxMissing } from "./_helpers/repl_tmux.ts";

/** These tests need tmux; without it they are reported as ignored. */
const ignore = tmuxMissing;

Deno.test({
  name: "repl on a terminal: Tab completion, continuation lines and autopx prompt",
  ignore,
}, async () => {
  await using dir = await tempIpxDir();
  const dataDir = join(dir.path, "data");
  {
    await using repl = await startRepl(dir.path, dataDir);
    await repl.type("%pxc");
    await repl.keys("Tab");
    await repl.waitFor(/In \[1\]: %pxconfig$/m);
    await repl.keys("C-u");
    await repl.type("%%px --gr");
    await repl.keys("Tab");
    await repl.waitFor(/In \[1\]: %%px --group-outputs$/m);
    await repl.keys("C-u");

    await repl.enter("let completeMe = 1");
    await repl.waitFor(/In \[2\]: $/);
    await repl.type("compl");
    await repl.keys("Tab");
    await repl.waitFor(/In \[2\]: completeMe$/m);
    await repl.keys("Enter");
    await repl.waitFor(/Out\[2\]: 1\nIn \[3\]: $/);

    await repl.enter("%px let remoteOnly = 5");
    await repl.waitFor(/In \[4\]: $/);
    await repl.type("%px remoteO");
    await repl.keys("Tab");
    await repl.waitFor(/In \[4\]: %px remoteOnly$/m);
    await repl.keys("Enter");
    await repl.waitFor(/Out\[0:2\]: 5\nOut\[1:2\]: 5\nIn \[5\]: $/);

    await repl.enter("function twice(a: number) {");
    await repl.waitFor(/\n {3}\.\.\.: $/);
    await repl.enter("return 2 * a");
    await repl.waitFor(/return 2 \* a\n {3}\.\.\.: $/);
    await repl.enter("}");
    await repl.waitFor(/\n {3}\.\.\.: }\nIn \[6\]: $/);
    await repl.enter("twice(21)");
    await repl.waitFor(/Out\[6\]: 42\nIn \[7\]: $/);

    await repl.enter("%autopx");
    await repl.waitFor(/%autopx enabled\n\[autopx\] In \[8\]: $/);
    await repl.enter("remoteOnly + 1");
    await repl.waitFor(/Out\[0:3\]: 6\nOut\[1:3\]: 6\n\[autopx\] In \[9\]: $/);
    await repl.enter("%autopx");
    await repl.waitFor(/%autopx disabled\nIn \[10\]: $/);

    await repl.keys("C-d");
    await repl.waitFor(/\[exited 0\]/);
  }
  assert.deepEqual(await processesMatching(dataDir), []);
});

Deno.test(
  { name: "repl on a terminal: history is kept in the profile across sessions", ignore },
  async () => {
    await using dir = await tempIpxDir();
    const dataDir = join(dir.path, "data");
    const historyFile = join(dir.path, "profile_default", "history");
    {
      await using repl = await startRepl(dir.path, dataDir);
      for (const [i, line] of ["%px 40 + 2", "let h = 'x'", "%px 40 + 2"].entries()) {
        await repl.enter(line);
        await repl.waitFor(new RegExp(`In \\[${i + 2}\\]: $`));
      }
      await repl.keys("Up");
      await repl.waitFor(/In \[4\]: %px 40 \+ 2$/m);
      await repl.keys("Up");
      await repl.waitFor(/In \[4\]: let h = 'x'$/m);
      await repl.keys("C-u", "C-d");
      await repl.waitFor(/\[exited 0\]/);
    }
    assert.equal(await Deno.readTextFile(historyFile), "let h = 'x'\n%px 40 + 2\n");
    assert.equal((await Deno.stat(historyFile)).mode! & 0o777, 0o600);
    {
      await using repl = await startRepl(dir.path, dataDir);
      await repl.keys("Up");
      await repl.waitFor(/In \[1\]: %px 40 \+ 2$/m);
      await repl.keys("Up");
      await repl.waitFor(/In \[1\]: let h = 'x'$/m);
      await repl.keys("Enter");
      await repl.waitFor(/In \[2\]: $/);
      await repl.enter("%exit");
      await repl.waitFor(/In \[2\]: %exit\n\[exited 0\]/);
    }
    assert.equal(await Deno.readTextFile(historyFile), "%px 40 + 2\nlet h = 'x'\n%exit\n");
  },
);

Deno.test(
  { name: "repl on a terminal: a cell of several lines is one history entry", ignore },
  async () => {
    await using dir = await tempIpxDir();
    const dataDir = join(dir.path, "data");
    const historyFile = join(dir.path, "profile_default", "history");
    const cell =
      /In \[\d\]: function tw\(x: number\) \{\n {3}\.\.\.: {3}return 2 \* x\n {3}\.\.\.: \}\n/;
    {
      await using repl = await startRepl(dir.path, dataDir);
      // typed as a person types: each line after its prompt (lines typed ahead of the prompt,
      // as in a paste, are echoed by readline where the cursor is, without the `...:`)
      for (const line of ["function tw(x: number) {", "  return 2 * x", "}"]) {
        await repl.enter(line);
        if (line !== "}") await repl.waitFor(/ {3}\.\.\.: $/);
      }
      await repl.waitFor(cell);
      await repl.waitFor(/In \[2\]: $/);
      await repl.keys("C-d");
      await repl.waitFor(/\[exited 0\]/);
    }
    assert.equal(
      await Deno.readTextFile(historyFile),
      "function tw(x: number) {\r  return 2 * x\r}\n",
    );
    {
      await using repl = await startRepl(dir.path, dataDir);
      await repl.keys("Up");
      await repl.waitFor(/In \[1\]: function tw\(x: number\) \{\n {2}return 2 \* x\n\}$/m);
      await repl.keys("Enter");
      await repl.waitFor(/In \[2\]: $/);
      await repl.enter("tw(21)");
      await repl.waitFor(/Out\[2\]: 42\nIn \[3\]: $/);
      await repl.keys("C-d");
      await repl.waitFor(/\[exited 0\]/);
    }
    assert.equal(
      await Deno.readTextFile(historyFile),
      "function tw(x: number) {\r  return 2 * x\r}\ntw(21)\n",
    );
  },
);

Deno.test({
  name:
    "repl on a terminal: Ctrl-C stops an infinite %px loop; progress line; Ctrl-C at the prompt",
  ignore,
}, async () => {
  await using dir = await tempIpxDir();
  const dataDir = join(dir.path, "data");
  {
    await using repl = await startRepl(dir.path, dataDir);
    await repl.enter("%px let kept = 1");
    await repl.waitFor(/In \[2\]: $/);
    await repl.enter("%px while (true) {}");
    await repl.waitFor(/\[progress\] 0\/2 engines done, [\d.]+ s elapsed \(Ctrl-C interrupts\)$/m);
    const started = Date.now();
    await repl.keys("C-c");
    const screen = await repl.waitFor(/namespace reset on engines 0,1[^\n]*\nIn \[3\]: $/);
    // typically ~100 ms; the bound is loose because tmux screen polling and a loaded CI machine
    // add latency that is not the REPL's
    assert.ok(Date.now() - started < 5000, `stopped after ${Date.now() - started} ms`);
    assert.match(screen, /KeyboardInterrupt: stopping the code on engines 0,1/);
    assert.doesNotMatch(screen, /\[progress\]/, "the progress line was erased");

    await repl.enter("%px typeof kept");
    await repl.waitFor(/Out\[0:\d+\]: "undefined"\nOut\[1:\d+\]: "undefined"\nIn \[4\]: $/);

    await repl.type("half typed");
    await repl.keys("C-c");
    await repl.waitFor(/In \[4\]: \^C\nIn \[4\]: $/);
    await repl.enter("if (true) {");
    await repl.waitFor(/\.\.\.: $/);
    await repl.keys("C-c");
    await repl.waitFor(/\.\.\.: \^C\nIn \[4\]: $/);
    await repl.enter("2 + 3");
    await repl.waitFor(/Out\[4\]: 5\nIn \[5\]: $/);

    await repl.keys("C-d");
    const end = await repl.waitFor(/\[tty -?echo\]/);
    assert.match(
      end.trimEnd(),
      /\n\[exited 0\]\n\[tty echo\]$/,
      "nothing after; the terminal echoes",
    );
  }
  assert.deepEqual(await processesMatching(dataDir), []);
});

Deno.test({
  name: "repl on a terminal: Ctrl-C stops a local cell that spins; the engines live on",
  ignore,
}, async () => {
  await using dir = await tempIpxDir();
  const dataDir = join(dir.path, "data");
  {
    await using repl = await startRepl(dir.path, dataDir);
    await repl.enter("%px let kept = 7");
    await repl.waitFor(/In \[2\]: $/);
    await repl.enter("let n = 0; console.log('spinning'); while (true) { try { n++ } catch {} }");
    await repl.waitFor(/^spinning$/m);
    await repl.keys("C-c");
    await repl.waitFor(/KeyboardInterrupt: the local cell was stopped\nIn \[3\]: $/);
    // the local namespace is kept, and the engines never saw the Ctrl-C
    await repl.enter("n >= 0");
    await repl.waitFor(/Out\[3\]: true\nIn \[4\]: $/);
    await repl.enter("%px kept");
    await repl.waitFor(/Out\[0:\d+\]: 7\nOut\[1:\d+\]: 7\nIn \[5\]: $/);
    // keys typed at the prompt are read by the REPL again (Ctrl-C clears the line)
    await repl.type("half typed");
    await repl.keys("C-c");
    await repl.waitFor(/In \[5\]: \^C\nIn \[5\]: $/);
    await repl.keys("C-d");
    await repl.waitFor(/\[exited 0\]/);
  }
  assert.deepEqual(await processesMatching(dataDir), []);
});

Deno.test({ name: "repl on a terminal: colours unless NO_COLOR is set", ignore }, async () => {
  await using dir = await tempIpxDir();
  {
    await using repl = await startRepl(dir.path, join(dir.path, "data"), true);
    await repl.enter("%px 7");
    const screen = await repl.waitFor(/Out\[1:1\]:/);
    const colored = await repl.screen(true);
    assert.ok(colored.includes("\x1b[32mIn [1]: "), "green prompt");
    assert.ok(colored.includes("\x1b[31mOut[0:1]:\x1b[39m \x1b[33m7"), "red label, yellow number");
    assert.match(screen, /Out\[0:1\]: 7/);
  }
  {
    await using repl = await startRepl(dir.path, join(dir.path, "data"), false);
    await repl.enter("%px 7");
    await repl.waitFor(/Out\[1:1\]: 7\nIn \[2\]: $/);
    assert.ok(!(await repl.screen(true)).includes("\x1b[3"), "no colour codes");
  }
});

Deno.test({
  name:
    "repl on a terminal: Ctrl-\\ in a local cell ends the REPL cleanly; twice kills a blocked one",
  ignore,
}, async () => {
  await using dir = await tempIpxDir();
  const dataDir = join(dir.path, "data");
  {
    await using repl = await startRepl(dir.path, dataDir);
    await repl.enter("console.log('spinning'); while (true) {}");
    await repl.waitFor(/^spinning$/m);
    await repl.keys("C-\\");
    await repl.waitFor(
      /KeyboardInterrupt: the local cell was stopped\nIn \[2\]: \n\[exited 131\]\n\[tty echo\]/,
    );
  }
  assert.deepEqual(await processesMatching(dataDir), [], "the local engines were stopped");
  {
    await using repl = await startRepl(dir.path, dataDir);
    await repl.enter(
      "console.log('blocked'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)",
    );
    await repl.waitFor(/^blocked$/m);
    await repl.keys("C-\\");
    await repl.keys("C-\\");
    await repl.waitFor(
      /Ctrl-\\ twice while a local cell blocked the REPL: killed it[^]*\[exited 137\]/,
    );
  }
  // the local engines lose their controller with the REPL, and stop on their own
  const deadline = Date.now() + 60_000;
  while ((await processesMatching(dataDir)).length > 0) {
    assert.ok(Date.now() < deadline, "the local engines outlived a killed REPL");
    await new Promise((r) => setTimeout(r, 100)); // poll interval of ps, not a wait
  }
});
