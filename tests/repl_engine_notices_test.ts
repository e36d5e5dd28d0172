/**
 * `ipx repl` tells of an engine that dies while it waits for input: over a pipe as a line on
 * stderr (stdout stays the cells' transcript), on a terminal above the prompt, keeping the line
 * being typed.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { processesMatching, tempIpxDir } from "./_helpers/ipx_cli.ts";
import { engineProcesses, ReplChild } from "./_helpers/repl_process.ts";
import { startLocalTmuxRepl, tmuxMissing } from "./_helpers/repl_tmux.ts";

Deno.test("repl over a pipe says on stderr when an engine dies while it waits", async () => {
  await using dir = await tempIpxDir();
  const dataDir = join(dir.path, "engines-data");
  const tmp = join(dir.path, "tmp");
  await Deno.mkdir(tmp);
  await using repl = new ReplChild(["repl", "--local", "2", "--data-dir", dataDir], {
    IPX_DIR: dir.path,
    TMPDIR: tmp,
  });
  await repl.waitFor(/2 engines connected/);
  const [pid] = await engineProcesses(dataDir);
  assert.ok(pid, "an engine process runs");
  Deno.kill(pid, "SIGKILL");
  await repl.waitFor(/\n\[engine (\d) died: [^\]\n]+; engines left: (\d)\]\n$/);
  const [, gone, left] = /\[engine (\d) died: [^\n]*engines left: (\d)\]/.exec(repl.stderr)!;
  assert.notEqual(gone, left);
  await repl.send("%px 'alive'\n");
  const status = await repl.finish();
  assert.equal(status.code, 0);
  assert.match(repl.stdout, new RegExp(`^Out\\[${left}:1\\]: "alive"\\n$`));
  assert.deepEqual(await processesMatching(dataDir), []);
});

Deno.test({
  name: "repl on a terminal: an engine's death is told above the prompt, the typed line kept",
  ignore: tmuxMissing,
}, async () => {
  await using dir = await tempIpxDir();
  const dataDir = join(dir.path, "data");
  {
    await using repl = await startLocalTmuxRepl(dir.path, dataDir);
    await repl.type("40 + 2");
    await repl.waitFor(/In \[1\]: 40 \+ 2$/);
    const [pid] = await engineProcesses(dataDir);
    assert.ok(pid, "an engine process runs");
    Deno.kill(pid, "SIGKILL");
    await repl.waitFor(
      /ipx repl: [^\n]*\n\[engine \d died: [^\]\n]+; engines left: \d\]\nIn \[1\]: 40 \+ 2$/,
    );
    await repl.keys("Enter");
    await repl.waitFor(/\]\nIn \[1\]: 40 \+ 2\nOut\[1\]: 42\nIn \[2\]: $/);
    await repl.keys("C-d");
    await repl.waitFor(/\[exited 0\]/);
  }
  // (not processesMatching: the tmux server, which names the data dir too, may still be ending)
  assert.deepEqual(await engineProcesses(dataDir), [], "the engines were stopped");
});
