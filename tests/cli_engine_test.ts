/**
 * `ipx engine` as a real process: how the supervisor ends (its exit code once its engines are
 * gone), and what it says about a connection file it cannot use.
 */

import assert from "node:assert/strict";
import { generateKey } from "../lib/protocol/auth.ts";
import { readConnectionFile, writeConnectionFile } from "../lib/protocol/connection_file.ts";
import { startProcessCluster } from "./_helpers/process_cluster.ts";
import { type IpxProcess, runIpx, tempIpxDir } from "./_helpers/ipx_cli.ts";

/** Bound on the supervisor's exit once its last engine is gone (it takes well under 1 s). */
const EXIT_BOUND_MS = 20_000;

/** The supervisor's line for each engine that registered. */
const REGISTERED = /engine (\d+) registered \(pid (\d+)\)/;

/**
 * Resolves with `promise`, or fails with `process`'s last lines when it did not settle within
 * `ms` (a hang is the bug these tests guard against).
 */
async function within<T>(
  process: IpxProcess,
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(`${what} within ${ms} ms; last lines:\n${process.lines.slice(-10).join("\n")}`),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits for `process` to exit (see {@linkcode within}). */
function exitWithin(process: IpxProcess, ms: number): Promise<Deno.CommandStatus> {
  return within(
    process,
    process.child.status,
    ms,
    `ipx engine (pid ${process.child.pid}) did not exit after its engines ended`,
  );
}

/**
 * Waits for a line matching `re` (see {@linkcode within}): an engine that cannot follow its
 * controller retries forever, so the bug would otherwise hang.
 */
async function lineWithin(process: IpxProcess, re: RegExp, ms = 30_000): Promise<void> {
  await within(process, process.waitFor(re), ms, `no line ${re}`);
}

Deno.test("ipx engine without --restart exits 1 once its only engine is SIGKILLed", async () => {
  await using cluster = await startProcessCluster({ engines: 1 });
  const [, , pid] = await cluster.engines.waitFor(REGISTERED);
  Deno.kill(Number(pid), "SIGKILL");
  const status = await exitWithin(cluster.engines, EXIT_BOUND_MS);
  assert.equal(status.code, 1, cluster.engines.output);
  const out = cluster.engines.output;
  assert.match(out, /engine 0 \(pid \d+\) died: killed by signal SIGKILL/);
  assert.match(
    out,
    /all engines stopped: 1 died and was not replaced \(see above; --restart replaces engines that die\); exiting with code 1/,
  );
});

Deno.test("ipx engine exits 0 when the controller shuts the cluster down", async () => {
  await using cluster = await startProcessCluster({ engines: 1 });
  await cluster.engines.waitFor(REGISTERED);
  const client = await cluster.connect();
  await client.shutdown({ controller: true });
  const status = await exitWithin(cluster.engines, EXIT_BOUND_MS);
  assert.equal(status.code, 0, cluster.engines.output);
  assert.match(cluster.engines.output, /all engines stopped$/m);
  assert.equal((await exitWithin(cluster.controller, EXIT_BOUND_MS)).code, 0);
});

Deno.test("ipx engine --restart does not replace engines the controller shut down, and says stopped, not died", async () => {
  await using cluster = await startProcessCluster({ engines: 2, restart: true });
  await cluster.engines.waitFor(REGISTERED);
  await cluster.engines.waitFor(REGISTERED);
  const client = await cluster.connect();
  await client.waitForEngines(2);
  await client.shutdown({ targets: [0] });
  await cluster.engines.waitFor(/engine 0 \(pid \d+\) stopped: the controller shut it down/);
  await client.shutdown({ controller: true });
  const status = await exitWithin(cluster.engines, EXIT_BOUND_MS);
  assert.equal(status.code, 0, cluster.engines.output);
  const out = cluster.engines.output;
  assert.doesNotMatch(out, /starting a replacement engine/);
  assert.doesNotMatch(out, /died: exit code 0/);
  assert.match(out, /all engines stopped$/m);
});

Deno.test("ipx engine exits 0 when stopped with SIGTERM", async () => {
  await using cluster = await startProcessCluster({ engines: 1 });
  await cluster.engines.waitFor(REGISTERED);
  const status = await cluster.engines.stop("SIGTERM");
  assert.equal(status.code, 0, cluster.engines.output);
  assert.doesNotMatch(cluster.engines.output, /died/);
});

Deno.test("ipx engine (no --restart) whose controller comes back with a new key replaces its engine with one that reads the new key", async () => {
  await using cluster = await startProcessCluster({ engines: 1 });
  await cluster.engines.waitFor(REGISTERED);
  // the controller reads its key at start only: without the file, the next one makes a new key
  await Deno.remove(`${cluster.dir}/profile_default/security/ipx-key`);
  await cluster.restartController("SIGKILL");
  // refused (exit 3) if it reconnected before the new file was written, else it saw the new key
  // in the file first (exit 5): replaced either way
  await cluster.engines.waitFor(/engine 0 \(pid \d+\) (died|stopped): exit code [35] /);
  await cluster.engines.waitFor(
    /the connection file \S+ipx-engine\.json was rewritten by a restarted controller: starting a replacement engine, with the key and the permissions the file calls for now/,
  );
  const client = await cluster.connect();
  await client.waitForEngines(1);
  assert.deepEqual(await client.directView().apply(() => 2), [2]);
  assert.notEqual(client.ids[0], 0, "the replacement is a new engine (ids are never reused)");
});

Deno.test("ipx engine follows its controller restarted on another port (the old one taken): the replacement may reach the new address", async () => {
  await using cluster = await startProcessCluster({ engines: 1 });
  const oldPort = cluster.port;
  await cluster.engines.waitFor(REGISTERED);
  let squatter: Deno.Listener | undefined;
  try {
    const newPort = await cluster.restartController("SIGKILL", () => {
      squatter = Deno.listen({ hostname: "127.0.0.1", port: oldPort });
    });
    assert.notEqual(newPort, oldPort);
    await lineWithin(
      cluster.engines,
      new RegExp(
        String.raw`\[engine 0\] ipx engine: the connection file \S+ipx-engine\.json was ` +
          String.raw`rewritten \(a controller restarted\): it names the address ` +
          String.raw`127\.0\.0\.1:${newPort}, which this engine process may not reach`,
      ),
    );
    await lineWithin(
      cluster.engines,
      /engine 0 \(pid \d+\) stopped: exit code 5 \(its connection file was rewritten/,
    );
    const client = await cluster.connect();
    await client.waitForEngines(1);
    assert.deepEqual(await client.directView().apply(() => 3), [3]);
  } finally {
    squatter?.close();
  }
  // it never tried the new address with the old permissions (Deno's refusal names --allow-net)
  assert.doesNotMatch(cluster.engines.output, /allow-net/);
});

Deno.test("ipx engine with a wrong key names ipx-engine.json in every line and exits 1", async () => {
  await using cluster = await startProcessCluster({ engines: 1 });
  const good = `${cluster.dir}/profile_default/security/ipx-engine.json`;
  const bad = `${cluster.dir}/stale-engine.json`;
  await writeConnectionFile(bad, { ...(await readConnectionFile(good)), key: generateKey() });
  await Deno.chmod(bad, 0o644); // copied with a usual umask: others can read the key
  const run = await runIpx(cluster.dir, "engine", "--file", bad, "--n", "1", "--wait-ms", "5000");
  const out = run.stdout + run.stderr;
  assert.equal(run.code, 1, out);
  assert.match(
    out,
    /WARN {2}\S+\/stale-engine\.json can be read by other users of this machine \(mode 0644\).*chmod 600 \S+\/stale-engine\.json/,
  );
  // the engine's own line and the supervisor's (its exit reports use the same key)
  assert.match(out, /\[engine pid \d+\] .*copy a fresh ipx-engine\.json/);
  assert.match(
    out,
    /cannot report engine exits to the controller: .*the key in \S+\/stale-engine\.json does not match the controller's: copy a fresh ipx-engine\.json/,
  );
  assert.doesNotMatch(out, /ipx-client\.json/);
});

Deno.test("ipx engine --file with a corrupt file says it exists and why it cannot be used", async () => {
  await using dir = await tempIpxDir();
  const file = `${dir.path}/corrupt.json`;
  await Deno.writeTextFile(file, '{"role": "engine", "port": ');
  const run = await runIpx(dir.path, "engine", "--file", file, "--wait-ms", "300");
  assert.equal(run.code, 1, run.stderr);
  assert.doesNotMatch(run.stderr, /to appear|is the controller started/);
  assert.match(
    run.stderr,
    /WARN {2}\S+\/corrupt\.json exists but cannot be used: it is not valid JSON \(.+\)\. Waiting up to 0\.3 s in case it is still being written; if it stays like this, copy a fresh ipx-engine\.json from the controller's profile security dir/,
  );
  assert.match(
    run.stderr,
    /Timed out after \d+\.\d s waiting for connection file \S+\/corrupt\.json: it exists but cannot be used \(it is not valid JSON/,
  );
});

Deno.test("ipx engine --profile with no controller names the profile, or says it does not exist", async () => {
  await using dir = await tempIpxDir();
  assert.equal((await runIpx(dir.path, "profile", "create", "lab")).code, 0);
  const typo = await runIpx(dir.path, "engine", "--profile", "lba", "--wait-ms", "200");
  assert.equal(typo.code, 1, typo.stderr);
  assert.match(
    typo.stderr,
    /ipx: There is no profile "lba" in \S+ \(profiles there: lab\), and no controller created it within 0\.2 s/,
  );
  const idle = await runIpx(dir.path, "engine", "--profile", "lab", "--wait-ms", "200");
  assert.equal(idle.code, 1, idle.stderr);
  assert.match(
    idle.stderr,
    /ipx: No controller is running for profile "lab": its connection file \S+\/profile_lab\/security\/ipx-engine\.json did not appear within 0\.2 s\. Start one with `ipx controller --profile lab`/,
  );
  // the longer timeout is named as the flag that sets it, with --file too
  assert.match(idle.stderr, /, or wait longer with --wait-ms\n/);
  const missing = `${dir.path}/missing.json`;
  const absent = await runIpx(dir.path, "engine", "--file", missing, "--wait-ms", "200");
  assert.equal(absent.code, 1, absent.stderr);
  assert.match(
    absent.stderr,
    /ipx: Timed out after \d+\.\d s waiting for connection file \S+\/missing\.json .*, or wait longer with --wait-ms\n/,
  );
  assert.doesNotMatch(idle.stderr + absent.stderr, /longer timeout/);
});

Deno.test("ipx engine --file with a file that is not a connection file lists what is wrong", async () => {
  await using dir = await tempIpxDir();
  const file = `${dir.path}/other.json`;
  await Deno.writeTextFile(file, JSON.stringify({ role: "engine", port: 99999 }));
  const run = await runIpx(dir.path, "engine", "--file", file, "--wait-ms", "300");
  assert.equal(run.code, 1, run.stderr);
  assert.doesNotMatch(run.stderr, /to appear/);
  assert.match(
    run.stderr,
    /other\.json exists but cannot be used: .*"port" must be an integer from 1 to 65535 \(got 99999\)/,
  );
});

Deno.test("engines stop when their supervisor is SIGKILLed: no orphans live on", async () => {
  await using cluster = await startProcessCluster({ engines: 1 });
  const [, id, pid] = await cluster.engines.waitFor(REGISTERED);
  const client = await cluster.connect();
  const left = Promise.withResolvers<string>();
  client.onEngine((e) => {
    if (e.type === "unregistered" && e.engineId === Number(id)) left.resolve(e.reason);
  });
  cluster.engines.child.kill("SIGKILL");
  // the engine notices its stdin pipe closing and leaves the controller by itself
  let timer: ReturnType<typeof setTimeout> | undefined;
  const reason = await Promise.race([
    left.promise,
    new Promise<string>((r) => timer = setTimeout(() => r("still registered"), EXIT_BOUND_MS)),
  ]).finally(() => clearTimeout(timer));
  assert.match(reason, /its supervisor is gone/);
  const deadline = Date.now() + EXIT_BOUND_MS;
  while (processAlive(Number(pid))) {
    assert(Date.now() < deadline, `engine pid ${pid} outlived its supervisor`);
    await new Promise((r) => setTimeout(r, 20));
  }
});

function processAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) Z/.test(stat); // a zombie has ended
  } catch {
    return false;
  }
}

