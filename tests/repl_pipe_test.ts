/**
 * `ipx repl` driven through a pipe: real processes (`repl --local 2` starts a controller and two
 * engine processes), scripted stdin, exact stdout transcripts.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { startLocalCluster } from "../cmd/_local_cluster.ts";
import { silentLogger } from "../lib/controller/log.ts";
import { formatHelp } from "../lib/repl/magic_table.ts";
import { processesMatching, tempIpxDir } from "./_helpers/ipx_cli.ts";
import { ReplChild, runReplScript } from "./_helpers/repl_process.ts";

const START_LINE =
  "ipx repl: 2 engines connected (ids 0,1), profile default (local cluster of 2); " +
  "%help lists the magics\n";

/** Runs a script on `repl --local 2` with a private IPX_DIR and data dir; checks cleanup. */
async function script(input: string, ...extra: string[]) {
  await using dir = await tempIpxDir();
  const dataDir = join(dir.path, "engines-data");
  const tmp = join(dir.path, "tmp");
  await Deno.mkdir(tmp);
  const args = ["repl", "--local", "2", "--data-dir", dataDir, ...extra];
  const run = await runReplScript(input, args, { IPX_DIR: dir.path, TMPDIR: tmp });
  assert.deepEqual(await processesMatching(dataDir), [], "no engine process is left behind");
  assert.deepEqual(
    [...Deno.readDirSync(dir.path)].map((e) => e.name).sort(),
    ["engines-data", "tmp"],
    "nothing is written to the profile",
  );
  assert.deepEqual([...Deno.readDirSync(tmp)], [], "the private cluster directory is removed");
  return run;
}

Deno.test("repl --local 2 over a pipe prints exactly the Out lines", async () => {
  const run = await script("%px 1+1\n");
  assert.equal(run.stdout, "Out[0:1]: 2\nOut[1:1]: 2\n");
  assert.equal(run.stderr, START_LINE);
  assert.equal(run.code, 0);
});

Deno.test("repl over a pipe prints engines' output in engine order, not arrival order", async () => {
  // engine 1 prints first; engine 0 prints only after engine 1 has printed and opened the gate
  const step = "var step = async (gate: string) => { if (who === 0) { while (true) { try { " +
    "Deno.statSync(gate); break } catch { await new Promise((r) => setTimeout(r, 5)) } } " +
    "console.log('zero') } else { console.log('one'); console.error('warn one'); " +
    "Deno.writeTextFileSync(gate, '') } return who }";
  const input = [
    "%%px --targets 0",
    "var who = 0",
    "",
    "%%px --targets 1",
    "var who = 1",
    "",
    `%px ${step}`,
    "%px await step('streamed')",
    "%pxconfig --no-stream",
    "%px await step('grouped')",
    "",
  ].join("\n");
  const run = await script(input);
  const cell = (n: number) =>
    `[stdout:0] zero\nOut[0:${n}]: 0\n[stdout:1] one\n[stderr:1] warn one\nOut[1:${n}]: 1\n`;
  assert.equal(
    run.stdout,
    cell(3) +
      "%pxconfig: --targets all (engines 0,1) --block --no-stream --group-outputs engine\n" +
      cell(4),
    "streamed output in a pipe is the --no-stream transcript",
  );
  assert.equal(run.code, 0);
});

