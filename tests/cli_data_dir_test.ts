/**
 * A data dir (or extra path) that would let user code read the cluster key, as real `ipx`
 * processes: `ipx engine` and `ipx repl --local` refuse it before anything starts, in one
 * `ipx: …` line with exit code 2 (no uncaught error, no stack trace), and `repl --local` never
 * leaves its private profile (which holds the key) behind.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { startLocalCluster } from "../cmd/_local_cluster.ts";
import { UsageError } from "../cmd/_usage.ts";
import { silentLogger } from "../lib/controller/log.ts";
import { generateKey } from "../lib/protocol/auth.ts";
import { writeConnectionFile } from "../lib/protocol/connection_file.ts";
import { processesMatching, runIpx, tempIpxDir } from "./_helpers/ipx_cli.ts";
import { runReplScript } from "./_helpers/repl_process.ts";

/** Exit code of a usage error (`ipx engine`, `ipx repl`, `ipx cluster start`). */
const USAGE = 2;

/** Asserts that stderr is the one line `ipx: <message>`, with no crash report. */
function assertOneLine(stderr: string, message: RegExp): void {
  assert.doesNotMatch(stderr, /Uncaught|^\s+at /m, stderr);
  assert.ok(!stderr.includes("\x1b["), "no terminal colours");
  const lines = stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, stderr);
  assert.match(lines[0]!, /^ipx: /);
  assert.match(lines[0]!, message);
}

/** Names in `dir` (none when it does not exist). */
function entries(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

Deno.test("ipx engine refuses a data dir or extra path containing its connection file: one line, exit 2", async () => {
  await using dir = await tempIpxDir();
  const security = join(dir.path, "security");
  await Deno.mkdir(security);
  const file = join(security, "ipx-engine.json");
  // a usable file: the refusal must come from the check, not from waiting for the file
  await writeConnectionFile(file, {
    role: "engine",
    ipxVersion: "0.1.0",
    protocolVersion: 1,
    transport: "tcp",
    host: "127.0.0.1",
    port: 9, // nobody is asked: nothing may start
    addresses: ["127.0.0.1:9"],
    location: "127.0.0.1",
    key: generateKey(),
    profile: "default",
    controllerPid: 1,
    createdAt: new Date().toISOString(),
  });
  for (
    const [args, what] of [
      [["--data-dir", "/"], "the data dir /"],
      [["--data-dir", security], `the data dir ${security}`],
      [["--allow-read", dir.path], `the --allow-read path ${dir.path}`],
      // resolved as given: a trailing slash goes
      [["--allow-write", `${dir.path}/`], `the --allow-write path ${dir.path}`],
    ] as const
  ) {
    const run = await runIpx(dir.path, "engine", "--file", file, ...args, "--wait-ms", "60000");
    assert.equal(run.code, USAGE, `${args.join(" ")}: ${run.stderr}`);
    assertOneLine(
      run.stderr,
      new RegExp(
        `^ipx: Cannot start engines: user code could reach the connection file ${file} \\(and ` +
          `its key\\) through ${what}; use a data dir and paths that do not contain ` +
          `${security}, or keep the connection file elsewhere$`,
      ),
    );
    assert.equal(run.stdout, "");
  }
});

Deno.test("repl --local with a data dir containing the temporary dir keeps its private profile elsewhere and removes it", async () => {
  await using dir = await tempIpxDir();
  const ipxDir = join(dir.path, "ipx");
  const data = join(dir.path, "data"); // the data dir, and TMPDIR inside it
  const tmp = join(data, "tmp");
  await Deno.mkdir(tmp, { recursive: true });
  const run = await runReplScript("%px 1\n", ["repl", "--local", "1", "--data-dir", data], {
    IPX_DIR: ipxDir,
    TMPDIR: tmp,
  });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, "Out[0:1]: 1\n");
  assert.doesNotMatch(run.stderr, /Uncaught|Cannot start engines/);
  assert.deepEqual(entries(tmp), [], "nothing is left in TMPDIR");
  assert.deepEqual(
    entries(join(ipxDir, "profile_default")).filter((n) => n.includes("ipx-repl")),
    [],
    "the private profile, made in the profile's dir instead, is removed",
  );
  assert.deepEqual(await processesMatching(data), [], "no engine process is left behind");
});

Deno.test("repl --local with a data dir containing both the temporary dir and IPX_DIR: one line, exit 2, nothing left", async () => {
  await using dir = await tempIpxDir();
  const tmp = join(dir.path, "tmp");
  const ipxDir = join(dir.path, "ipx");
  await Deno.mkdir(tmp);
  const run = await runReplScript("%px 1\n", ["repl", "--local", "1", "--data-dir", dir.path], {
    IPX_DIR: ipxDir,
    TMPDIR: tmp,
  });
  assert.equal(run.code, USAGE, run.stderr);
  assert.equal(run.stdout, "");
  assertOneLine(
    run.stderr,
    new RegExp(
      `^ipx: Cannot use --data-dir ${dir.path}: it contains both the temporary dir ${tmp} and ` +
        `the profile dir ${ipxDir}/profile_default, where \`ipx repl --local\` keeps its ` +
        `private cluster's connection files, so user code could read the cluster's key; give ` +
        `a data dir that contains neither \\(the default is ${ipxDir}/profile_default/data\\), ` +
        `or set TMPDIR to a directory outside it$`,
    ),
  );
  assert.deepEqual(entries(tmp), [], "no private profile is left in TMPDIR");
  assert.deepEqual(entries(ipxDir), [], "nothing is written under IPX_DIR");
});