Deno.test("ipx engine --data-dir naming a file says so", async () => {
  await using dir = await tempIpxDir();
  const file = `${dir.path}/not-a-dir`;
  await Deno.writeTextFile(file, "");
  const run = await runIpx(dir.path, "engine", "--data-dir", file, "--wait-ms", "100");
  assert.notEqual(run.code, 0);
  assert.match(
    run.stderr,
    new RegExp(`Cannot use --data-dir ${file}: it exists and is not a directory`),
  );
});

Deno.test("a data dir and --allow-read paths that are symlinks: engines start, and their targets are granted", async () => {
  const outside = await Deno.makeTempDir({ prefix: "ipx-links-" });
  try {
    await Deno.mkdir(`${outside}/real-data`);
    await Deno.symlink(`${outside}/real-data`, `${outside}/data`);
    await Deno.writeTextFile(`${outside}/notes.txt`, "read through a link");
    await Deno.symlink(`${outside}/notes.txt`, `${outside}/notes-link`);
    await using cluster = await startProcessCluster({
      engines: 1,
      engineArgs: ["--data-dir", `${outside}/data`, "--allow-read", `${outside}/notes-link`],
    });
    const client = await cluster.connect();
    const dv = client.directView();
    assert.deepEqual(
      // the sandbox grants what the link leads to (it checks paths as resolved)
      await dv.execute(`await Deno.readTextFile(${JSON.stringify(`${outside}/notes.txt`)})`),
      ["read through a link"],
    );
    await dv.execute(`await Deno.writeTextFile("out.txt", "in the data dir")`);
    assert.equal(await Deno.readTextFile(`${outside}/real-data/out.txt`), "in the data dir");
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
});