Deno.test("repl transcript: local cells, %%px, errors, autopx, noblock, pxconfig", async () => {
  const input = [
    "let local: number = 20",
    "local + 1",
    "%px let x = 10",
    "%%px --targets 0",
    "console.log('only zero', x)",
    "x * 2",
    "",
    "%px throw new Error('bad ' + 1)",
    "%pxconfig --no-stream",
    "%autopx",
    "x + 1",
    "console.log('auto')",
    "%autopx",
    "%%px --noblock",
    "x + 100",
    "",
    "%pxresult",
    "await _",
    "%pxconfig -t -1 --stream",
    "%px x",
    "function add(a: number,",
    "             b: number) {",
    "  return a + b",
    "}",
    "add(1, 2)",
    "%bogus",
    "%pxresult --group-outputs nope",
    "",
  ].join("\n");
  const run = await script(input);
  assert.equal(
    run.stdout,
    [
      "Out[2]: 21",
      "[stdout:0] only zero 10",
      "Out[0:2]: 20",
      "[0:execute] Error: bad 1",
      "    at <anonymous>:1:7",
      "[1:execute] Error: bad 1",
      "    at <anonymous>:1:7",
      "CompositeError: 2 errors on engines 0,1",
      "%pxconfig: --targets all (engines 0,1) --block --no-stream --group-outputs engine",
      "%autopx enabled",
      "Out[0:4]: 11",
      "Out[1:3]: 11",
      "[stdout:0] auto",
      "[stdout:1] auto",
      "%autopx disabled",
      "<AsyncResult(%px) on engines 0,1: pending> bound to _ (%pxresult or await _ shows it)",
      "Out[0:6]: 110",
      "Out[1:5]: 110",
      "Out[13]: [ 110, 110 ]",
      "%pxconfig: --targets -1 (engines 1) --block --stream --group-outputs engine",
      "Out[1:6]: 10",
      "Out[17]: 3",
      "UsageError: Unknown magic %bogus; %help lists the magics",
      'UsageError: Invalid value "nope" for --group-outputs: use one of engine, order, type',
      "",
    ].join("\n"),
  );
  assert.equal(run.code, 0);
});

Deno.test("repl %help, %engines and %exit over a pipe", async () => {
  const run = await script("%help\n%engines\n%exit\n%px 'not run'\n");
  assert.doesNotMatch(run.stdout, /not run/);
  assert.equal(run.code, 0);
  assert.ok(run.stdout.startsWith(formatHelp()));
  const table = run.stdout.slice(formatHelp().length).trimEnd().split("\n");
  assert.match(table[0]!, /^id\s+host\s+pid\s+data dir\s+state\s+queue$/);
  assert.match(table[1]!, /^0\s+\S+\s+\d+\s+\S*engines-data\s+idle\s+0$/);
  assert.match(table[2]!, /^1\s+\S+\s+\d+\s+\S*engines-data\s+idle\s+0$/);
});

Deno.test("repl --exit-on-error exits 1 at the first failing cell", async () => {
  const input = "%px 1\n%px throw new TypeError('stop here')\n%px 'never'\n";
  const run = await script(input, "--exit-on-error");
  assert.equal(
    run.stdout,
    "Out[0:1]: 1\nOut[1:1]: 1\n[0:execute] TypeError: stop here\n    at <anonymous>:1:7\n" +
      "[1:execute] TypeError: stop here\n    at <anonymous>:1:7\n" +
      "CompositeError: 2 errors on engines 0,1\n",
  );
  assert.equal(run.code, 1);
  const local = await script("undefinedName\n1\n", "--exit-on-error");
  assert.equal(
    local.stdout,
    "Uncaught ReferenceError: undefinedName is not defined\n" +
      "    at <anonymous>:1:1\n",
  );
  assert.equal(local.code, 1);
});

Deno.test("repl without --exit-on-error runs every cell and exits 0", async () => {
  const run = await script("%px throw new Error('x')\n%pxresult\n%px 'after'\n");
  assert.match(run.stdout, /CompositeError: 2 errors on engines 0,1\n/);
  assert.ok(run.stdout.endsWith('Out[0:2]: "after"\nOut[1:2]: "after"\n'));
  assert.equal(run.code, 0);
});

