/**
 * `ipx repl` in a pseudo-terminal (tmux): Ctrl-D on a continuation line, and what Ctrl-C says
 * of a local cell it cannot stop.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { tempIpxDir } from "./_helpers/ipx_cli.ts";
import { engineProcesses } from "./_helpers/repl_process.ts";
import { startLocalTmuxRepl, tmuxMissing } from "./_helpers/repl_tmux.ts";

/** The watcher's hint (BLOCKED_HINT in lib/repl/local_interrupt_slots.ts), as the pane wraps it. */
const HINT =
  /\^C\nipx repl: the local cell does not respond to Ctrl-C \(it is blocked outside any loop, [^]*press Ctrl-\\ twice to kill the REPL \(its local variables are lost\)/;

Deno.test({
  name: "repl on a terminal: Ctrl-D on a ...: line drops the unfinished cell, then exits",
  ignore: tmuxMissing,
}, async () => {
  await using dir = await tempIpxDir();
  const dataDir = join(dir.path, "data");
  {
    await using repl = await startLocalTmuxRepl(dir.path, dataDir);
    await repl.enter("if (true) {");
    await repl.waitFor(/\n {3}\.\.\.: $/);
    await repl.keys("C-d");
    await repl.waitFor(
      /\n {3}\.\.\.: \^D \(the unfinished cell was dropped; Ctrl-D again exits\)\nIn \[1\]: $/,
    );
    await repl.enter("1 + 1");
    await repl.waitFor(/\nOut\[1\]: 2\nIn \[2\]: $/);
    // Ctrl-D with text on the line deletes, as in any readline
    await repl.type("x");
    await repl.waitFor(/\nIn \[2\]: x$/);
    await repl.keys("Left", "C-d");
    await repl.waitFor(/\nIn \[2\]: $/);
    await repl.keys("C-d");
    const end = await repl.waitFor(/\[exited \d+\]/);
    assert.match(end, /In \[2\]: \n\[exited 0\]/);
    assert.doesNotMatch(end, /SyntaxError/);
  }
  // (not processesMatching: the tmux server, which names the data dir too, may still be ending)
  assert.deepEqual(await engineProcesses(dataDir), [], "the engines were stopped");
});

Deno.test({
  name: "repl on a terminal: Ctrl-C on a blocked local cell says it cannot stop it, and how out",
  ignore: tmuxMissing,
}, async () => {
  await using dir = await tempIpxDir();
  const dataDir = join(dir.path, "data");
  // opening a FIFO to read blocks in one synchronous call until a writer opens it
  const fifo = join(dir.path, "fifo");
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assert.ok(made.success, "mkfifo");
  {
    await using repl = await startLocalTmuxRepl(dir.path, dataDir);
    await repl.enter(`console.log('blocked'); Deno.readTextFileSync(${JSON.stringify(fifo)})`);
    await repl.waitFor(/^blocked$/m);
    await repl.keys("C-c");
    await repl.waitFor(HINT);
    // a second Ctrl-C is not told of again
    await repl.keys("C-c");
    // the cell ends when it is let go, and the REPL goes on
    await Deno.writeTextFile(fifo, "done");
    const screen = await repl.waitFor(/\nOut\[1\]: "done"\nIn \[2\]: $/);
    assert.equal(screen.split("does not respond to Ctrl-C").length - 1, 1, screen);
    await repl.enter("'next'");
    await repl.waitFor(/\nOut\[2\]: "next"\nIn \[3\]: $/);
    await repl.keys("C-d");
    await repl.waitFor(/\[exited 0\]/);
  }
  assert.deepEqual(await engineProcesses(dataDir), [], "the engines were stopped");
});

Deno.test({
  name: "repl on a terminal: no blocked-cell hint when Ctrl-C stops a loop",
  ignore: tmuxMissing,
}, async () => {
  await using dir = await tempIpxDir();
  const dataDir = join(dir.path, "data");
  {
    await using repl = await startLocalTmuxRepl(dir.path, dataDir);
    await repl.enter("console.log('spinning'); let n = 0; while (true) { n++; }");
    await repl.waitFor(/^spinning$/m);
    await repl.keys("C-c");
    // the loop check took the Ctrl-C before this was printed: the watcher can no longer hint
    await repl.waitFor(/KeyboardInterrupt: the local cell was stopped\nIn \[2\]: $/);
    // a loop whose body catches the interrupt stops at its next check all the same
    await repl.enter(
      "console.log('catching'); for (;;) { try { n++; } catch { console.log('swallowed'); } }",
    );
    await repl.waitFor(/^catching$/m);
    await repl.keys("C-c");
    await repl.waitFor(/KeyboardInterrupt: the local cell was stopped\nIn \[3\]: $/);
    await repl.enter("n > 0");
    const screen = await repl.waitFor(/\nOut\[3\]: true\nIn \[4\]: $/);
    assert.doesNotMatch(screen, /does not respond to Ctrl-C/);
    await repl.keys("C-d");
    await repl.waitFor(/\[exited 0\]/);
  }
  assert.deepEqual(await engineProcesses(dataDir), [], "the engines were stopped");
});
