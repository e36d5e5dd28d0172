/**
 * `ipx repl` in a pseudo-terminal (tmux): Ctrl-D on a continuation line, and what Ctrl-C says
 * of a local cell it cannot stop.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { tempIpxDir } from "./_helpers/ipx_cli.ts";
import { engineProcesses } from "./_helpers/repl_process.ts";
import { startLocalTmuxRepl, tmuxMissing } from "./_helpers/repl_tmux.ts";

Deno.test({
  name: "repl on a terminal: Ctrl-D on a ...: line drops the unfinished cell, then exits",
  ignore: tmuxMissing,
}, async () => {
  await using dir = await tempIpxDir();
  const dataDir = join(dir.path, "data");
  {
    await using repl = await startLocalTmuxRepl(dir.path, dataDir);
    await repl.type("if (true) {");
    await repl.keys("Enter");
    await repl.waitFor(/\n {3}\.\.\.: $/);
    await repl.keys("C-d");
    await repl.waitFor(
      /\n {3}\.\.\.: \^D \(the unfinished cell was dropped; Ctrl-D again exits\)\nIn \[1\]: $/,
    );
    await repl.type("1 + 1");
    await repl.keys("Enter");
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