Deno.test("repl reports errors of background code and keeps going", async () => {
  const input = [
    "setTimeout(() => { throw new Error('late') }, 0); 'timer set'",
    "Promise.reject(new RangeError('unawaited')); undefined",
    "await new Promise((r) => setTimeout(r, 20))",
    "'still alive'",
    "",
  ].join("\n");
  const run = await script(input);
  assert.match(run.stdout, /^Out\[1\]: "timer set"\n/);
  assert.match(run.stdout, /\(in the background\) Uncaught Error: late\n/);
  assert.match(run.stdout, /\(in the background\) Uncaught RangeError: unawaited\n/);
  assert.ok(run.stdout.endsWith('Out[4]: "still alive"\n'));
  assert.equal(run.code, 0);
});

Deno.test("a local timer or pending promise does not keep the REPL running after %exit or the end of input", async () => {
  for (const end of ["%exit\n", ""]) {
    const started = performance.now();
    const run = await script(
      "const iv = setInterval(() => {}, 1000); 1\n" +
        "const slow = new Promise((r) => setTimeout(r, 60_000)); 2\n" + end,
    );
    assert.equal(run.code, 0);
    assert.equal(run.stdout, "Out[1]: 1\nOut[2]: 2\n");
    // the script helper has no timeout of its own: a REPL kept alive would hang this test
    assert.ok(performance.now() - started < 50_000);
  }
});

Deno.test("repl runs a %%px cell left open at the end of the input", async () => {
  const run = await script("%%px --targets 1\n6 * 7");
  assert.equal(run.stdout, "Out[1:1]: 42\n");
});

Deno.test("repl rejects bad options with a usage error", async () => {
  await using dir = await tempIpxDir();
  const zero = await runReplScript("", ["repl", "--local", "0"], { IPX_DIR: dir.path });
  assert.equal(zero.code, 2);
  assert.match(zero.stderr, /Invalid --local "0": give a number of engines, e\.g\. --local 2/);
  const both = await runReplScript("", ["repl", "--local", "1", "--file", "x.json"], {
    IPX_DIR: dir.path,
  });
  assert.equal(both.code, 2);
  assert.match(both.stderr, /drop --file/);
  const name = await runReplScript("", ["repl", "--profile", "a/b"], { IPX_DIR: dir.path });
  assert.equal(name.code, 2);
  assert.match(name.stderr, /Invalid profile name "a\/b"/);
});

Deno.test("repl --profile connects to a running cluster of that profile", async () => {
  await using dir = await tempIpxDir();
  const dataDir = join(dir.path, "data");
  const cluster = await startLocalCluster({
    profile: "shared",
    base: dir.path,
    n: 1,
    dataDir,
    log: silentLogger,
  });
  try {
    const run = await runReplScript("%px 'hello from ' + 'shared'\n", [
      "repl",
      "--profile",
      "shared",
    ], { IPX_DIR: dir.path });
    assert.equal(run.stdout, 'Out[0:1]: "hello from shared"\n');
    assert.equal(
      run.stderr,
      "ipx repl: 1 engine connected (ids 0), profile shared; %help lists the magics\n",
    );
    assert.equal(run.code, 0);
    // --file: a profile's own file means that profile; any other file is named as itself
    const own = join(dir.path, "profile_shared", "security", "ipx-client.json");
    const byFile = await runReplScript("%px 1\n", ["repl", "--file", own], { IPX_DIR: dir.path });
    assert.equal(byFile.stdout, "Out[0:2]: 1\n");
    assert.equal(
      byFile.stderr,
      "ipx repl: 1 engine connected (ids 0), profile shared; %help lists the magics\n",
    );
    const copy = join(dir.path, "copy.json");
    await Deno.copyFile(own, copy);
    await Deno.chmod(copy, 0o600);
    const byCopy = await runReplScript("", ["repl", "--file", copy], { IPX_DIR: dir.path });
    assert.equal(
      byCopy.stderr,
      `ipx repl: 1 engine connected (ids 0), file ${copy}; %help lists the magics\n`,
    );
    // a copy others can read holds the key: said before the shell starts
    await Deno.chmod(copy, 0o644);
    const exposed = await runReplScript("", ["repl", "--file", copy], { IPX_DIR: dir.path });
    assert.equal(
      exposed.stderr,
      `ipx repl: WARNING: ${copy} can be read by other users of this machine (mode 0644), and ` +
        "it holds the cluster's key: anyone who reads it can run code on your engines. Make it " +
        `yours alone: chmod 600 ${copy}\n` +
        `ipx repl: 1 engine connected (ids 0), file ${copy}; %help lists the magics\n`,
    );
  } finally {
    await cluster.stop();
  }
});

