/**
 * `--no-tls` says so on the terminal at start, in the same words, whichever command runs the
 * controller: `ipx cluster start` in the foreground or with `--daemon`, and `ipx repl --local`.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { TLS_OFF_WARNING } from "../lib/controller/tls_off.ts";
import { IpxProcess, processesMatching, runIpx, tempIpxDir } from "./_helpers/ipx_cli.ts";
import { runReplScript } from "./_helpers/repl_process.ts";

/** Runs `%px 1+1` piped into `ipx repl --local 1 --no-tls` (plus `extra`) in `ipxDir`. */
async function replLocalNoTls(ipxDir: string, ...extra: string[]) {
  const dataDir = join(ipxDir, "engines-data");
  const tmp = join(ipxDir, "tmp");
  await Deno.mkdir(tmp);
  const run = await runReplScript(
    "%px 1+1\n",
    ["repl", "--local", "1", "--no-tls", ...extra, "--data-dir", dataDir],
    { IPX_DIR: ipxDir, TMPDIR: tmp },
  );
  return { run, dataDir };
}

/** How many times `text` occurs in `s`. */
function count(s: string, text: string): number {
  return s.split(text).length - 1;
}

Deno.test("ipx cluster start --no-tls warns on stderr at start, in the foreground", async () => {
  await using dir = await tempIpxDir();
  await using cluster = new IpxProcess(dir.path, "cluster", "start", "--n", "1", "--no-tls");
  await cluster.waitFor(/cluster ready/);
  // the log line (time, level, the warning) on stderr, as the daemon's log file has it
  assert.match(cluster.output, /^\S+ WARN {2}TLS is OFF \(--no-tls\)/m);
  assert.equal(count(cluster.output, TLS_OFF_WARNING), 1, cluster.output);
  assert.equal((await cluster.stop("SIGTERM")).code, 0);
});

Deno.test("ipx cluster start --no-tls --daemon warns on stderr at start", async () => {
  await using dir = await tempIpxDir();
  const started = await runIpx(dir.path, "cluster", "start", "--n", "1", "--daemon", "--no-tls");
  try {
    assert.equal(started.code, 0, started.stdout + started.stderr);
    assert.equal(
      started.stderr,
      `ipx cluster start: WARNING: ${TLS_OFF_WARNING}\n`,
      "the warning, once, on stderr",
    );
    assert.match(started.stdout, /cluster started in the background/);
  } finally {
    const stopped = await runIpx(dir.path, "cluster", "stop");
    assert.equal(stopped.code, 0, stopped.stderr);
  }
  assert.deepEqual(await processesMatching(dir.path), []);
});

Deno.test("ipx repl --local 1 --no-tls warns on stderr at start", async () => {
  await using dir = await tempIpxDir();
  const { run, dataDir } = await replLocalNoTls(dir.path);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, "Out[0:1]: 2\n");
  assert.equal(
    run.stderr,
    `ipx repl: WARNING: ${TLS_OFF_WARNING}\n` +
      "ipx repl: 1 engine connected (ids 0), profile default (local cluster of 1); " +
      "%help lists the magics\n",
  );
  assert.deepEqual(await processesMatching(dataDir), [], "no engine process is left behind");
});

Deno.test("ipx repl --local 1 --no-tls --verbose shows the warning once (from the log)", async () => {
  await using dir = await tempIpxDir();
  const { run, dataDir } = await replLocalNoTls(dir.path, "--verbose");
  assert.equal(run.code, 0, run.stderr);
  assert.equal(count(run.stderr, TLS_OFF_WARNING), 1, run.stderr);
  assert.deepEqual(await processesMatching(dataDir), [], "no engine process is left behind");
});