Deno.test("startLocalCluster (cluster start, repl --local) refuses a data dir holding its profile before starting anything", async () => {
  await using dir = await tempIpxDir();
  await assert.rejects(
    startLocalCluster({
      profile: "default",
      base: dir.path,
      n: 1,
      dataDir: dir.path,
      log: silentLogger,
    }),
    (error: unknown) => {
      assert.ok(error instanceof UsageError, String(error));
      assert.match(
        error.message,
        new RegExp(
          `^Cannot start engines: user code could reach the connection file ` +
            `${dir.path}/profile_default/security/ipx-engine\\.json \\(and its key\\) through the data dir ${dir.path};`,
        ),
      );
      return true;
    },
  );
  assert.deepEqual(entries(dir.path), [], "no controller ran: no profile was made");
});

Deno.test("repl --local takes the engine sandbox options; without --local they are one usage line", async () => {
  await using dir = await tempIpxDir();
  const ipxDir = join(dir.path, "ipx");
  const extra = join(dir.path, "reference");
  await Deno.mkdir(extra);
  await Deno.writeTextFile(join(extra, "notes.txt"), "notes");
  const path = JSON.stringify(join(extra, "notes.txt"));
  const run = await runReplScript(
    `%px Deno.readTextFileSync(${path})\n`,
    ["repl", "--local", "1", "--allow-read", extra],
    { IPX_DIR: ipxDir },
  );
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, 'Out[0:1]: "notes"\n');
  const denied = await runReplScript(`%px Deno.readTextFileSync(${path})\n`, [
    "repl",
    "--local",
    "1",
  ], { IPX_DIR: ipxDir });
  assert.match(denied.stdout + denied.stderr, /NotCapable/);
  const misplaced = await runReplScript("", [
    "repl",
    "--allow-read",
    extra,
    "--max-memory-mb",
    "64",
  ], {
    IPX_DIR: ipxDir,
  });
  assert.equal(misplaced.code, USAGE);
  assertOneLine(
    misplaced.stderr,
    /^ipx: --allow-read, --max-memory-mb only apply with --local N \(the cluster the REPL starts itself\)/,
  );
  for (const flag of ["--no-tls", "--verbose"]) {
    const run = await runReplScript("", ["repl", flag], { IPX_DIR: ipxDir });
    assert.equal(run.code, USAGE, flag);
    assertOneLine(run.stderr, new RegExp(`^ipx: ${flag} only applies with --local N`));
  }
});

Deno.test("repl --local removes the private dir a SIGKILLed REPL left behind", async () => {
  await using dir = await tempIpxDir();
  const tmp = join(dir.path, "tmp");
  const left = join(tmp, "ipx-repl-killedearlier");
  await Deno.mkdir(join(left, "profile_default"), { recursive: true });
  const gone = new Deno.Command("true").spawn();
  await gone.status;
  await Deno.writeTextFile(
    join(left, "profile_default", "ipx-controller.pid"),
    JSON.stringify({ pid: gone.pid, hostname: Deno.hostname(), startedAt: "2026-01-01T00:00:00Z" }),
  );
  const then = new Date(Date.now() - 3_600_000);
  await Deno.utime(left, then, then);
  const run = await runReplScript("%exit\n", ["repl", "--local", "1"], {
    IPX_DIR: join(dir.path, "ipx"),
    TMPDIR: tmp,
  });
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(entries(tmp), [], "the leftover and the REPL's own dir are gone");
});

Deno.test("a data dir that cannot be created: one line saying so and what to do, exit 2, for engine and cluster start", async () => {
  await using dir = await tempIpxDir();
  for (const data of ["/proc/nonexist/x", join(dir.path, "file", "x")]) {
    await Deno.writeTextFile(join(dir.path, "file"), "not a directory");
    for (const args of [["engine", "--wait-ms", "1000"], ["cluster", "start", "--n", "1"]]) {
      const run = await runIpx(dir.path, ...args, "--data-dir", data);
      assert.equal(run.code, USAGE, `${args.join(" ")} ${data}: ${run.stdout}${run.stderr}`);
      assert.equal(run.stdout, "");
      assertOneLine(
        run.stderr,
        new RegExp(
          `^ipx: Cannot create the data dir ${data} \\(--data-dir\\): .+; choose a directory ` +
            `this user can create and write$`,
        ),
      );
      assert.doesNotMatch(run.stderr, /--allow-all/);
    }
  }
  assert.deepEqual(await processesMatching(dir.path), []);
});