Deno.test("SIGINT stops a local cell that spins (the script goes on); SIGTERM ends the REPL even then", async () => {
  await using dir = await tempIpxDir();
  const dataDir = join(dir.path, "engines-data");
  const tmp = join(dir.path, "tmp");
  await Deno.mkdir(tmp);
  await using repl = new ReplChild(["repl", "--local", "1", "--data-dir", dataDir], {
    IPX_DIR: dir.path,
    TMPDIR: tmp,
  });
  await repl.send("let n = 0; console.log('spinning'); while (true) { try { n++ } catch {} }\n");
  await repl.waitFor(/spinning\n/);
  repl.kill("SIGINT");
  await repl.waitFor(/spinning\nKeyboardInterrupt: the local cell was stopped\n/);
  // the SIGINT was spent on the cell: the next cells run, the script is not ended
  // (the Ctrl-C may come before the loop's first turn: n is kept, maybe still 0)
  await repl.send("n >= 0\n%px 'engine alive'\n");
  await repl.waitFor(/Out\[2\]: true\nOut\[0:1\]: "engine alive"\n/);
  await repl.send("console.log('again'); for (;;) {}\n");
  await repl.waitFor(/again\n/);
  repl.kill("SIGTERM");
  const status = await repl.exited();
  assert.deepEqual([status.code, status.signal], [143, null], "it handled SIGTERM itself");
  assert.deepEqual(await processesMatching(dataDir), []);
  assert.deepEqual([...Deno.readDirSync(tmp)], [], "the private cluster directory is removed");
});

Deno.test("repl interrupts a running %px on SIGINT and ends cleanly on SIGTERM", async () => {
  await using dir = await tempIpxDir();
  const dataDir = join(dir.path, "engines-data");
  const tmp = join(dir.path, "tmp");
  await Deno.mkdir(tmp);
  await using repl = new ReplChild(["repl", "--local", "2", "--data-dir", dataDir], {
    IPX_DIR: dir.path,
    TMPDIR: tmp,
  });
  // over a pipe only the first engine's output shows while the cell runs: engine 0 says it
  // loops only once engine 1 does
  await repl.send("%%px --targets 1\nvar other = true\n\n");
  await repl.send(
    "%px if (typeof other === 'undefined') { while (true) { try { Deno.statSync('1-loops'); " +
      "break } catch { await new Promise((r) => setTimeout(r, 5)) } } } else " +
      "Deno.writeTextFileSync('1-loops', ''); console.log('looping'); while (true) {}\n",
  );
  await repl.waitFor(/\[stdout:0\] looping[^]*---/);
  const started = performance.now();
  repl.kill("SIGINT");
  await repl.waitFor(/\[stdout:1\] looping\nInterrupted: [^\n]*namespace reset on engines 0,1/);
  // the contract is 2 s (typically ~100 ms here); the bound leaves room for a loaded CI machine
  const took = performance.now() - started;
  assert.ok(took < 4000, `interrupted after ${Math.round(took)} ms`);
  await repl.send("%px 'alive'\n");
  await repl.waitFor(/Out\[0:\d+\]: "alive"\nOut\[1:\d+\]: "alive"\n/);
  repl.kill("SIGTERM");
  const status = await repl.exited();
  assert.deepEqual([status.code, status.signal], [143, null], "it handled SIGTERM itself");
  assert.deepEqual(await processesMatching(dataDir), []);
  assert.deepEqual([...Deno.readDirSync(tmp)], [], "the private cluster directory is removed");
});
